"""Ingest a group of files (a folder's files, or an archive's members).

Media are stored first so that the chats beside them can link the files their messages name.
Any one file failing is recorded and reported; the rest of the batch goes on.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
from typing import TYPE_CHECKING, Any, BinaryIO

from dossier.email.dkim import load_keys
from dossier.errors import DossierError, UnreadableInput
from dossier.formats import registry
from dossier.formats.archive import SafeZip, is_zip
from dossier.formats.base import HEAD_SIZE, MessageFormat, ParseOptions
from dossier.ingest.chat import ChatContext, ChatResult, load_chat
from dossier.ingest.entries import Entry
from dossier.ingest.mail import MailContext, MailResult, load_mail
from dossier.ingest.merge import merge_into_existing
from dossier.ingest.prefetch import MAX_BYTES as PREFETCH_MAX_BYTES
from dossier.ingest.prefetch import MIN_FILES as PREFETCH_MIN_FILES
from dossier.ingest.prefetch import PREFETCHED_FORMATS, MailPrefetch
from dossier.ingest.report import IngestSummary, Progress
from dossier.timeutil import now_iso

if TYPE_CHECKING:
    from dossier.case import Case
    from dossier.ingest import IngestOptions

MAX_ARCHIVE_DEPTH = 3
HASH_CHUNK = 1024 * 1024
PROGRESS_MIN_BYTES = 4 * 1024 * 1024  # smaller files do not get a bar of their own


class GroupIngest:
    def __init__(
        self, case: Case, options: IngestOptions, summary: IngestSummary, progress: Progress
    ) -> None:
        self.case = case
        self.store = case.store
        self.options = options
        self.summary = summary
        self.progress = progress
        self.tz = options.tz or case.tz
        self.date_order = options.date_order or case.date_order
        self.emails_loaded = False  # then threads are remade at the end of the run
        self.dkim_keys = load_keys(options.dkim_keys) if options.dkim_keys else None
        self._prepared: MailPrefetch | None = None  # emails parsed ahead by a worker

    # --- a group -------------------------------------------------------------------------

    def ingest_group(
        self, entries: list[Entry], parent_id: int | None, depth: int, title: str | None = None
    ) -> None:
        chats: list[tuple[Entry, MessageFormat]] = []
        archives: list[Entry] = []
        others: list[tuple[Entry, bytes]] = []
        for entry in entries:
            self.summary.files_read += 1
            try:
                head = _read_head(entry)
            except (OSError, DossierError) as exc:
                self._record_unreadable(entry, parent_id, exc)
                self._done(entry)
                continue
            fmt = self._format_for(head, entry.name)
            if is_zip(head):
                archives.append(entry)
            elif fmt is not None:
                chats.append((entry, fmt))
            else:
                others.append((entry, head))
        beside: dict[str, int] = {}
        # Media beside a chat export are its attachments; files beside emails are not (an
        # email carries its attachments inside it).
        has_chat = any(fmt.platform != "email" for _, fmt in chats)
        for entry, head in others:
            source_id = self._store_plain(entry, head, parent_id, with_chat=has_chat)
            if source_id is not None:
                beside[entry.name] = source_id
            self._done(entry)
        prefetch = _prefetch_for(chats)
        try:
            for entry, fmt in chats:
                self._prepared = prefetch
                self._ingest_chat(entry, fmt, parent_id, beside, title or _folder_title(entry))
                self._done(entry)
        finally:
            self._prepared = None
            if prefetch is not None:
                prefetch.close()
        for entry in archives:
            self._ingest_archive(entry, parent_id, depth)
            self._done(entry)

    def _done(self, entry: Entry) -> None:
        """A file is finished: count it, and commit the batch if a commit is due."""
        if entry.on_disk:
            self.progress.file_done()
        self.store.checkpoint()

    def _format_for(self, head: bytes, name: str) -> MessageFormat | None:
        if self.options.format:
            fmt = registry.format_named(self.options.format)
            return fmt if head and fmt.sniff(head, name) > 0 else None
        return registry.recognise(head, name)

    # --- plain files: media beside a chat, or files Dossier does not read ------------------

    def _store_plain(
        self, entry: Entry, head: bytes, parent_id: int | None, *, with_chat: bool
    ) -> int | None:
        kept = self._kept(entry, parent_id)
        if kept is None:
            return None
        sha, size, existing = kept
        if existing is not None:
            with self.store.transaction():
                self.store.add_custody(
                    existing["id"], self.options.custodian, entry.path, now_iso()
                )
            if existing["status"] == "unrecognised" and not with_chat:
                self.summary.unrecognised.append((entry.label, str(existing["error"])))
            return int(existing["id"])
        role = "attachment" if with_chat else "other"
        status = "stored" if with_chat else "unrecognised"
        error = None if with_chat else _why_unrecognised(head, entry.name)
        with self.store.transaction():
            source_id = self.store.add_source(
                sha256=sha,
                name=entry.label,
                size=size,
                role=role,
                status=status,
                error=error,
                parent_id=parent_id,
                member_name=entry.member_name,
                stored=int(entry.on_disk),
                ingested_at=now_iso(),
            )
            self.store.add_custody(source_id, self.options.custodian, entry.path, now_iso())
        if with_chat:
            self.summary.attachments += 1
        else:
            self.summary.unrecognised.append((entry.label, error or ""))
        return source_id

    # --- chats ---------------------------------------------------------------------------

    def _ingest_chat(
        self,
        entry: Entry,
        fmt: MessageFormat,
        parent_id: int | None,
        beside: dict[str, int],
        title: str | None,
    ) -> None:
        kept = self._kept(entry, parent_id)
        if kept is None:
            return
        sha, size, existing = kept
        if existing is not None and existing["status"] == "ok":
            self._already_present(entry, existing, int(existing["message_count"]))
            return
        try:
            with self.store.transaction():
                if existing is not None:  # an earlier attempt failed: try again from scratch
                    self.store.delete_source(int(existing["id"]))
                result = self._load(entry, fmt, sha, size, parent_id, beside, title)
        except (OSError, DossierError, UnicodeError, ValueError, sqlite3.DataError) as exc:
            self._record_failed(entry, sha, size, parent_id, fmt.name, exc)
            return
        if fmt.platform == "email":
            self.summary.mailboxes += 1
        else:
            self.summary.chats += 1
        self.summary.issues += result.issues

    def _load(
        self,
        entry: Entry,
        fmt: MessageFormat,
        sha: str,
        size: int,
        parent_id: int | None,
        beside: dict[str, int],
        title: str | None,
    ) -> ChatResult | MailResult:
        source_id = self.store.add_source(
            sha256=sha,
            name=entry.label,
            size=size,
            role="messages",
            format=fmt.name,
            status="ok",
            parent_id=parent_id,
            member_name=entry.member_name,
            stored=int(entry.on_disk),
            tz=self.tz,
            ingested_at=now_iso(),
        )
        self.store.add_custody(source_id, self.options.custodian, entry.path, now_iso())
        if fmt.platform == "email":
            return self._load_mail(entry, fmt, sha, source_id)
        context = self.options.custodian or self._root_sha(parent_id, sha)
        ctx = ChatContext(
            source_id=source_id,
            source_sha=sha,
            identity_context=context,
            tz=self.tz,
            attachment_sources=beside,
            options=ParseOptions(date_order=self.date_order, conversation=title),
        )
        self.progress.begin(entry.label, size)
        try:
            result = load_chat(
                self.store,
                fmt,
                lambda: self._reopen(entry, sha),
                size,
                entry.name,
                ctx,
                self.progress.advance,
            )
        finally:
            self.progress.end()
        merged = 0
        for conversation_id in result.conversations.values():
            merged += merge_into_existing(self.store, fmt.platform, conversation_id, self.summary)
        status, error = "ok", None
        if result.messages == 0:
            status, error = "unrecognised", "no message could be read from it"
            self.summary.unrecognised.append((entry.label, error))
        self.store.update_source(
            source_id,
            status=status,
            error=error,
            message_count=result.messages,
            new_count=result.messages - merged,
            merged_count=merged,
            issue_count=result.issues,
        )
        self.summary.messages_new += result.messages - merged
        self.summary.messages_merged += merged
        if result.facts.get("date_order_basis") == "guess":
            self.summary.notes.append(
                f"{entry.label}: the dates could be day-first or month-first; read as "
                f"{result.facts.get('date_order')}. Give --date-order to decide."
            )
        return result

    def _load_mail(self, entry: Entry, fmt: MessageFormat, sha: str, source_id: int) -> MailResult:
        ctx = MailContext(
            source_id=source_id,
            source_sha=sha,
            options=ParseOptions(),
            dkim_keys=self.dkim_keys,
            folder=_mail_folder(fmt.name, entry),
        )
        prepared = self._prepared.get(entry.path, sha) if self._prepared and entry.on_disk else None
        result = load_mail(
            self.case, fmt, lambda: self._reopen(entry, sha), entry.name, ctx, prepared
        )
        status, error = "ok", None
        stored = result.messages + result.duplicates
        if stored == 0:
            status, error = "unrecognised", "no email could be read from it"
            self.summary.unrecognised.append((entry.label, error))
        self.store.update_source(
            source_id,
            status=status,
            error=error,
            message_count=stored,
            new_count=result.messages,
            merged_count=result.duplicates,
            issue_count=result.issues,
        )
        self.summary.messages_new += result.messages
        self.summary.messages_merged += result.duplicates
        self.summary.near_duplicates += result.near_duplicates
        self.emails_loaded = True
        return result

    def _root_sha(self, parent_id: int | None, sha: str) -> str:
        """Names are per phone: a chat inside an archive belongs to the archive's phone."""
        while parent_id is not None:
            parent = self.store.source(parent_id)
            sha, parent_id = parent["sha256"], parent["parent_id"]
        return sha

    # --- archives ------------------------------------------------------------------------

    def _ingest_archive(self, entry: Entry, parent_id: int | None, depth: int) -> None:
        kept = self._kept(entry, parent_id, always_store=True)
        if kept is None:
            return
        sha, size, existing = kept
        if existing is not None and existing["status"] == "ok":
            self._already_present(entry, existing, self._messages_below(int(existing["id"])))
            return
        if depth >= MAX_ARCHIVE_DEPTH:
            self._record_failed(
                entry,
                sha,
                size,
                parent_id,
                "zip",
                UnreadableInput(f"{entry.label} is an archive nested {depth} levels deep."),
            )
            return
        with self.store.transaction():
            if existing is None:
                archive_id = self.store.add_source(
                    sha256=sha,
                    name=entry.label,
                    size=size,
                    role="container",
                    format="zip",
                    status="ingesting",
                    parent_id=parent_id,
                    member_name=entry.member_name,
                    stored=1,
                    ingested_at=now_iso(),
                )
            else:  # an earlier run stopped half-way through this archive: finish it
                archive_id = int(existing["id"])
                self.store.update_source(archive_id, status="ingesting", error=None)
            self.store.add_custody(archive_id, self.options.custodian, entry.path, now_iso())
        try:
            with self.case.open_object(sha) as raw:
                archive = SafeZip(raw, entry.label)
                try:
                    self._ingest_members(archive, archive_id, entry, depth)
                finally:
                    archive.close()
        except (OSError, DossierError) as exc:
            with self.store.transaction():
                self.store.update_source(archive_id, status="failed", error=str(exc))
            self.summary.failed.append((entry.label, str(exc)))
            return
        with self.store.transaction():
            self.store.update_source(archive_id, status="ok")

    def _ingest_members(self, archive: SafeZip, archive_id: int, entry: Entry, depth: int) -> None:
        from dossier.formats.archive import Member

        members: list[Entry] = []
        rejected: list[tuple[Any, ...]] = []
        for member in archive.members():
            if not isinstance(member, Member):
                reason = f"archive member not read: {member.reason}"
                rejected.append(("error", reason, member.name, None, None, None))
                self.summary.failed.append((f"{entry.label}!/{member.name}", member.reason))
                continue
            members.append(_member_entry(archive, member, entry))
        if rejected:
            with self.store.transaction():
                self.store.add_issues(archive_id, rejected)
            self.summary.issues += len(rejected)
        title = registry.title_from_name(entry.name)
        self.ingest_group(members, archive_id, depth + 1, title)

    def _messages_below(self, source_id: int) -> int:
        total = 0
        for child in self.store.child_sources(source_id):
            total += int(child["message_count"]) + self._messages_below(int(child["id"]))
        return total

    # --- bytes ---------------------------------------------------------------------------

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

    # --- failures ------------------------------------------------------------------------

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


def _prefetch_for(chats: list[tuple[Entry, MessageFormat]]) -> MailPrefetch | None:
    """A worker that parses the group's small email files ahead, when there are many."""
    jobs = [
        (entry.path, fmt.name)
        for entry, fmt in chats
        if entry.on_disk and fmt.name in PREFETCHED_FORMATS and entry.size <= PREFETCH_MAX_BYTES
    ]
    if len(jobs) < PREFETCH_MIN_FILES or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return MailPrefetch(jobs)


def _mail_folder(format_name: str, entry: Entry) -> str:
    """The folder a mail file stands for: a Maildir folder, an mbox's name."""
    from dossier.formats.eml import maildir_folder
    from dossier.formats.mbox import mbox_folder

    path = entry.member_name or entry.path
    if format_name == "eml":
        return maildir_folder(path)
    if format_name == "mbox":
        return mbox_folder(path)
    return ""


def _read_head(entry: Entry) -> bytes:
    with entry.opener() as stream:
        return stream.read(HEAD_SIZE)


def _hash_stream(stream: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _member_entry(archive: SafeZip, member: Any, parent: Entry) -> Entry:
    return Entry(
        label=f"{parent.label}!/{member.name}",
        name=member.basename,
        size=member.size,
        opener=lambda: archive.open(member),
        path=parent.path,
        member_name=member.name,
        on_disk=False,
    )


def _folder_title(entry: Entry) -> str | None:
    """An unpacked export keeps its chat as _chat.txt in a folder named after the chat."""
    if entry.member_name is None and entry.name.startswith("_chat"):
        return registry.title_from_name(os.path.basename(os.path.dirname(entry.path)))
    return None


def _why_unrecognised(head: bytes, name: str) -> str:
    if not head:
        return "the file is empty"
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "a binary file, not a chat export Dossier reads (kept in the case as it is)"
    return "not a chat export Dossier recognises (kept in the case as it is)"


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
