"""Signal chat exports: the text (Markdown) and JSON Lines files of signal-export.

Public API: ``SIGNAL`` (a ``dossier.formats.base.MessageFormat``) and ``signal_text_marks``
(what tells a Signal text export from a WhatsApp one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from dossier.formats.base import HEAD_SIZE, ParseOptions
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
        return max(sniff_text(head, filename), sniff_jsonl(head, filename))

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        head = stream.read(HEAD_SIZE)
        whole = Prefixed(head, stream)  # read on from where recognising stopped
        if sniff_jsonl(head, filename) > sniff_text(head, filename):
            return parse_jsonl(whole, filename, options)
        return parse_text(whole, filename, options)


SIGNAL = SignalFormat()
