"""Outlook ``.msg`` files (OLE2 compound files holding one MAPI item), read with extract-msg.

One file gives one ``EmailRecord`` with ``parsed`` set (an Outlook item has no RFC 822 form;
``raw`` is None). A ``.msg`` that is really RFC 822 text is left to the eml format: without the
OLE2 signature this format scores 0. The whole file is read into memory (a .msg holds a single
item; extract-msg needs random access to it). The reading is in ``outlook/msgfile.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from dossier.formats.base import ParseOptions
from dossier.model import ParseRecord

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_STREAMS = (
    "__substg1.0_".encode("utf-16-le"),
    "__properties_version1.0".encode("utf-16-le"),
)
OUTLOOK_CONTENT_TYPE = "application/vnd.ms-outlook"


class OutlookMsgFormat:
    name = "msg"
    platform = "email"
    companion_names: frozenset[str] = frozenset()

    def sniff(self, head: bytes, filename: str) -> float:
        if not head.startswith(OLE_MAGIC):
            return 0.0
        if any(marker in head for marker in _MSG_STREAMS):
            return 0.95
        return 0.8 if filename.lower().endswith(".msg") else 0.1

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        from dossier.formats.outlook.msgfile import read_file

        yield from read_file(stream.read(), filename)


OUTLOOK_MSG = OutlookMsgFormat()
