"""Zip archives met during an ingest: their members are read as a group of their own."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from dossier.errors import DossierError, UnreadableInput
from dossier.formats import registry
from dossier.formats.archive import Member, SafeZip
from dossier.ingest.entries import MAX_COMPANION_BYTES, Entry
from dossier.ingest.keeping import FileKeeping
from dossier.timeutil import now_iso

MAX_ARCHIVE_DEPTH = 3


class ArchiveIngest(FileKeeping):
    def ingest_group(
        self, entries: list[Entry], parent_id: int | None, depth: int, title: str | None = None
    ) -> None:
        raise NotImplementedError  # GroupIngest reads the members like any other group

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

        members: list[Entry] = []
        rejected: list[tuple[Any, ...]] = []
        readable: dict[str, Member] = {}
        companions = _CompanionCache()
        for member in archive.members():
            if not isinstance(member, Member):
                reason = f"archive member not read: {member.reason}"
                rejected.append(("error", reason, member.name, None, None, None))
                self.summary.failed.append((f"{entry.label}!/{member.name}", member.reason))
                continue
            readable[member.name] = member
            members.append(_member_entry(archive, member, entry, readable, companions))
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


class _CompanionCache:
    """Companions already read from one archive: every day file of a Slack export asks for the
    same users.json, and decompressing it each time would cost more than the day itself."""

    LIMIT = 64 * 1024 * 1024  # bytes kept at most

    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}
        self.size = 0

    def get(self, archive: SafeZip, member: Member) -> bytes:
        found = self.kept.get(member.name)
        if found is None:
            with archive.open(member) as stream:
                found = stream.read()
            if self.size + len(found) <= self.LIMIT:
                self.kept[member.name] = found
                self.size += len(found)
        return found


def _member_entry(
    archive: SafeZip,
    member: Member,
    parent: Entry,
    readable: dict[str, Member],
    companions: _CompanionCache | None = None,
) -> Entry:
    return Entry(
        label=f"{parent.label}!/{member.name}",
        name=member.basename,
        size=member.size,
        opener=lambda: archive.open(member),
        path=parent.path,
        member_name=member.name,
        on_disk=False,
        companion=_member_companions(archive, member, readable, companions or _CompanionCache()),
    )


def _member_companions(
    archive: SafeZip, member: Member, readable: dict[str, Member], cache: _CompanionCache
) -> Callable[[str], bytes | None]:
    """Reads another member of the same archive, by a path relative to ``member``'s folder.
    Only members that passed the archive's checks can be read, so the bounds hold."""

    def read(relative: str) -> bytes | None:
        wanted = posixpath.normpath(posixpath.join(posixpath.dirname(member.name), relative))
        found = readable.get(wanted)
        if found is None or found.size > MAX_COMPANION_BYTES:
            return None
        return cache.get(archive, found)

    return read
