"""Signal chats exported as text: ``[2019-05-29, 15:04] Aya: We're great!``.

This is signal-export's (sigexport) Markdown, ``chat.md`` (``index.md`` in its first
versions), which chat-miner and others read as "the Signal text export". Over its versions
sigexport wrote the time as ``2019-05-29, 15:04``, ``2019-05-29 15:04`` and
``2019-05-29 15:04:05``, in the exporting computer's zone. A message runs from its header line
to the line before the next header; sigexport ends each with two spaces (a Markdown line break)
and separates messages with an empty line, which belongs to no message. Inside a message it
writes a quoted reply first (an empty line, ``> `` lines, an empty line), then the text, then a
``(- Name: emoji -)`` reactions line, then links to the attachments in ``./media/``.

The body is everything after ``Name: `` exactly as written; the quote and the reactions are
also given apart, in the message's details.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.signal.common import (
    ATTACHMENT_LINK,
    DELETED_TEXT,
    REACTIONS_LINE,
    chat_title,
    reactions_in,
)
from dossier.formats.signal.lines import UTF8_BOM, Line, Prefixed, content_end, lines
from dossier.model import ChatDetails, MessageRecord, ParseIssue, ParseRecord, SourceFact

HEADER = re.compile(
    r"\[(?P<date>\d{4}-\d{2}-\d{2})(?P<comma>,?) (?P<time>\d{2}:\d{2}(?::\d{2})?)\] "
    r"(?P<sender>[^\n]*?):(?: |(?=\r?\n?$))"
)
# A quoted reply: an empty line, the quoted lines, an empty line, then the text.
QUOTE = re.compile(r"\r?\n\r?\n((?:> [^\n]*\n)+)\r?\n")


@dataclass
class _Pending:
    """The message being read: its header line and the lines that follow it."""

    first: Line
    header: re.Match[str]
    text: str  # the header line's decoded text
    more: list[tuple[Line, str]] = field(default_factory=list)
    blank_tail: int = 0  # empty lines at the end so far: separators unless text follows

    def add(self, line: Line, text: str) -> None:
        self.more.append((line, text))
        self.blank_tail = self.blank_tail + 1 if not text.strip("\r\n") else 0


def decode(line: Line, first: bool) -> tuple[str, bool]:
    """A line's text; False when it is not valid UTF-8 (then read with replacements)."""
    raw = line.raw[len(UTF8_BOM) :] if first and line.raw.startswith(UTF8_BOM) else line.raw
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace"), False


def parse_text(
    stream: BinaryIO | Prefixed, filename: str, options: ParseOptions
) -> Iterator[ParseRecord]:
    title = chat_title(filename, options)
    yield SourceFact("encoding", "utf-8")
    yield SourceFact("signal_layout", "text")
    pending: _Pending | None = None
    for line in lines(stream):
        text, valid = decode(line, line.number == 1)
        if not valid:
            yield ParseIssue(
                f"line {line.number} is not valid UTF-8 (a damaged or cut file?); read with "
                "replacement characters",
                line.raw.decode("latin-1"),
                line.number,
                line.number,
                line.start,
            )
        header = HEADER.match(text)
        if header is not None:
            if pending is not None:
                yield _finish(pending, title)
            pending = _Pending(line, header, text)
        elif pending is not None:
            pending.add(line, text)
        elif text.strip():
            yield ParseIssue(
                "text before the first message", text, line.number, line.number, line.start
            )
    if pending is not None:
        yield _finish(pending, title)


def _finish(msg: _Pending, title: str) -> MessageRecord | ParseIssue:
    """The message whose lines are all read (its trailing empty lines are separators)."""
    kept = msg.more[: len(msg.more) - msg.blank_tail]
    last_line, last_text = kept[-1] if kept else (msg.first, msg.text)
    head = msg.header
    bom = len(UTF8_BOM) if msg.first.number == 1 and msg.first.raw.startswith(UTF8_BOM) else 0
    body_parts = [msg.text[head.end() :]] + [t for _, t in kept]
    body = "".join(body_parts)
    body = body[: len(body) - _break_length(last_text)]
    header_text = msg.text[: head.end("time") + 1]
    try:
        local = datetime.fromisoformat(f"{head['date']}T{head['time']}")
    except ValueError:
        raw = "".join([msg.text] + [t for _, t in kept])
        return ParseIssue(
            f"a message header with an impossible date or time: {header_text}",
            raw,
            msg.first.number,
            last_line.number,
            msg.first.start,
        )
    return MessageRecord(
        conversation=title,
        sender=head["sender"],
        kind=_kind(body),
        body=body,
        header_text=header_text,
        local_time=local,
        has_seconds=len(head["time"]) == 8,
        line_start=msg.first.number,
        line_end=last_line.number,
        byte_start=msg.first.start + bom,
        byte_end=last_line.start + content_end(last_line.raw),
        attachments=tuple(m.group(1) for m in ATTACHMENT_LINK.finditer(body)),
        details=_details(body),
    )


def _break_length(text: str) -> int:
    return 2 if text.endswith("\r\n") else 1 if text.endswith("\n") else 0


def _kind(body: str) -> str:
    own = body.strip()
    if own == DELETED_TEXT:
        return "deleted"
    if own and not ATTACHMENT_LINK.sub("", own).strip():
        return "media"
    return "text"


def _details(body: str) -> ChatDetails | None:
    """The quoted reply and the reactions, when the message has them."""
    structure: dict[str, str] = {}
    quote = QUOTE.match(body)
    if quote is not None:
        structure["quote"] = "\n".join(
            ln[2:] for ln in quote.group(1).replace("\r", "").splitlines()
        )
    reactions = reactions_in(body)
    if reactions:
        match = list(REACTIONS_LINE.finditer(body))[-1]
        structure["reactions_line"] = match.group(0).lstrip("\r\n")
    if not structure:
        return None
    return ChatDetails(reactions=reactions, structure=json.dumps(structure, ensure_ascii=False))
