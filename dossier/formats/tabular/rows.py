"""One table row (a CSV record's cells, or a JSON object) to a message, by the mapping.

The same rules for CSV and JSONL: only how a field's cell is looked up differs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import NamedTuple

from dossier.formats.tabular.mapping import Mapping
from dossier.formats.tabular.times import TimeReader
from dossier.model import MESSAGE_KINDS, ChatDetails, MessageRecord

Lookup = Callable[[str], object]  # column or path -> the row's cell (None when absent)

_OUTGOING = {"outgoing", "out", "sent", "send", "from me", "me", "true", "1", "yes", "o", "s"}
_INCOMING = {"incoming", "in", "received", "inbox", "false", "0", "no", "i", "r"}
# Words exporters use for a row's kind, beyond Dossier's own kind names.
_KIND_WORDS = {
    "attachment": "media",
    "image": "media",
    "photo": "media",
    "video": "media",
    "audio": "media",
    "voice": "media",
    "file": "media",
    "mms": "text",
    "sms": "text",
    "imessage": "text",
    "missed call": "call",
    "voice call": "call",
    "video call": "call",
    "notification": "system",
    "status": "system",
}
_SEPARATORS = re.compile(r"\r\n|\n")


class Place(NamedTuple):
    line_start: int
    line_end: int
    byte_start: int
    byte_end: int


class RowReader:
    def __init__(self, mapping: Mapping, default_title: str) -> None:
        self.mapping = mapping
        self.times = TimeReader(mapping.time_format, mapping.time_zone)
        self.default_title = default_title
        self._titles: dict[str, str] = {}  # conversation id -> the first title it came with

    def message(self, lookup: Lookup, place: Place, structure: str) -> MessageRecord:
        """The row's message; ``times.BadTime`` when its time cannot be read."""
        cell = self._cell_getter(lookup)
        time_cell = cell("time")
        offset = cell("utc_offset")
        read = self.times.read(time_cell, _text(offset) or None)
        direction = _direction(_text(cell("direction")))
        sender = _text(cell("sender")) or None
        if sender is None and direction == "outgoing":
            sender = self.mapping.owner
        attachments = self._list(cell("attachments"))
        body = _text(cell("text"))
        details = ChatDetails(
            platform_id=_text(cell("message_id")) or None,
            sender_id=_text(cell("sender_id")) or None,
            conversation_key=_text(cell("conversation_id")) or None,
            reply_to=_text(cell("reply_to")) or None,
            thread=_text(cell("thread")) or None,
            structure=structure,
        )
        return MessageRecord(
            conversation=self._title(cell, details.conversation_key, direction, sender),
            sender=sender,
            kind=_kind(_text(cell("kind")), body, attachments),
            body=body,
            header_text=_text(time_cell),
            local_time=read.local,
            has_seconds=read.has_seconds,
            line_start=place.line_start,
            line_end=place.line_end,
            byte_start=place.byte_start,
            byte_end=place.byte_end,
            attachments=tuple(attachments),
            time_flags=read.flags,
            sent_utc=read.utc,
            details=details,
        )

    def _cell_getter(self, lookup: Lookup) -> Lookup:
        """The row's cells by field: the mapped column's cell, or the fixed value when the
        cell is empty. Looked up once per row, for the fields the mapping names only."""
        cells: dict[str, object] = dict(self.mapping.values)
        for field, column in self.mapping.columns.items():
            found = lookup(column)
            if (found is not None and found != "") or field not in cells:
                cells[field] = found
        return cells.get

    def _title(
        self, cell: Lookup, key: str | None, direction: str | None, sender: str | None
    ) -> str:
        title = _text(cell("conversation"))
        if key is not None:
            title = self._titles.setdefault(key, title or key)
        if title:
            return title
        # No chat column: a one-to-one exchange is named after the other party.
        if direction == "incoming" and sender:
            return sender
        if direction == "outgoing":
            recipients = self._list(cell("recipients"))
            if recipients:
                return ", ".join(recipients)
        return self.default_title

    def _list(self, value: object) -> list[str]:
        """Several names in one cell: a JSON list, or text split by the list separator."""
        if isinstance(value, list):
            return [item for item in (_text(v).strip() for v in value) if item]
        text = _text(value)
        if not text:
            return []
        parts = _SEPARATORS.sub(self.mapping.list_separator, text)
        return [p.strip() for p in parts.split(self.mapping.list_separator) if p.strip()]


def _text(value: object) -> str:
    """A cell as text: strings exactly as read; JSON numbers and flags as JSON writes them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list):  # rich text given as pieces
        return "".join(_text(v.get("text") if isinstance(v, dict) else v) for v in value)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"])
    return json.dumps(value, ensure_ascii=False)


def _direction(value: str) -> str | None:
    word = value.strip().lower()
    if word in _OUTGOING:
        return "outgoing"
    if word in _INCOMING:
        return "incoming"
    return None


def _kind(value: str, body: str, attachments: list[str]) -> str:
    word = value.strip().lower()
    if word in MESSAGE_KINDS and word != "email":
        return word
    if word in _KIND_WORDS:
        kind = _KIND_WORDS[word]
        return "media" if kind == "text" and attachments and not body else kind
    return "media" if attachments and not body else "text"
