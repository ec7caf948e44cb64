"""The records that flow through Dossier.

Parsers (``dossier.formats``) yield the *parse records* below; they know nothing of the case.
The case store turns them into stored rows and hands back the *case records*.

Parse records
    MessageRecord   one message as read from a source, text exactly as in the file
    ParseIssue      a line or item that could not be understood, with its raw text
    SourceFact      something learned about the whole source (encoding, date order, ...)

Case records
    Source, Conversation, Identity, Person, Message, Attachment
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

# The kinds of message a chat export can hold. Every line of an export becomes one of them.
MessageKind = Literal[
    "text",  # an ordinary authored message
    "system",  # group created, member added/left, subject/icon changed, encryption notice ...
    "media",  # a media item: omitted placeholder or a named attached file
    "deleted",  # "This message was deleted" and its locale spellings
    "poll",  # POLL: with OPTION lines
    "location",  # a shared (or live) location
    "call",  # missed voice / video call lines
    "contact",  # a shared contact card
    "view_once",  # disappearing / view-once content shown as "Name:."
    "email",  # an email message
]
MESSAGE_KINDS: tuple[str, ...] = (
    "text",
    "system",
    "media",
    "deleted",
    "poll",
    "location",
    "call",
    "contact",
    "view_once",
    "email",
)


class MessageRecord(NamedTuple):
    """One message as a parser read it.

    A NamedTuple rather than a frozen dataclass: parsers make millions of these and a
    NamedTuple is five times cheaper to build (0.3 µs against 1.4 µs), while just as immutable.

    ``body`` is the text exactly as in the file after the header (invisible characters kept;
    the line breaks inside a multi-line message are kept as they were, ``\\r\\n`` or ``\\n``).
    ``header_text`` is the timestamp part exactly as written, e.g. ``"[06/08/2016, 14:03:11]"``.
    ``local_time`` is the naive wall-clock time the header states; the zone is applied later.
    """

    conversation: str  # title as the export names it (from the file name or the content)
    sender: str | None  # the author exactly as written; None for authorless system lines
    kind: str  # one of MESSAGE_KINDS
    body: str
    header_text: str
    local_time: datetime
    has_seconds: bool
    line_start: int  # 1-based, inclusive
    line_end: int  # 1-based, inclusive
    byte_start: int  # offset of the first byte of the header line in the source file
    byte_end: int  # offset just past the last byte of the message (line break excluded)
    attachments: tuple[str, ...] = ()  # file names the message refers to
    edited: bool = False
    time_flags: tuple[str, ...] = ()  # e.g. ("impossible-12h",) when "23:59 PM" was read
    # The exact instant (aware, UTC) when the platform records one (Telegram's unixtime,
    # Slack's ts); then ``local_time`` is only the wall-clock text's reading and no zone is
    # guessed. None for exports that state local wall-clock time only (WhatsApp).
    sent_utc: datetime | None = None
    details: ChatDetails | None = None  # what richer platforms say beyond a WhatsApp line


@dataclass(frozen=True, slots=True)
class ChatDetails:
    """What a platform with ids and structure says about a message.

    Ids are the platform's own, as text, so a reply or a thread can be found again whatever
    the export. Everything is optional: a format fills what its export holds.
    """

    platform_id: str | None = None  # the message's id (Telegram id, Slack ts, ...)
    sender_id: str | None = None  # the author's account id ("user123", "U024BE7LH")
    conversation_key: str | None = None  # the chat's own id: one conversation across files
    reply_to: str | None = None  # platform id of the message this one answers
    thread: str | None = None  # platform id of the thread's parent (Slack thread_ts)
    forwarded_from: str | None = None  # who the forwarded message was first from
    edited_at: datetime | None = None  # aware, UTC
    reactions: tuple[tuple[str, str], ...] = ()  # (emoji or name, who reacted)
    mentions: tuple[str, ...] = ()  # people named with the platform's mention syntax
    structure: str | None = None  # the platform's rich-text structure (JSON), kept as read
    # The message as its platform shows it, when that differs from the exported text: markup
    # resolved (Slack's <@U123> as "@Maria Lopez"), an integration's attachment text. Searched
    # and shown beside the body; the body itself stays exactly as exported.
    readable: str | None = None


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """A part of a source that could not be understood. Nothing disappears silently."""

    reason: str
    raw: str
    line_start: int | None = None
    line_end: int | None = None
    byte_start: int | None = None
    severity: Literal["warning", "error"] = "warning"


@dataclass(frozen=True, slots=True)
class SourceFact:
    """A fact about the whole source, e.g. ``("encoding", "utf-16")``."""

    key: str
    value: str


class EmailRecord(NamedTuple):
    """One email found in a source. ``raw`` is its RFC 822 bytes exactly as stored; Outlook
    items that have no RFC 822 form come as ``parsed`` instead (raw None)."""

    raw: bytes | None
    folder: str  # folder path inside the mailbox, "" when there is none
    byte_start: int  # where ``raw`` sits in the source file (0 for a whole-file message)
    byte_end: int
    line_start: int | None = None  # 1-based, for text containers such as mbox
    line_end: int | None = None
    item: str | None = None  # the item's path or id inside a .pst/.msg
    parsed: Any = None  # a dossier.email.model.ParsedEmail for items with no raw form


ParseRecord = MessageRecord | ParseIssue | SourceFact | EmailRecord


# ---------------------------------------------------------------------------------------------
# Case records: what the store hands back.


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    sha256: str
    name: str  # the file name as supplied (for archive members: "export.zip!/_chat.txt")
    path: str  # where it was read from
    size: int
    format: str
    status: str  # "ok", "failed", "container", "attachment"
    custodian: str | None
    ingested_at: str  # ISO 8601 UTC
    parent_id: int | None = None
    facts: dict[str, str] = field(default_factory=dict)
    message_count: int = 0
    issue_count: int = 0


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    uid: str
    title: str
    platform: str
    message_count: int = 0


@dataclass(frozen=True, slots=True)
class Identity:
    id: int
    kind: str  # "name", "phone", "email", "handle"
    value: str
    person_id: int


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Attachment:
    id: int
    message_uid: str | None
    name: str
    sha256: str | None  # None when the export only names the file and did not include it
    size: int | None


@dataclass(frozen=True, slots=True)
class MessageCopy:
    """Where one copy of a message was read: a source and its line range."""

    source_id: int
    source_name: str
    source_sha256: str
    custodian: str | None
    sender_as_written: str | None
    header_text: str
    line_start: int
    line_end: int
    byte_start: int
    byte_end: int


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    uid: str
    conversation_uid: str
    conversation_title: str
    kind: str
    sender: str | None  # the person's name (or the name as written if no person yet)
    body: str  # exactly as read in the first copy
    sent_at: datetime  # aware, UTC
    local_text: str  # the header's timestamp text as written
    tz: str
    time_flags: tuple[str, ...]
    edited: bool
    copies: tuple[MessageCopy, ...] = ()
    attachments: tuple[Attachment, ...] = ()
