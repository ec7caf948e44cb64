"""What an ingest did, and how it tells its progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class IngestSummary:
    files_read: int = 0  # files looked at (on disk and inside archives)
    chats: int = 0  # files parsed as chat exports
    mailboxes: int = 0  # files parsed as email (mbox, .eml, .msg, .pst ...)
    attachments: int = 0  # media files stored beside chats
    already_present: int = 0  # files whose exact bytes were already in the case
    messages_new: int = 0
    messages_merged: int = 0  # read again in another export of the same chat: one message
    messages_already: int = 0  # in files already present
    near_duplicates: int = 0  # emails with the same text as another, different headers
    threads: int = 0  # email threads in the case after the run
    issues: int = 0  # lines or items not understood (see `dossier issues`)
    unrecognised: list[tuple[str, str]] = field(default_factory=list)  # (label, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (label, why)
    notes: list[str] = field(default_factory=list)  # merges, guesses, warnings

    @property
    def ok(self) -> bool:
        return not self.failed


class Progress(Protocol):
    """How ingest reports progress; the CLI draws it, tests ignore it."""

    def begin(self, label: str, total_bytes: int, unit: str = "B") -> None:
        """A bar for one long step: ``total_bytes`` of a file, or as many of ``unit``."""

    def advance(self, nbytes: int) -> None: ...

    def end(self) -> None: ...

    def note(self, text: str) -> None: ...

    def files(self, total: int) -> None:
        """How many files the run will look at (archive members are counted as they come)."""

    def file_done(self) -> None: ...


class NoProgress:
    def begin(self, label: str, total_bytes: int, unit: str = "B") -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def end(self) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def files(self, total: int) -> None:
        pass

    def file_done(self) -> None:
        pass
