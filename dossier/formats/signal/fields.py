"""Signal chats as sigtop writes them by default (``sigtop export-messages``, format "text"):
one ``.txt`` per chat, each message a block of ``Field: value`` lines, then its text::

    Conversation: Aya (+447700900123)

    From: Aya (+447700900123)
    Type: incoming
    Sent: Fri, 17 Sep 2021 18:36:12 +0200
    Received: Fri, 17 Sep 2021 18:36:13 +0200
    Attachment: map.jpg (image/jpeg, 5120 bytes)
    Reaction: 👍 from Jim (+447700900456)

    > From: Jim (+447700900456)
    > Sent: Fri, 17 Sep 2021 18:30:00 +0200
    >
    > the quoted text

    The message's own text,
    over as many lines as it has.

A name is followed by the account's phone number, user name or id in brackets ("You" is the
exporter). Times carry their UTC offset, so each is an exact instant. An edited message has
``Edited: N versions`` and then every version, newest first, each line behind ``| ``; its text
is the newest version's, and the whole history is kept in the details.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.signal.common import DEFAULT_TITLE
from dossier.formats.signal.desktop import SYSTEM_TYPES
from dossier.formats.signal.lines import UTF8_BOM, Line, Prefixed, content_end, lines
from dossier.model import ChatDetails, MessageRecord, ParseIssue, ParseRecord, SourceFact

FIELD = re.compile(r"(?P<name>[A-Z][a-z]+): (?P<value>.*)")
HEAD = re.compile(r"Conversation: [^\n]*\r?\n\r?\n(?:From: [^\n]*\r?\n)?Type: [a-z0-9-]+\r?\n")
NAMED = re.compile(r"(?P<name>.*) \((?P<detail>[^()]*)\)")
TIME_LAYOUT = "%a, %d %b %Y %H:%M:%S %z"


def sniff_fields(head: bytes) -> float:
    text = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    return 0.95 if HEAD.match(text.decode("utf-8", "replace")) else 0.0


@dataclass
class _Block:
    """One message's lines: its fields, then (after an empty line) quote and text."""

    lines: list[tuple[Line, str]] = field(default_factory=list)


def _text_of(line: Line) -> str:
    raw = line.raw[: content_end(line.raw)]
    if line.number == 1 and raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    return raw.decode("utf-8", "replace")


def _starts_message(previous: str | None, text: str, following: str | None) -> bool:
    """A message starts after an empty line, with From: followed by Type:, or with Type:."""
    if previous != "":
        return False
    if text.startswith("From: "):
        return following is not None and following.startswith("Type: ")
    return text.startswith("Type: ")


def _blocks(stream: BinaryIO | Prefixed) -> Iterator[tuple[Line, str] | _Block]:
    """The lines before the first message one by one, then each message's block."""
    window: list[tuple[Line, str]] = []
    block: _Block | None = None
    previous: str | None = None
    for line in lines(stream):
        window.append((line, _text_of(line)))
        if len(window) < 2:
            continue
        (current, text), (_, following) = window[0], window[1]
        window.pop(0)
        block, done = _place(block, current, text, previous, following)
        if done is not None:
            yield done
        previous = text
    for current, text in window:  # the last line has no line after it
        block, done = _place(block, current, text, previous, None)
        if done is not None:
            yield done
        previous = text
    if block is not None:
        yield block


def _place(
    block: _Block | None, line: Line, text: str, previous: str | None, following: str | None
) -> tuple[_Block | None, tuple[Line, str] | _Block | None]:
    if _starts_message(previous, text, following):
        return _Block([(line, text)]), block
    if block is None:
        return None, (line, text)
    block.lines.append((line, text))
    return block, None


def parse_fields(
    stream: BinaryIO | Prefixed, filename: str, options: ParseOptions
) -> Iterator[ParseRecord]:
    yield SourceFact("encoding", "utf-8")
    yield SourceFact("signal_layout", "sigtop-text")
    title = options.conversation
    for item in _blocks(stream):
        if isinstance(item, _Block):
            yield _message(item, title or DEFAULT_TITLE)
            continue
        line, text = item
        if text.startswith("Conversation: ") and title is None:
            title = _name(text.removeprefix("Conversation: "))[0]
        elif text.strip() and not text.startswith("Conversation: "):
            yield ParseIssue(
                "text before the first message", text, line.number, line.number, line.start
            )


def _name(value: str) -> tuple[str, str | None]:
    """("Aya", "+447700900123") from "Aya (+447700900123)"; the detail is None without one."""
    found = NAMED.fullmatch(value)
    return (found["name"], found["detail"]) if found else (value, None)


def _message(block: _Block, title: str) -> MessageRecord | ParseIssue:
    rows = block.lines
    if len(rows) > 1 and rows[-1][1] == "":
        rows = rows[:-1]  # the empty line that ends every message
    fields, rest = _fields(rows)
    first, last = rows[0][0], rows[-1][0]
    stamp = fields.get("Sent") or fields.get("Received")
    moment = _time(stamp) if stamp else None
    if moment is None:
        return ParseIssue(
            f"a message with no readable time ({stamp or 'none given'})",
            "\n".join(t for _, t in rows),
            first.number,
            last.number,
            first.start,
        )
    quote, text_rows = _quote(rest)
    history = [t for _, t in text_rows if t.startswith("|")]
    body = _newest_version(history) if history else "\n".join(t for _, t in text_rows)
    sender, account = _sender(fields)
    kind = _kind(fields.get("Type", ""), body, fields)
    return MessageRecord(
        conversation=title,
        sender=sender,
        kind=kind,
        body=body,
        header_text=stamp or "",
        local_time=moment.replace(tzinfo=None),
        has_seconds=True,
        line_start=first.number,
        line_end=last.number,
        byte_start=first.start + (len(UTF8_BOM) if first.raw.startswith(UTF8_BOM) else 0),
        byte_end=last.start + content_end(last.raw),
        attachments=tuple(_name(a)[0] for a in fields.all("Attachment")),
        edited="Edited" in fields,
        sent_utc=moment.astimezone(UTC),
        details=_details(fields, account, quote, history),
    )


class _Fields(dict[str, str]):
    """The message's fields (first value of each), and every value of repeated ones."""

    def __init__(self) -> None:
        super().__init__()
        self.repeated: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        self.setdefault(name, value)
        self.repeated.setdefault(name, []).append(value)

    def all(self, name: str) -> list[str]:
        return self.repeated.get(name, [])


def _fields(rows: list[tuple[Line, str]]) -> tuple[_Fields, list[tuple[Line, str]]]:
    fields = _Fields()
    for index, (_, text) in enumerate(rows):
        found = FIELD.fullmatch(text)
        if found is None:
            return fields, rows[index + 1 :] if text == "" else rows[index:]
        fields.add(found["name"], found["value"])
    return fields, []


def _quote(rows: list[tuple[Line, str]]) -> tuple[str | None, list[tuple[Line, str]]]:
    """The quoted message (its ``>`` lines) and the lines after it."""
    if not rows or not rows[0][1].startswith(">"):
        return None, rows
    quoted = []
    index = 0
    while index < len(rows) and rows[index][1].startswith(">"):
        quoted.append(rows[index][1][1:].removeprefix(" "))
        index += 1
    if index < len(rows) and rows[index][1] == "":
        index += 1
    return "\n".join(quoted), rows[index:]


def _newest_version(history: list[str]) -> str:
    """The text of the first version listed (the newest). Each version is made of parts
    divided by bare ``|`` lines: its fields, perhaps a quote (``| >`` lines), its text."""
    versions: list[list[list[str]]] = []
    for raw in history:
        if raw.startswith("| Version: "):
            versions.append([[]])
        elif raw == "|":
            if versions:
                versions[-1].append([])
        elif versions:
            versions[-1][-1].append(raw)
    if not versions:
        return ""
    texts = [part for part in versions[0][1:] if part and not part[0].startswith("| >")]
    return "\n".join(line[2:] for line in texts[0]) if texts else ""


def _time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, TIME_LAYOUT)
    except ValueError:
        return None


def _sender(fields: _Fields) -> tuple[str | None, str | None]:
    value = fields.get("From")
    if value is None:
        return None, None
    name, detail = _name(value)
    return name, detail


def _kind(kind: str, body: str, fields: _Fields) -> str:
    if kind in SYSTEM_TYPES:
        return "system"
    if kind == "call-history":
        return "call"
    if not body.strip() and fields.all("Attachment"):
        return "media"
    return "text"


def _details(
    fields: _Fields, account: str | None, quote: str | None, history: list[str]
) -> ChatDetails:
    reactions = []
    for value in fields.all("Reaction"):
        emoji, _, who = value.partition(" from ")
        reactions.append((emoji, who))
    structure: dict[str, object] = {"type": fields.get("Type", "")}
    if quote is not None:
        structure["quote"] = quote
    if history:
        structure["edit_history"] = "\n".join(history)
    newest = next((h.removeprefix("| Sent: ") for h in history if h.startswith("| Sent: ")), "")
    edited = _time(newest) if newest else None
    return ChatDetails(
        sender_id=account,
        edited_at=edited.astimezone(UTC) if edited else None,
        reactions=tuple(reactions),
        structure=json.dumps(structure, ensure_ascii=False),
    )
