"""SQL for threading a big case in parts (see ``ingest.thread_groups``).

The links between emails (a 64-bit hash of each Message-ID an email names, and of its
subject) are far too many to hold in memory for a case of millions of emails, and they must
be sorted so that the emails sharing one come together. They go to a scratch database of
their own, a file in the case's ``tmp/`` folder with its own connection: no journal, nothing
made durable (it is thrown away at the end, or by the next run if this one is killed), and
its sort spills to temporary files instead of memory.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

ThreadRow = tuple[int, str, str, str, str, int]  # as EmailRows.thread_inputs gives them


class LinkScratch:
    """(link, email number, flag) rows, read back sorted by link."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix="threads-", suffix=".sqlite")
        os.close(fd)
        self.path = Path(name)
        self.conn = sqlite3.connect(name, isolation_level=None)
        for pragma in (
            "journal_mode = OFF",
            "synchronous = OFF",
            "temp_store = FILE",  # the sort below: spilled to disk, not held in memory
            "cache_size = -8192",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute(
            "CREATE TABLE links (link INTEGER NOT NULL, email INTEGER NOT NULL,"
            " flag INTEGER NOT NULL)"
        )

    def add(self, rows: Iterable[tuple[int, int, int]]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO links(link, email, flag) VALUES (?, ?, ?)", rows)
        self.conn.execute("COMMIT")

    def sorted_links(self) -> Iterator[tuple[int, int, int]]:
        """Every row, those of one link together, each link's emails in order."""
        yield from self.conn.execute("SELECT link, email, flag FROM links ORDER BY link, email")

    def close(self) -> None:
        self.conn.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def __enter__(self) -> LinkScratch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class ThreadLinkRows:
    conn: sqlite3.Connection
    path: Path  # the case database

    def link_scratch(self) -> LinkScratch:
        return LinkScratch(self.path.parent / "tmp")

    def thread_links(self) -> Iterator[tuple[int, str, str, str, str, int]]:
        """(message id, Message-ID, In-Reply-To, References, subject, 1 if waiting to be
        threaded) of every email, in message id order; one row at a time."""
        yield from self.conn.execute(
            "SELECT e.message_id, e.header_message_id, e.in_reply_to, e.refs, e.subject,"
            " u.message_id IS NOT NULL FROM emails e"
            " LEFT JOIN unthreaded u ON u.message_id = e.message_id ORDER BY e.message_id"
        )
