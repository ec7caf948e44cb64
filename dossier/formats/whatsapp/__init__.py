"""WhatsApp chat exports (Android and iOS ``.txt``, any locale).

Public API: ``WHATSAPP`` (a ``dossier.formats.base.MessageFormat``) and
``conversation_title_from_filename``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from dossier.formats.base import ParseOptions, few_collections
from dossier.formats.whatsapp.names import conversation_title_from_filename
from dossier.formats.whatsapp.parser import parse
from dossier.formats.whatsapp.sniff import sniff
from dossier.model import ParseRecord

__all__ = ["WHATSAPP", "WhatsAppFormat", "conversation_title_from_filename"]


class WhatsAppFormat:
    name = "whatsapp"
    platform = "whatsapp"
    companion_names: frozenset[str] = frozenset()

    def sniff(self, head: bytes, filename: str) -> float:
        return sniff(head, filename)

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        return few_collections(parse(stream, filename, options))


WHATSAPP = WhatsAppFormat()
