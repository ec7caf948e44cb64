"""Ingest a group of files (a folder's files, or an archive's members).

Media are stored first so that the chats beside them can link the files their messages name.
Any one file failing is recorded and reported; the rest of the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from dossier.email.dkim import load_keys
from dossier.errors import DossierError
from dossier.formats import registry
from dossier.formats.base import HEAD_SIZE, MessageFormat, ParseOptions
from dossier.ingest.archives import ArchiveIngest
from dossier.ingest.chat import ChatContext, ChatResult, load_chat
from dossier.ingest.entries import Entry
from dossier.ingest.mail import MailContext, MailResult, load_mail
from dossier.ingest.mailbatch import MailBatch
from dossier.ingest.mailbox_chats import ChatsAside, chat_platform, load_mailbox_chats
from dossier.ingest.merge import fold_same_messages, merge_into_existing
from dossier.ingest.prefetch import MIN_FILES as PREFETCH_MIN_FILES
from dossier.ingest.prefetch import NOTHING, PREFETCHED_FORMATS, ZIP, MailPrefetch, file_kind
from dossier.ingest.report import IngestSummary, Progress
from dossier.model import MessageRecord
from dossier.timeutil import now_iso

if TYPE_CHECKING:
    from dossier.case import Case
    from dossier.ingest import IngestOptions


# A mailbox file this big gets a progress bar of its own while its emails are read.
MAIL_PROGRESS_BYTES = 4 * 1024 * 1024


class GroupIngest(ArchiveIngest):
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
        self._prepared: MailPrefetch | None = None  # files read ahead by workers

    # --- a group -------------------------------------------------------------------------

    def ingest_group(
        self, entries: list[Entry], parent_id: int | None, depth: int, title: str | None = None
    ) -> None:
        """Emails are stored as their files come; chat exports, the files beside them and
        archives after, so that a chat can link the media stored beside it."""
        chats: list[tuple[Entry, MessageFormat]] = []
        archives: list[Entry] = []
        others: list[Entry] = []
        beside: dict[str, int] = {}

        def one(entry: Entry, fmt: MessageFormat) -> None:
            self._ingest_chat(entry, fmt, parent_id, beside, title or _folder_title(entry))
            self._done(entry)

        prefetch = self._prepared
        mail = self._mail_batch(prefetch, parent_id, one)
        for entry in entries:
            self.summary.files_read += 1
            kind = self._kind_of(entry, prefetch, parent_id)
            if kind is None:
                continue  # unreadable: recorded
            if kind == ZIP:
                archives.append(entry)
            elif kind == NOTHING:
                others.append(entry)
            elif (fmt := registry.format_named(kind)).platform != "email":
                chats.append((entry, fmt))
            elif mail is None or not mail.take(entry, fmt):
                if mail is not None:
                    mail.flush()  # the case sees the files in order
                one(entry, fmt)
        if mail is not None:
            mail.flush()
            self.emails_loaded |= mail.stored > 0
        # Media beside a chat export are its attachments; files beside emails are not (an
        # email carries its attachments inside it).
        for entry in others:
            source_id = self._store_plain(entry, parent_id, with_chat=bool(chats))
            if source_id is not None:
                beside[entry.name] = source_id
                beside[entry.location] = source_id  # for paths a chat gives
            self._done(entry)
        for entry, fmt in chats:
            one(entry, fmt)
        for entry in archives:
            self._ingest_archive(entry, parent_id, depth)
            self._done(entry)

    def _kind_of(
        self, entry: Entry, prefetch: MailPrefetch | None, parent_id: int | None
    ) -> str | None:
        """What the file is (a format's name, ZIP or NOTHING), as a worker found or read
        here; None if it cannot be read (recorded as such)."""
        prepared = prefetch.result(entry.path) if prefetch is not None and entry.on_disk else None
        if prepared is not None:
            return prepared.kind
        try:
            head = _read_head(entry)
        except (OSError, DossierError) as exc:
            self._record_unreadable(entry, parent_id, exc)
            self._done(entry)
            return None
        return file_kind(head, entry.name, self.options.format)

    def _done(self, entry: Entry) -> None:
        """A file is finished: count it, and commit the batch if a commit is due."""
        if entry.on_disk:
            self.progress.file_done()
        self.store.checkpoint()

    # --- plain files: media beside a chat, or files Dossier does not read ------------------

    def _store_plain(self, entry: Entry, parent_id: int | None, *, with_chat: bool) -> int | None:
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
        companion = registry.is_companion(entry.name)
        role = "companion" if companion else "attachment" if with_chat else "other"
        status = "stored" if with_chat or companion else "unrecognised"
        error = None if status == "stored" else _why_unrecognised(entry)
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
        if companion:
            pass  # part of an export's layout (users.json): not a finding of its own
        elif with_chat:
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
            options=ParseOptions(
                date_order=self.date_order,
                conversation=title,
                location=entry.location,
                companion=entry.companion,
                settings=self.options.format_settings,
            ),
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
            if conversation_id in result.keyed:
                merged += fold_same_messages(self.store, conversation_id, result.first_id)
            else:
                merged += merge_into_existing(
                    self.store, fmt.platform, conversation_id, self.summary
                )
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

    def _mail_batch(
        self,
        prefetch: MailPrefetch | None,
        parent_id: int | None,
        one: Callable[[Entry, MessageFormat], None],
    ) -> MailBatch | None:
        """Where the group's one-email files go, to be stored many at a time."""
        if prefetch is None:
            return None
        return MailBatch(
            self.store,
            prefetch,
            self.summary,
            self.options.custodian,
            self.tz,
            parent_id,
            one,
            self._done,
        )

    def _load_mail(self, entry: Entry, fmt: MessageFormat, sha: str, source_id: int) -> MailResult:
        ctx = MailContext(
            source_id=source_id,
            source_sha=sha,
            options=ParseOptions(),
            dkim_keys=self.dkim_keys,
            folder=_mail_folder(fmt.name, entry),
        )
        prepared = self._prepared.get(entry.path, sha) if self._prepared and entry.on_disk else None
        chats: list[MessageRecord] = []  # chat messages the mailbox holds (Teams in a .pst)
        reader = ChatsAside(fmt, chats) if chat_platform(fmt) else fmt
        by_offsets = getattr(fmt, "emails_at_offsets", False)  # an mbox
        by_items = getattr(fmt, "reports_progress", False)  # a .pst
        shown = entry.size >= MAIL_PROGRESS_BYTES and (by_offsets or by_items)
        if shown:  # a big mailbox takes minutes: show how far it is
            self.progress.begin(entry.label, entry.size)
            if by_offsets:
                ctx.advance = self.progress.advance
            else:
                ctx.options = replace(ctx.options, progress=_share_of(entry.size, self.progress))
        try:
            result = load_mail(
                self.case, reader, lambda: self._reopen(entry, sha), entry.name, ctx, prepared
            )
        finally:
            if shown:
                self.progress.end()
        if chats:
            self._load_mailbox_chats(entry, fmt, sha, source_id, chats, result)
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

    def _load_mailbox_chats(
        self,
        entry: Entry,
        fmt: MessageFormat,
        sha: str,
        source_id: int,
        chats: list[MessageRecord],
        result: MailResult,
    ) -> None:
        """Store a mailbox's chat messages as chats of the same source; count them with its
        emails."""
        ctx = ChatContext(
            source_id=source_id,
            source_sha=sha,
            identity_context=self.options.custodian or sha,
            tz=self.tz,
            attachment_sources={},
            options=ParseOptions(location=entry.location),
        )
        chat, merged = load_mailbox_chats(self.store, fmt, chats, entry.name, ctx, self.summary)
        result.messages += chat.messages - merged
        result.duplicates += merged
        result.issues += chat.issues

    def _root_sha(self, parent_id: int | None, sha: str) -> str:
        """Names are per phone: a chat inside an archive belongs to the archive's phone."""
        while parent_id is not None:
            parent = self.store.source(parent_id)
            sha, parent_id = parent["sha256"], parent["parent_id"]
        return sha

    def read_ahead(self, jobs: list[tuple[str, str]]) -> None:
        """Start workers that recognise the run's files on disk, and read its small email
        files, ahead of the writer (``jobs``: see ``prefetch_jobs``), when there are many."""
        if len(jobs) >= PREFETCH_MIN_FILES and "fork" in multiprocessing.get_all_start_methods():
            # The workers skip files the case holds already; a new case holds none.
            stored = str(self.store.path) if self.store.max_source_id() else None
            self._prepared = MailPrefetch(jobs, self.dkim_keys, stored)

    def stop_reading_ahead(self) -> None:
        if self._prepared is not None:
            self._prepared.close()
            self._prepared = None


def prefetch_jobs(paths: Iterable[str], forced: str | None) -> list[tuple[str, str]]:
    """The files workers read ahead, in the order the run comes to them: (path, format
    named or ""). Nothing when a format other than email files is named for all (nothing to
    recognise, nothing to read)."""
    if forced and forced not in PREFETCHED_FORMATS:
        return []
    return [(path, forced or "") for path in paths]


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


def _folder_title(entry: Entry) -> str | None:
    """An unpacked export keeps its chat as _chat.txt in a folder named after the chat."""
    if entry.member_name is None and entry.name.startswith("_chat"):
        return registry.title_from_name(os.path.basename(os.path.dirname(entry.path)))
    return None


def _why_unrecognised(entry: Entry) -> str:
    try:
        head = _read_head(entry)
    except (OSError, DossierError):
        head = b"?"  # it was read a moment ago; say no more than what follows
    name = entry.name
    if not head:
        return "the file is empty"
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return (
            "a binary file, not a chat export or mailbox Dossier reads (kept in the case as it is)"
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in _TABLE_EXTENSIONS:
        return (
            "a table, kept in the case as it is; to read its rows as messages, ingest it "
            f"again with --format {'jsonl' if extension in ('jsonl', 'ndjson') else 'csv'} "
            "and a column mapping (see docs/tabular.md; --dry-run shows the first rows)"
        )
    return "not a chat export or mailbox Dossier recognises (kept in the case as it is)"


# Tables any tool may have written: read only with a mapping the user gives.
_TABLE_EXTENSIONS = frozenset({"csv", "tsv", "jsonl", "ndjson"})


def _share_of(size: int, progress: Progress) -> Callable[[int, int], None]:
    """Progress in items shown as the same share of the file's bytes."""
    shown = 0

    def told(done: int, total: int) -> None:
        nonlocal shown
        now = size * done // max(total, 1)
        if now > shown:
            progress.advance(now - shown)
            shown = now

    return told
