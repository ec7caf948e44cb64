"""Turn one chat export's parse records into stored messages, copies and issues.

Runs inside the caller's transaction: a source is stored whole or not at all. Rows go to the
store in batches of plain tuples; ids are assigned here so copies and attachments can refer to
their message without a round trip.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from dossier.formats.base import MessageFormat, ParseOptions
from dossier.model import MessageRecord, ParseIssue, SourceFact
from dossier.store.sqlite import SqliteStore
from dossier.textnorm import search_text
from dossier.timeutil import LocalToUtc, now_iso

BATCH = 5000
MAX_ISSUE_RAW = 4096

# A display name that is really a phone number: the contact was not saved on that phone.
_PHONE_NAME = re.compile(r"^[~\s\u200e\u200f\u202a-\u202e\u2066-\u2069]*\+?[\d\s\-().\u00a0]{7,}$")


@dataclass
class ChatContext:
    source_id: int
    source_sha: str
    identity_context: str  # whose phone: the custodian, or the export's hash
    tz: str
    attachment_sources: dict[str, int]  # file name -> source id, for files beside the chat
    options: ParseOptions


@dataclass
class ChatResult:
    messages: int = 0
    issues: int = 0
    conversations: dict[str, int] = field(default_factory=dict)  # title -> id
    facts: dict[str, str] = field(default_factory=dict)
    first_id: int = 0


def phone_value(name: str) -> str | None:
    """'+34 612 34 56 78' -> '+34612345678'; None if the name is not a phone number."""
    if not _PHONE_NAME.match(name):
        return None
    digits = "".join(ch for ch in name if ch.isdigit())
    if len(digits) < 7:
        return None
    return ("+" if "+" in name else "") + digits


def uid_prefix(source_sha: str) -> str:
    return "m" + source_sha[:10] + "-"


def message_uid(source_sha: str, byte_start: int) -> str:
    """Stable id: the file's hash and where the message starts in it, e.g. m3fa9c2d1e0-18234.

    The same file read again gives the same id whatever else the case holds, and the id itself
    says where to look.
    """
    return uid_prefix(source_sha) + str(byte_start)


def conversation_uid(source_sha: str, title: str) -> str:
    digest = hashlib.blake2b(f"{source_sha}:{title}".encode(), digest_size=6).hexdigest()
    return "c" + digest


class _ChatLoader:
    def __init__(self, store: SqliteStore, fmt: MessageFormat, ctx: ChatContext) -> None:
        self.store = store
        self.fmt = fmt
        self.ctx = ctx
        self.to_utc = LocalToUtc(ctx.tz)
        self.result = ChatResult()
        self.next_id = store.max_message_id() + 1
        self.result.first_id = self.next_id
        self.senders: dict[tuple[str, str], int | None] = {}
        self.messages: list[tuple[Any, ...]] = []
        self.copies: list[tuple[Any, ...]] = []
        self.attachments: list[tuple[int, str, int | None]] = []
        self.issues: list[tuple[Any, ...]] = []
        self.seq = 0
        self.uid_prefix = uid_prefix(ctx.source_sha)

    def run(self, records: Iterable[MessageRecord | ParseIssue | SourceFact]) -> ChatResult:
        for record in records:
            if type(record) is MessageRecord:
                self._add_message(record)
                if len(self.messages) >= BATCH:
                    self._flush()
            elif isinstance(record, ParseIssue):
                self._add_issue(record)
            elif isinstance(record, SourceFact):
                self.result.facts[record.key] = record.value
        self._flush()
        if self.issues:
            self.result.issues += self.store.add_issues(self.ctx.source_id, self.issues)
        self.store.add_facts(self.ctx.source_id, self.result.facts.items())
        if self.result.messages:
            self.store.index_messages_from(self.result.first_id)
        return self.result

    def _conversation(self, title: str) -> int:
        found = self.result.conversations.get(title)
        if found is None:
            found = self.store.add_conversation(
                conversation_uid(self.ctx.source_sha, title), self.fmt.platform, title, now_iso()
            )
            self.result.conversations[title] = found
        return found

    def _sender(self, name: str | None, kind: str, title: str) -> int | None:
        if name is None:
            return None
        key = (name, kind if kind == "system" else "")
        if key in self.senders:
            return self.senders[key]
        sender_id: int | None
        if kind == "system" and name == title:
            # Newer iOS exports write the group's name as the author of system lines.
            sender_id = None
        else:
            phone = phone_value(name)
            if phone:
                sender_id = self.store.identity("phone", phone, "")
            else:
                sender_id = self.store.identity("name", name, self.ctx.identity_context)
        self.senders[key] = sender_id
        return sender_id

    def _add_message(self, rec: MessageRecord) -> None:
        conversation_id = self._conversation(rec.conversation)
        sender_id = self._sender(rec.sender, rec.kind, rec.conversation)
        sent_at, dst_flag = self.to_utc.convert(rec.local_time)
        flags = (*rec.time_flags, dst_flag) if dst_flag else rec.time_flags
        message_id = self.next_id
        self.next_id += 1
        searchable = search_text(rec.body)
        self.messages.append(
            (
                message_id,
                self.uid_prefix + str(rec.byte_start),
                conversation_id,
                rec.kind,
                sender_id,
                rec.body,
                searchable,
                sent_at,
                rec.header_text,
                self.ctx.tz,
                int(rec.has_seconds),
                ",".join(flags),
                int(rec.edited),
            )
        )
        self.copies.append(
            (
                message_id,
                self.ctx.source_id,
                self.seq,
                sender_id,
                rec.header_text,
                rec.line_start,
                rec.line_end,
                rec.byte_start,
                rec.byte_end,
            )
        )
        self.seq += 1
        for name in rec.attachments:
            self.attachments.append((message_id, name, self._attachment_source(name)))

    def _attachment_source(self, name: str) -> int | None:
        found = self.ctx.attachment_sources.get(name)
        if found is None:
            found = self.ctx.attachment_sources.get(name.strip().strip("\u200e"))
        return found

    def _add_issue(self, issue: ParseIssue) -> None:
        raw = issue.raw
        if len(raw) > MAX_ISSUE_RAW:
            raw = raw[:MAX_ISSUE_RAW] + f"… [{len(issue.raw):,} characters in all]"
        self.issues.append(
            (issue.severity, issue.reason, raw, issue.line_start, issue.line_end, issue.byte_start)
        )
        if len(self.issues) >= BATCH:
            self.result.issues += self.store.add_issues(self.ctx.source_id, self.issues)
            self.issues = []

    def _flush(self) -> None:
        if not self.messages:
            return
        self.store.insert_messages(self.messages)
        self.store.insert_copies(self.copies)
        if self.attachments:
            self.store.insert_attachments(self.attachments)
        self.result.messages += len(self.messages)
        self.messages, self.copies, self.attachments = [], [], []


def load_chat(
    store: SqliteStore,
    fmt: MessageFormat,
    stream: BinaryIO,
    filename: str,
    ctx: ChatContext,
    on_bytes: Callable[[int], None] | None = None,
) -> ChatResult:
    """Parse ``stream`` with ``fmt`` and store everything it yields."""
    source = cast(BinaryIO, _CountingReader(stream, on_bytes)) if on_bytes else stream
    loader = _ChatLoader(store, fmt, ctx)
    return loader.run(fmt.parse(source, filename, ctx.options))


class _CountingReader:
    """A read-only stream that reports how many bytes were read, for the progress bar."""

    def __init__(self, inner: BinaryIO, on_bytes: Callable[[int], None]) -> None:
        self._inner = inner
        self._on_bytes = on_bytes

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        self._on_bytes(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        n = self._inner.readinto(buffer)  # type: ignore[attr-defined]
        self._on_bytes(n or 0)
        return int(n or 0)

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
