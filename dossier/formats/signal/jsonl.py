"""Signal chats as signal-export (sigexport) writes them in ``data.json``: one JSON object per
line (JSON Lines), in the order of the chat.

Each object holds ``date`` (ISO 8601 wall-clock time of the exporting computer, no zone),
``sender``, ``body`` (with sigexport's two trailing spaces), ``quote`` (the quoted reply,
formatted as Markdown: ``"\\n\\n> text\\n\\n"``), ``sticker``, ``reactions`` (``[name, emoji]``
pairs), ``attachments`` (``{"name", "path"}``), ``deleted``, ``call``, ``missed``, and in later
versions ``edits`` (the earlier versions of an edited message: ``{"date", "body"}``). Signal's
own message ids are not exported, so replies cannot be tied to the message they quote: the
quote is kept in the details.

A line that is not such an object becomes a ParseIssue and the lines after it are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.signal.common import chat_title, file_names
from dossier.formats.signal.lines import Line, NotAMessage, Prefixed, json_line_records
from dossier.model import ChatDetails, MessageRecord, ParseRecord, SourceFact

# Keys every sigexport message object has; a line lacking them is not one of its messages.
REQUIRED = ("date", "sender", "body")


def parse_jsonl(
    stream: BinaryIO | Prefixed, filename: str, options: ParseOptions
) -> Iterator[ParseRecord]:
    title = chat_title(filename, options)
    yield SourceFact("encoding", "utf-8")
    yield SourceFact("signal_layout", "jsonl")
    yield from json_line_records(
        stream, lambda item, line, start, end: _message(item, title, line, start, end)
    )


def _message(item: Any, title: str, line: Line, start: int, end: int) -> MessageRecord:
    if not isinstance(item, dict) or any(key not in item for key in REQUIRED):
        raise NotAMessage(f"a JSON object with {', '.join(REQUIRED)} was expected")
    date = item["date"]
    if not isinstance(date, str):
        raise NotAMessage("its date is not text")
    try:
        local = datetime.fromisoformat(date)
    except ValueError:
        raise NotAMessage(f"unreadable date {date!r}") from None
    if local.tzinfo is not None:  # sigexport writes wall-clock time; keep the reading as written
        local = local.replace(tzinfo=None)
    body = _text(item.get("body"))
    attachments = file_names(item.get("attachments"), ("name", "fileName", "path"))
    edits: list[Any] = item["edits"] if isinstance(item.get("edits"), list) else []
    return MessageRecord(
        conversation=title,
        sender=_text(item.get("sender")) or None,
        kind=_kind(item, body, attachments),
        body=body,
        header_text=date,
        local_time=local,
        has_seconds=True,
        line_start=line.number,
        line_end=line.number,
        byte_start=start,
        byte_end=end,
        attachments=attachments,
        edited=bool(edits),
        details=_details(item, edits),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _kind(item: dict[str, Any], body: str, attachments: tuple[str, ...]) -> str:
    if item.get("deleted") is True:
        return "deleted"
    if item.get("call") is True:
        return "call"
    if not body.strip() and (attachments or item.get("sticker")):
        return "media"
    return "text"


def _reactions(value: Any) -> tuple[tuple[str, str], ...]:
    """(emoji, who) from ``[name, emoji]`` pairs (or ``{"name", "emoji"}`` objects)."""
    if not isinstance(value, list):
        return ()
    pairs = []
    for entry in value:
        if isinstance(entry, list) and len(entry) == 2:
            who, emoji = entry
        elif isinstance(entry, dict):
            who, emoji = entry.get("name"), entry.get("emoji")
        else:
            continue
        if isinstance(who, str) and isinstance(emoji, str):
            pairs.append((emoji, who))
    return tuple(pairs)


def _quote(value: Any) -> str:
    """The quoted text without sigexport's Markdown (empty lines around, ``> `` before)."""
    text = _text(value).strip("\n")
    return "\n".join(ln[2:] if ln.startswith("> ") else ln.lstrip(">") for ln in text.split("\n"))


def _details(item: dict[str, Any], edits: list[Any]) -> ChatDetails | None:
    structure: dict[str, Any] = {}
    quote = _quote(item.get("quote"))
    if quote:
        structure["quote"] = quote
    if item.get("sticker"):
        structure["sticker"] = item["sticker"]
    if edits:
        structure["edits"] = edits  # the earlier versions, oldest first, as exported
    if item.get("missed") is True:
        structure["missed"] = True
    reactions = _reactions(item.get("reactions"))
    if not structure and not reactions:
        return None
    return ChatDetails(
        reactions=reactions,
        structure=json.dumps(structure, ensure_ascii=False) if structure else None,
    )
