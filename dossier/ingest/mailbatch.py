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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dossier.errors import DossierError
from dossier.formats.base import MessageFormat
from dossier.ingest.emailrows import EmailRows, row_builder, write_email_rows
from dossier.ingest.entries import Entry
from dossier.ingest.mail import IssueRow
from dossier.ingest.mailready import ReadyFile
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
    """The rows of one batch besides the emails' own: the files, where they were found, their
    facts and issues."""

    blobs: list[tuple[str, int, bytes]] = field(default_factory=list)
    sources: list[tuple[Any, ...]] = field(default_factory=list)
    custody: list[tuple[int, str | None, str, str]] = field(default_factory=list)
    issues: list[tuple[Any, ...]] = field(default_factory=list)
    facts: list[tuple[int, str, str]] = field(default_factory=list)


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
                rows, files = self._write(pending)
        except RETRIED:
            for item in pending:
                self.slow(item.entry, item.fmt)
            return
        self._count(rows, files, len(pending))
        for item in pending:
            self.done(item.entry)

    def _count(self, rows: EmailRows, files: _Rows, count: int) -> None:
        summary = self.summary
        summary.mailboxes += count
        summary.issues += len(files.issues)
        summary.messages_new += rows.new
        summary.messages_merged += rows.copies_found
        self.stored += count

    def _write(self, pending: list[_Pending]) -> tuple[EmailRows, _Rows]:
        store = self.store
        first_message = store.max_message_id() + 1
        builder, firsts = row_builder(store, [item.ready.email for item in pending], first_message)
        files = _Rows()
        next_source = store.max_source_id() + 1
        for source_id, (item, (message_id, new)) in enumerate(
            zip(pending, firsts, strict=True), next_source
        ):
            builder.add(item.ready.email, message_id, new, source_id, item.ready.folder)
            self._add_file(files, item, source_id, new)
        store.put_blobs(files.blobs)
        store.add_mail_sources(files.sources)
        store.add_custody_rows(files.custody)
        rows = builder.rows
        write_email_rows(store, rows)
        store.add_issue_rows(files.issues)
        store.add_fact_rows(files.facts)
        if rows.new:
            last = first_message + rows.new - 1
            self.summary.near_duplicates += store.near_duplicates_between(first_message, last)
            store.index_later(first_message)
            store.index_pending()  # now, while the workers read on, not all at the commit
        return rows, files

    def _add_file(self, rows: _Rows, item: _Pending, source_id: int, new: bool) -> None:
        ready, entry = item.ready, item.entry
        issues: list[IssueRow] = list(ready.issues_before)
        if new:
            issues.extend(ready.email.issues)
        issues.extend(ready.issues_after)
        now = now_iso()
        rows.blobs.append((item.sha256, len(item.data), item.data))
        rows.sources.append(
            (source_id, item.sha256, entry.label, len(item.data), item.fmt.name,
             self.parent_id, self.tz, now, 1, int(new), int(not new), len(issues))
        )  # fmt: skip
        rows.custody.append((source_id, self.custodian, entry.path, now))
        rows.issues.extend((source_id, *issue) for issue in issues)
        rows.facts.extend((source_id, key, value) for key, value in ready.facts)
