"""Parse records to table rows, without touching the case.

This half of loading a chat is pure Python work (parsing, normalising, time conversion), so it
can run in a worker process while the main process writes to the database. Rows refer to
senders and conversations by *local* numbers; the writer maps them to the case's ids.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from dossier.formats.base import MessageFormat, ParseOptions
from dossier.model import ChatDetails, MessageRecord, ParseIssue, SourceFact
from dossier.people.phones import e164, region_of_zone
from dossier.textnorm import search_text
from dossier.timeutil import LocalToUtc

BATCH = 5000
MAX_ISSUE_RAW = 4096

# A display name that is really a phone number: the contact was not saved on that phone.
_MARKS = "\u200e\u200f\u202a-\u202e\u2066-\u2069"  # iOS wraps numbers in direction marks
_PHONE_NAME = re.compile(rf"^[~\s{_MARKS}]*\+?[\d\s\-().\u00a0]{{7,}}[\s{_MARKS}]*$")


def phone_value(name: str, region: str | None = None) -> str | None:
    """'+34 612 34 56 78' -> '+34612345678' (E.164; a number without its country code is
    placed in ``region``); None if the name is not a phone number. A number that cannot be
    placed keeps its digits as written (with its '+', if any)."""
    if not _PHONE_NAME.match(name):
        return None
    digits = "".join(ch for ch in name if ch.isdigit())
    if len(digits) < 7:
        return None
    written = ("+" if "+" in name else "") + digits
    return e164(written, region) or written


def uid_prefix(source_sha: str) -> str:
    return "m" + source_sha[:10] + "-"


def message_uid(source_sha: str, byte_start: int) -> str:
    """Stable id: the file's hash and where the message starts in it, e.g. m3fa9c2d1e0-18234.

    The same file read again gives the same id whatever else the case holds, and the id itself
    says where to look.
    """
    return uid_prefix(source_sha) + str(byte_start)


@dataclass(frozen=True)
class RowPlan:
    """What the row builder needs to know; plain data, so a worker process can have it."""

    source_id: int
    source_sha: str
    tz: str
    first_id: int  # the id the first message gets; the rest follow in file order
    attachment_sources: dict[str, int]  # file name -> source id, for files beside the chat
    options: ParseOptions
    platform: str = "whatsapp"  # names the account ids a format gives ("telegram:user42")
    phone_region: str | None = None  # for numbers without a country code; else the zone's


@dataclass
class Batch:
    """One slice of a chat's rows. Senders and conversations first seen in it are declared."""

    # local, kind, value, display name (for account ids: the name they wrote under)
    new_senders: list[tuple[int, str | None, str, str | None]] = field(default_factory=list)
    # local, title, the platform's own id for the chat (None: the chat is this source's)
    new_conversations: list[tuple[int, str, str | None]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    details: list[tuple[Any, ...]] = field(default_factory=list)  # see insert_details
    attachments: list[tuple[int, str, int | None]] = field(default_factory=list)
    issues: list[tuple[Any, ...]] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    bytes_read: int = 0  # since the previous batch, for the progress bar


class RowBuilder:
    def __init__(self, plan: RowPlan) -> None:
        self.plan = plan
        self.to_utc = LocalToUtc(plan.tz)
        self.next_id = plan.first_id
        self.uid_prefix = uid_prefix(plan.source_sha)
        self.senders: dict[tuple[str, bool, str | None], int] = {}
        self.region = plan.phone_region or region_of_zone(plan.tz)
        self.conversations: dict[tuple[str, str | None], int] = {}
        self.batch = Batch()

    def build(self, records: Iterator[Any], bytes_read: Callable[[], int]) -> Iterator[Batch]:
        for record in records:
            if type(record) is MessageRecord:
                self._message(record)
                if len(self.batch.messages) >= BATCH:
                    yield self._take(bytes_read())
            elif isinstance(record, ParseIssue):
                self._issue(record)
            elif isinstance(record, SourceFact):
                self.batch.facts[record.key] = record.value
        yield self._take(bytes_read())

    def _take(self, nbytes: int) -> Batch:
        batch, self.batch = self.batch, Batch()
        batch.bytes_read = nbytes
        return batch

    def _conversation(self, title: str, key: str | None) -> int:
        local = self.conversations.get((title, key))
        if local is None:
            local = self.conversations[(title, key)] = len(self.conversations)
            self.batch.new_conversations.append((local, title, key))
        return local

    def _sender(self, name: str | None, kind: str, title: str, account: str | None) -> int:
        """A local sender number; 0 means no sender (authorless or group-authored lines)."""
        if name is None and account is None:
            return 0
        key = (name or "", kind == "system", account)
        local = self.senders.get(key)
        if local is None:
            local = self.senders[key] = len(self.senders) + 1
            identity = _sender_identity(name, kind, title, account, self.region)
            self.batch.new_senders.append((local, *identity))
        return local

    def _message(self, rec: MessageRecord) -> None:
        details = rec.details
        account = None
        if details is not None:
            conversation = self._conversation(rec.conversation, details.conversation_key)
            if details.sender_id:
                account = f"{self.plan.platform}:{details.sender_id}"
        else:
            conversation = self._conversation(rec.conversation, None)
        sender = self._sender(rec.sender, rec.kind, rec.conversation, account)
        tz = self.plan.tz
        if rec.sent_utc is None:
            sent_at, dst_flag = self.to_utc.convert(rec.local_time)
            flags = (*rec.time_flags, dst_flag) if dst_flag else rec.time_flags
        else:
            sent_at, tz = exact_time(rec.sent_utc, rec.local_time)
            flags = rec.time_flags
        message_id = self.next_id
        self.next_id += 1
        batch = self.batch
        batch.messages.append(
            (
                message_id,
                self.uid_prefix + str(rec.byte_start),
                conversation,
                rec.kind,
                sender,
                rec.body,
                search_text(rec.body)
                if details is None or not details.readable
                else search_text(f"{rec.body}\n{details.readable}"),
                sent_at,
                rec.header_text,
                tz,
                int(rec.has_seconds),
                ",".join(flags),
                int(rec.edited),
                self.plan.source_id,
                rec.line_start,
                rec.line_end,
                rec.byte_start,
                rec.byte_end,
            )
        )
        for name in rec.attachments:
            batch.attachments.append((message_id, name, self._attachment_source(name)))
        if details is not None:
            batch.details.append(details_row(message_id, details))

    def _attachment_source(self, name: str) -> int | None:
        sources = self.plan.attachment_sources
        found = sources.get(name)
        if found is None:
            found = sources.get(name.strip().strip("\u200e"))
        location = self.plan.options.location
        if found is None and "/" in name and location:
            # A path relative to the chat's own file (Telegram's "photos/photo_1@....jpg").
            path = posixpath.join(posixpath.dirname(location), name)
            found = sources.get(posixpath.normpath(path))
        return found

    def _issue(self, issue: ParseIssue) -> None:
        raw = issue.raw
        if len(raw) > MAX_ISSUE_RAW:
            raw = raw[:MAX_ISSUE_RAW] + f"… [{len(issue.raw):,} characters in all]"
        self.batch.issues.append(
            (issue.severity, issue.reason, raw, issue.line_start, issue.line_end, issue.byte_start)
        )


def _sender_identity(
    name: str | None, kind: str, title: str, account: str | None, region: str | None
) -> tuple[str | None, str, str | None]:
    """(identity kind, value, display name) for a sender as the export writes it."""
    if account is not None:
        return "handle", account, name
    assert name is not None
    if kind == "system" and name == title:
        # Newer iOS exports write the group's name as the author of system lines.
        return None, name, None
    phone = phone_value(name, region)
    return ("phone", phone, None) if phone else ("name", name, None)


def exact_time(sent_utc: datetime, local_time: datetime) -> tuple[int, str]:
    """(epoch, zone) for a message whose platform records the instant. The zone is the offset
    between the export's wall-clock text and that instant (Telegram writes both), "+00:00"
    when they agree."""
    epoch = int(sent_utc.timestamp())
    minutes = round((local_time - sent_utc.replace(tzinfo=None)).total_seconds() / 60)
    if abs(minutes) > 18 * 60:  # not an offset: the wall-clock text says something else
        minutes = 0
    sign = "-" if minutes < 0 else "+"
    return epoch, f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def details_row(message_id: int, d: ChatDetails) -> tuple[Any, ...]:
    return (
        message_id,
        d.platform_id,
        d.sender_id,
        d.reply_to,
        d.thread,
        d.forwarded_from,
        int(d.edited_at.timestamp()) if d.edited_at else None,
        json.dumps([list(r) for r in d.reactions], ensure_ascii=False) if d.reactions else None,
        json.dumps(list(d.mentions), ensure_ascii=False) if d.mentions else None,
        d.structure,
        d.readable,
    )


class CountingReader:
    """A read-only stream that counts the bytes read, for the progress bar."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.count = 0
        self._reported = 0

    def taken(self) -> int:
        """Bytes read since the last call."""
        now, self._reported = self.count - self._reported, self.count
        return now

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        self.count += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        n = int(self._inner.readinto(buffer) or 0)  # type: ignore[attr-defined]
        self.count += n
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def seekable(self) -> bool:
        return self._inner.seekable()

    def readable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def batches(fmt: MessageFormat, stream: BinaryIO, filename: str, plan: RowPlan) -> Iterator[Batch]:
    """Parse ``stream`` and yield its rows in batches."""
    reader = CountingReader(stream)
    records = fmt.parse(reader, filename, plan.options)  # type: ignore[arg-type]
    yield from RowBuilder(plan).build(iter(records), reader.taken)
