"""Keeping a file's bytes in the case, and recording files that could not be read."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import TYPE_CHECKING, BinaryIO

from dossier.errors import DossierError
from dossier.ingest.entries import Entry
from dossier.ingest.report import IngestSummary, Progress
from dossier.store.sqlite import SqliteStore
from dossier.timeutil import now_iso

if TYPE_CHECKING:
    from dossier.case import Case
    from dossier.ingest import IngestOptions

HASH_CHUNK = 1024 * 1024
PROGRESS_MIN_BYTES = 4 * 1024 * 1024  # smaller files do not get a bar of their own


class FileKeeping:
    case: Case
    store: SqliteStore
    options: IngestOptions
    summary: IngestSummary
    progress: Progress

    def _kept(
        self, entry: Entry, parent_id: int | None, *, always_store: bool = False
    ) -> tuple[str, int, sqlite3.Row | None] | None:
        """(sha256, size, the source already stored with those bytes), or None if the entry
        could not be read (then recorded as failed)."""
        try:
            sha, size = self._keep(entry, always_store=always_store)
        except (OSError, DossierError) as exc:
            self._record_unreadable(entry, parent_id, exc)
            return None
        return sha, size, self.store.source_by_sha(sha)

    def _already_present(self, entry: Entry, existing: sqlite3.Row, messages: int) -> None:
        """The same bytes are in the case: only the new supply is recorded."""
        with self.store.transaction():
            self.store.add_custody(existing["id"], self.options.custodian, entry.path, now_iso())
        self.summary.already_present += 1
        self.summary.messages_already += messages

    def _keep(self, entry: Entry, *, always_store: bool = False) -> tuple[str, int]:
        """Hash the entry; originals on disk (and nested archives) are kept in objects/."""
        big = entry.size >= PROGRESS_MIN_BYTES
        if big:
            self.progress.begin(f"storing {entry.label}", entry.size)
        try:
            with entry.opener() as stream:
                if entry.on_disk or always_store:
                    return self.case.store_object(stream, self.progress.advance if big else None)
                return _hash_stream(stream)
        finally:
            if big:
                self.progress.end()

    def _reopen(self, entry: Entry, sha: str) -> BinaryIO:
        """Parse from the kept copy, never from a file that may change under us."""
        if entry.on_disk:
            return self.case.open_object(sha)
        return entry.opener()

    def _record_unreadable(self, entry: Entry, parent_id: int | None, exc: Exception) -> None:
        reason = _describe(exc)
        with self.store.transaction():
            source_id = self.store.add_source(
                sha256=None,
                name=entry.label,
                size=entry.size,
                role="other",
                status="failed",
                error=reason,
                parent_id=parent_id,
                member_name=entry.member_name,
                stored=0,
                ingested_at=now_iso(),
            )
            self.store.add_custody(source_id, self.options.custodian, entry.path, now_iso())
        self.summary.failed.append((entry.label, reason))

    def _record_failed(
        self, entry: Entry, sha: str, size: int, parent_id: int | None, fmt: str, exc: Exception
    ) -> None:
        reason = _describe(exc)
        with self.store.transaction():
            existing = self.store.source_by_sha(sha)
            if existing is not None:
                self.store.update_source(int(existing["id"]), status="failed", error=reason)
            else:
                source_id = self.store.add_source(
                    sha256=sha,
                    name=entry.label,
                    size=size,
                    role="messages",
                    format=fmt,
                    status="failed",
                    error=reason,
                    parent_id=parent_id,
                    member_name=entry.member_name,
                    stored=int(entry.on_disk),
                    ingested_at=now_iso(),
                )
                self.store.add_custody(source_id, self.options.custodian, entry.path, now_iso())
        self.summary.failed.append((entry.label, reason))


def _hash_stream(stream: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _describe(exc: Exception) -> str:
    if isinstance(exc, DossierError):
        return exc.message
    if isinstance(exc, FileNotFoundError):
        return "the file disappeared while it was being read"
    if isinstance(exc, PermissionError):
        return "permission denied: the file cannot be read (check its permissions)"
    if isinstance(exc, OSError):
        return f"the file could not be read: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
