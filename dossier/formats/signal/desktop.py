"""Signal Desktop's own message records, as sigtop (``sigtop export-messages -f json``) writes
them: one file per chat, a JSON array holding each message exactly as Signal Desktop stores it,
one message per line::

    [
    {"id":"…","conversationId":"…","type":"incoming","body":"…","sent_at":1631…,…},
    {"id":"…", …}
    ]

These records carry Signal's ids. A message is known by the time its sender's phone stamped it
(``sent_at``, milliseconds): a quoted reply names the message it quotes by that stamp
(``quote.id``), so ``sent_at`` is the platform id and replies are tied to what they answer.
``conversationId`` is the chat's id in that Signal Desktop. The sender is an account:
``sourceServiceId`` (older: ``sourceUuid``, oldest: ``source``, a phone number); the file holds
no names. Outgoing messages are the exporter's own ("You", as sigtop writes them).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.signal.common import DEFAULT_TITLE, file_names
from dossier.formats.signal.lines import UTF8_BOM, Line, NotAMessage, Prefixed, json_line_records
from dossier.model import ChatDetails, MessageRecord, ParseRecord, SourceFact

# The start of a sigtop JSON file: the array's bracket alone on the first line, then a message.
START = re.compile(rb'\[\r?\n\{"[^\n]*"(?:conversationId|sent_at)":')
OWN_SENDER = "You"
# Message types that are events in the chat rather than something someone wrote.
SYSTEM_TYPES = frozenset(
    {
        "group",
        "group-v1-migration",
        "group-v2-change",
        "keychange",
        "profile-change",
        "timer-notification",
        "universal-timer-notification",
        "change-number-notification",
        "chat-session-refreshed",
        "delivery-issue",
        "verified-change",
    }
)


def sniff_desktop(head: bytes) -> float:
    body = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    return 0.95 if START.match(body) else 0.0


def parse_desktop(
    stream: BinaryIO | Prefixed, filename: str, options: ParseOptions
) -> Iterator[ParseRecord]:
    title = options.conversation or posixpath.splitext(filename)[0] or DEFAULT_TITLE
    yield SourceFact("encoding", "utf-8")
    yield SourceFact("signal_layout", "signal-desktop-json")
    yield from json_line_records(
        stream, lambda item, line, start, end: _message(item, title, line, start, end)
    )


def _message(item: Any, title: str, line: Line, start: int, end: int) -> MessageRecord:
    if not isinstance(item, dict) or "type" not in item:
        raise NotAMessage("a message object with a type was expected")
    stamp = item.get("sent_at") or item.get("timestamp")
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        raise NotAMessage("it has no sent_at time")
    try:
        sent = datetime.fromtimestamp(stamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise NotAMessage(f"impossible sent_at {stamp}") from None
    text = item.get("body")
    body = text if isinstance(text, str) else ""
    account = _account(item)
    outgoing = item["type"] == "outgoing"
    return MessageRecord(
        conversation=title,
        sender=OWN_SENDER if outgoing and account is None else account,
        kind=_kind(item, body),
        body=body,
        header_text=str(stamp),
        local_time=sent.replace(tzinfo=None),
        has_seconds=True,
        line_start=line.number,
        line_end=line.number,
        byte_start=start,
        byte_end=end,
        attachments=file_names(item.get("attachments"), ("fileName", "path")),
        edited=_edits(item) > 1,
        sent_utc=sent,
        details=_details(item, stamp, account),
    )


def _account(item: dict[str, Any]) -> str | None:
    for key in ("sourceServiceId", "sourceUuid", "source"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _kind(item: dict[str, Any], body: str) -> str:
    kind = item["type"]
    if kind in SYSTEM_TYPES:
        return "system"
    if kind == "call-history":
        return "call"
    if item.get("deletedForEveryone") or item.get("isErased"):
        return "deleted"
    if item.get("isViewOnce"):
        return "view_once"
    if item.get("contact"):
        return "contact"
    if not body.strip() and (item.get("attachments") or item.get("sticker")):
        return "media"
    return "text"


def _edits(item: dict[str, Any]) -> int:
    history = item.get("editHistory")
    return len(history) if isinstance(history, list) else 0


def _edited_at(item: dict[str, Any]) -> datetime | None:
    """When the newest version was written (the history lists the newest first)."""
    if _edits(item) < 2:
        return None
    newest = item["editHistory"][0]
    stamp = newest.get("timestamp") if isinstance(newest, dict) else None
    if not isinstance(stamp, int):
        return None
    return datetime.fromtimestamp(stamp / 1000, UTC)


def _reactions(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        (r["emoji"], r["fromId"])
        for r in value
        if isinstance(r, dict)
        and isinstance(r.get("emoji"), str)
        and isinstance(r.get("fromId"), str)
    )


def _mentions(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for span in value:
        if isinstance(span, dict):
            who = span.get("mentionAci") or span.get("mentionUuid")
            if isinstance(who, str):
                found.append(who)
    return tuple(found)


def _details(item: dict[str, Any], stamp: int, account: str | None) -> ChatDetails:
    quote = item.get("quote") if isinstance(item.get("quote"), dict) else None
    reply_to = None
    if quote is not None and quote.get("id") is not None:
        reply_to = str(quote["id"])  # a number, or a number written as text in old records
    structure = {
        key: item[key]
        for key in ("type", "quote", "editHistory", "sticker", "bodyRanges", "id")
        if item.get(key)
    }
    conversation = item.get("conversationId")
    return ChatDetails(
        platform_id=str(stamp),
        sender_id=account,
        conversation_key=conversation if isinstance(conversation, str) and conversation else None,
        reply_to=reply_to,
        edited_at=_edited_at(item),
        reactions=_reactions(item.get("reactions")),
        mentions=_mentions(item.get("bodyRanges")),
        structure=json.dumps(structure, ensure_ascii=False),
    )
