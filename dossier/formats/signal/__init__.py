"""Signal chat exports: signal-export's text (Markdown) and JSON Lines files, and sigtop's text
and JSON (Signal Desktop's own message records).

Public API: ``SIGNAL`` (a ``dossier.formats.base.MessageFormat``) and ``signal_text_marks``
(what tells a Signal text export from a WhatsApp one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from dossier.formats.base import HEAD_SIZE, ParseOptions
from dossier.formats.signal.desktop import parse_desktop, sniff_desktop
from dossier.formats.signal.fields import parse_fields, sniff_fields
from dossier.formats.signal.jsonl import parse_jsonl
from dossier.formats.signal.lines import Prefixed
from dossier.formats.signal.sniff import signal_text_marks, sniff_jsonl, sniff_text
from dossier.formats.signal.text import parse_text
from dossier.model import ParseRecord

__all__ = ["SIGNAL", "SignalFormat", "signal_text_marks"]


class SignalFormat:
    name = "signal"
    platform = "signal"
    companion_names: frozenset[str] = frozenset()

    def sniff(self, head: bytes, filename: str) -> float:
        return max(score for score, _ in _layouts(head, filename))

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        head = stream.read(HEAD_SIZE)
        whole = Prefixed(head, stream)  # read on from where recognising stopped
        _, parser = max(_layouts(head, filename), key=lambda layout: layout[0])
        return parser(whole, filename, options)


Parser = Callable[[Prefixed, str, ParseOptions], Iterator[ParseRecord]]


def _layouts(head: bytes, filename: str) -> list[tuple[float, Parser]]:
    """How well the head fits each of the layouts, with the parser for it (text first: it is
    the one read when nothing fits)."""
    return [
        (sniff_text(head, filename), parse_text),
        (sniff_jsonl(head, filename), parse_jsonl),
        (sniff_desktop(head), parse_desktop),
        (sniff_fields(head), parse_fields),
    ]


SIGNAL = SignalFormat()
