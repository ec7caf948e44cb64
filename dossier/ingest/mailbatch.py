"""Store many one-email files at once: a few statements per table for hundreds of files.

The files of a mail folder come back from the prefetch workers with their rows ready
(``mailready``). Written one file at a time, each costs a savepoint and some fifteen
statements; here the files of a batch are written together, each table with one
``executemany``, as a transaction of their own (``fresh_transaction``: cheaper than a
savepoint for so many rows). A source is still stored whole or not at all: if anything in the
batch fails, the batch is undone and every file of it is stored again the usual way, one
savepoint each, so the file at fault is recorded as failed and the rest go in. The rows are
the same either way (the same ids, in the same order).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dossier.email.threads import NO_SUBJECT, lone_thread_uid
from dossier.errors import DossierError
from dossier.formats.base import MessageFormat
from dossier.ingest.entries import Entry
from dossier.ingest.mail import IdentityKey, IssueRow, Signatures, combine_signatures
from dossier.ingest.mailready import ReadyEmail, ReadyFile
from dossier.ingest.prefetch import PREFETCHED_FORMATS, MailPrefetch
from dossier.ingest.report import IngestSummary
from dossier.timeutil import now_iso

if TYPE_CHECKING:
    from dossier.store.sqlite import SqliteStore

FLUSH_FILES = 512  # files written together; what a batch holds stays a few MB
# What the usual path catches per file (see files.GroupIngest._ingest_chat): the same errors
# send a batch back to it.
RETRIED = (OSError, DossierError, UnicodeError, ValueError, sqlite3.DataError)


@dataclass
class _Pending:
    entry: Entry
    fmt: MessageFormat
    sha256: str
    data: bytes  # the original, as the worker read and hashed it
    ready: ReadyFile


@dataclass
class _Rows:
    """Every row of one batch, table by table, in the order the usual path writes them."""

    blobs: list[tuple[str, int, bytes]] = field(default_factory=list)
    sources: list[tuple[Any, ...]] = field(default_factory=list)
    custody: list[tuple[int, str | None, str, str]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    emails: list[list[Any]] = field(default_factory=list)
    recipients: list[tuple[int, str, int, int]] = field(default_factory=list)
    copies: list[tuple[Any, ...]] = field(default_factory=list)
    issues: list[tuple[Any, ...]] = field(default_factory=list)
    facts: list[tuple[int, str, str]] = field(default_factory=list)
    dkim: dict[int, Signatures] = field(default_factory=dict)  # emails already in the case
    new: int = 0  # emails stored
    copies_found: int = 0  # emails already in the case (or earlier in the batch)


_DKIM_AT = 13  # position of the dkim column in an emails row (then dkim_detail, arc)


class MailBatch:
    """Takes the group's one-email files as they come; writes them a batch at a time.

    ``slow`` stores one file the usual way (and counts it done); ``done`` counts a file done.
    """

    def __init__(
        self,
        store: SqliteStore,
        prefetch: MailPrefetch,
        summary: IngestSummary,
        custodian: str | None,
        tz: str,
        parent_id: int | None,
        slow: Callable[[Entry, MessageFormat], None],
        done: Callable[[Entry], None],
    ) -> None:
        self.store = store
        self.prefetch = prefetch
        self.summary = summary
        self.custodian = custodian
        self.tz = tz
        self.parent_id = parent_id
        self.slow = slow
        self.done = done
        self.pending: list[_Pending] = []
        self.shas: set[str] = set()
        self.stored = 0  # files this batch writer stored

    def take(self, entry: Entry, fmt: MessageFormat) -> bool:
        """Queue ``entry`` if it is a new one-email file the workers read; False: store it
        the usual way (after ``flush``, so that the case sees every file in order)."""
        if not entry.on_disk or entry.member_name or fmt.name not in PREFETCHED_FORMATS:
            return False
        prepared = self.prefetch.result(entry.path)
        if prepared is None or prepared.ready is None or prepared.sha256 in self.shas:
            return False
        if self.store.has_source(prepared.sha256):
            return False  # already in the case, or failed before: the usual path knows
        self.pending.append(_Pending(entry, fmt, prepared.sha256, prepared.data, prepared.ready))
        self.shas.add(prepared.sha256)
        if len(self.pending) >= FLUSH_FILES:
            self.flush()
        return True

    def flush(self) -> None:
        """Write what is queued; on failure, store each queued file the usual way."""
        pending, self.pending = self.pending, []
        self.shas.clear()
        if not pending:
            return
        try:
            with self.store.fresh_transaction():
                rows = self._write(pending)
        except RETRIED:
            for item in pending:
                self.slow(item.entry, item.fmt)
            return
        self._count(rows, len(pending))
        for item in pending:
            self.done(item.entry)

    def _count(self, rows: _Rows, files: int) -> None:
        summary = self.summary
        summary.mailboxes += files
        summary.issues += len(rows.issues)
        summary.messages_new += rows.new
        summary.messages_merged += rows.copies_found
        self.stored += files

    def _write(self, pending: list[_Pending]) -> _Rows:
        store = self.store
        first_message = store.max_message_id() + 1
        known = store.emails_by_content([p.ready.email.content_hash for p in pending])
        firsts = _first_copies(pending, known, first_message)
        identities = store.identities(_identity_keys(pending, firsts))
        conversations = _lone_threads(store, pending, firsts)
        writer = _BatchRows(store, conversations, store.max_source_id() + 1, identities)
        for item, (message_id, new) in zip(pending, firsts, strict=True):
            writer.add_file(item, message_id, new, self)
        rows = writer.rows
        store.put_blobs(rows.blobs)
        store.add_mail_sources(rows.sources)
        store.add_custody_rows(rows.custody)
        store.insert_email_messages(rows.messages, [tuple(e) for e in rows.emails])
        store.mark_unthreaded([row[0] for row in rows.messages])
        store.insert_recipient_rows(rows.recipients)
        store.add_further_copies(rows.copies)
        store.set_dkim_rows([(*signed, mid) for mid, signed in rows.dkim.items()])
        store.add_issue_rows(rows.issues)
        store.add_fact_rows(rows.facts)
        if rows.new:
            last = first_message + rows.new - 1
            self.summary.near_duplicates += store.near_duplicates_between(first_message, last)
            store.index_later(first_message)
            store.index_pending()  # now, while the workers read on, not all at the commit
        return rows


def _first_copies(
    pending: list[_Pending], known: dict[str, int], next_message: int
) -> list[tuple[int, bool]]:
    """For each file's email: (its message id, True) when new, in the order the files come;
    (the id of the email it copies, False) when the case or an earlier file has it already."""
    found: list[tuple[int, bool]] = []
    batch: dict[str, int] = {}
    for item in pending:
        content = item.ready.email.content_hash
        first = known.get(content) or batch.get(content)
        if first is None:
            batch[content] = next_message
            found.append((next_message, True))
            next_message += 1
        else:
            found.append((first, False))
    return found


def _lone_threads(
    store: SqliteStore, pending: list[_Pending], firsts: list[tuple[int, bool]]
) -> dict[int, int]:
    """Each new email's message id -> the conversation its own headers point at (made as the
    usual path makes it: in the order the emails come, titled by the first)."""
    keys: list[int] = []
    uids: list[str] = []
    titles: list[str] = []
    for item, (message_id, new) in zip(pending, firsts, strict=True):
        if new:
            email = item.ready.email
            keys.append(message_id)
            uids.append(
                lone_thread_uid(message_id, email.message_id, email.in_reply_to, email.references)
            )
            titles.append(email.subject or NO_SUBJECT)
    ids = store.email_conversations(uids, titles, now_iso()) if uids else []
    return dict(zip(keys, ids, strict=True))


def _identity_keys(pending: list[_Pending], firsts: list[tuple[int, bool]]) -> list[IdentityKey]:
    """Every identity the batch names, in the order the usual path looks them up (so new
    ones get the same ids): a copy's sender; a new email's sender, then its recipients."""
    keys: list[IdentityKey] = []
    for item, (_, new) in zip(pending, firsts, strict=True):
        email = item.ready.email
        if email.sender is not None:
            keys.append(email.sender)
        if new:
            keys.extend(key for _, _, key in email.recipients)
    return keys


class _BatchRows:
    """Turns ready files into rows, handing out source ids as the usual path would."""

    def __init__(
        self,
        store: SqliteStore,
        conversations: Mapping[int, int],
        next_source: int,
        identities: Mapping[tuple[str, str, str], int],
    ) -> None:
        self.store = store
        self.conversations = conversations  # new email's message id -> its conversation
        self.next_source = next_source
        self.identities = identities
        self.rows = _Rows()
        self.batch_rows: dict[int, list[Any]] = {}  # message id -> its emails row

    def add_file(self, item: _Pending, message_id: int, new: bool, batch: MailBatch) -> None:
        ready, entry = item.ready, item.entry
        rows = self.rows
        source_id = self.next_source
        self.next_source += 1
        email = ready.email
        issues: list[IssueRow] = list(ready.issues_before)
        if new:
            self._message(message_id, source_id, email, ready.folder)
            issues.extend(email.issues)
        else:
            self._copy(message_id, source_id, email)
        issues.extend(ready.issues_after)
        now = now_iso()
        rows.blobs.append((item.sha256, len(item.data), item.data))
        rows.sources.append(
            (source_id, item.sha256, entry.label, len(item.data), item.fmt.name,
             batch.parent_id, batch.tz, now, 1, int(new), int(not new), len(issues))
        )  # fmt: skip
        rows.custody.append((source_id, batch.custodian, entry.path, now))
        rows.issues.extend((source_id, *issue) for issue in issues)
        rows.facts.extend((source_id, key, value) for key, value in ready.facts)

    def _identity(self, key: IdentityKey | None) -> int | None:
        return None if key is None else self.identities[key[:3]]

    def _message(self, message_id: int, source_id: int, email: ReadyEmail, folder: str) -> None:
        rows = self.rows
        conversation = self.conversations[message_id]
        rows.messages.append(
            (message_id, email.uid, conversation, "email", self._identity(email.sender),
             email.text, email.searchable, email.sent_at, email.date_text, email.zone, 1,
             email.time_flags, 0, source_id, email.line_start, email.line_end, email.byte_start,
             email.byte_end)
        )  # fmt: skip
        row = [
            message_id, email.subject, email.message_id, email.in_reply_to, email.references,
            email.headers_raw, email.html, email.new_text, folder, None, email.content_hash,
            email.text_hash, None, *email.signatures,
        ]  # fmt: skip
        rows.emails.append(row)
        self.batch_rows[message_id] = row
        rows.recipients.extend(
            (message_id, role, self.identities[key[:3]], position)
            for role, position, key in email.recipients
        )
        rows.new += 1

    def _copy(self, message_id: int, source_id: int, email: ReadyEmail) -> None:
        """Another copy of an email already stored: where it was found, and its DKIM."""
        self._combine_dkim(message_id, email.signatures)
        self.rows.copies.append(
            (message_id, source_id, self._identity(email.sender), email.date_text,
             email.line_start, email.line_end, email.byte_start, email.byte_end)
        )  # fmt: skip
        self.rows.copies_found += 1

    def _combine_dkim(self, message_id: int, copy: Signatures) -> None:
        """As ``mail._MailLoader._add_copy_dkim``: keep the most telling result, and say why."""
        row = self.batch_rows.get(message_id)
        if row is not None:
            old = Signatures(*row[_DKIM_AT : _DKIM_AT + 3])
        else:
            old = self.rows.dkim.get(message_id) or Signatures(*self.store.get_dkim(message_id))
        combined = combine_signatures(old, copy)
        if combined == old:
            return
        if row is not None:
            row[_DKIM_AT : _DKIM_AT + 3] = combined
        else:
            self.rows.dkim[message_id] = combined
