"""The SQLite case store: every SQL statement the case runs lives in store/.

This module holds the connection, transactions, sources, people and message writes; the
other store modules add their methods to ``SqliteStore`` (alignment, email rows, reading;
search has its own compiler). Code above this layer calls methods; it never sees SQL. A
PostgreSQL store for teams will offer the same methods.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dossier.store.alignment import AlignmentRows
from dossier.store.annotations import AnnotationRows
from dossier.store.chat_details import ChatDetailRows
from dossier.store.email_rows import EmailRows
from dossier.store.network import NetworkRows
from dossier.store.people import PeopleRows
from dossier.store.reading import Reading
from dossier.store.rowdicts import dict_rows
from dossier.store.schema import migrate
from dossier.store.thread_links import ThreadLinkRows
from dossier.textnorm import match_hash

# Row shapes the ingest hands over in bulk (tuples, not objects: millions of them).
MessageRow = tuple[Any, ...]  # see insert_local_messages for the column order


# A run of small files commits at most this often: an interrupted run loses at most this much.
# Often, so that most pages are written out while the parse workers still read (a commit every
# 2 s left one big write at the end of a short run, with the workers idle).
BATCH_SECONDS = 0.25


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # 16 KB pages for a new case (an existing one keeps its own): an email's rows and its
    # original span fewer pages, so a commit writes fewer of them (an email ingest's writer
    # ran about 10% faster than with 4 KB pages; 32 KB was no better).
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA temp_store = MEMORY")
    # A 16 MB page cache: writes go to the right edge of each table and index, so a bigger
    # cache only grows with the case (at 64 MB an email ingest's memory grew by the cache's
    # size from 3,000 to 15,000 emails, and was no faster).
    conn.execute("PRAGMA cache_size = -16384")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _match_hash_sql(kind: str, searchable: str) -> int:
    return match_hash(kind, searchable, searchable)


class SqliteStore(
    AlignmentRows,
    AnnotationRows,
    ChatDetailRows,
    EmailRows,
    NetworkRows,
    PeopleRows,
    Reading,
    ThreadLinkRows,
):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path)
        self.conn.create_function("dossier_match_hash", 2, _match_hash_sql, deterministic=True)
        migrate(self.conn, str(path.parent))
        self._identity_cache: dict[tuple[str, str, str], int] = {}
        self._batch_started: float | None = None
        self._unindexed_from: int | None = None
        self._savepoints = 0
        self._open_savepoints = 0  # savepoints the code is inside now

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing: a source is stored whole or not at all.

        Inside a batch (see ``batch``) this is a savepoint: undone alone on error, made
        durable when the batch commits.
        """
        if self._batch_started is not None:
            self._savepoints += 1
            name = f"sp{self._savepoints}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._open_savepoints += 1
            try:
                yield
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                self._identity_cache.clear()
                raise
            finally:
                self._open_savepoints -= 1
            self.conn.execute(f"RELEASE {name}")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.index_pending()
        except BaseException:
            self._roll_back()
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def fresh_transaction(self) -> Iterator[None]:
        """All-or-nothing, for a big write: inside a batch, what the batch holds is committed
        first and the block starts a new transaction, undone alone on error. A savepoint
        would do the same but copies every page it changes aside, in case it is undone.
        Outside a batch, or inside a savepoint (committing would break it), ``transaction``."""
        if self._batch_started is None or self._open_savepoints:
            with self.transaction():
                yield
            return
        self.index_pending()
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN IMMEDIATE")
        self._batch_started = time.monotonic()
        try:
            yield
        except BaseException:
            self._roll_back()
            self.conn.execute("BEGIN IMMEDIATE")
            self._batch_started = time.monotonic()
            raise

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many small transactions into few commits (a commit per file costs more than
        reading a small email). ``checkpoint`` commits what is done when a commit is due."""
        self.conn.execute("BEGIN IMMEDIATE")
        self._batch_started = time.monotonic()
        try:
            yield
            self.index_pending()
        except BaseException:
            self._roll_back()
            raise
        finally:
            self._batch_started = None
        self.conn.execute("COMMIT")

    def _roll_back(self) -> None:
        """Undo the open transaction and forget what the caches learned inside it."""
        self.conn.execute("ROLLBACK")
        self._identity_cache.clear()
        self._unindexed_from = None

    def checkpoint(self) -> None:
        """Commit the batch so far if it is older than BATCH_SECONDS (between files only)."""
        if self._batch_started is None:
            return
        if time.monotonic() - self._batch_started >= BATCH_SECONDS:
            self.index_pending()
            self.conn.execute("COMMIT")
            self.conn.execute("BEGIN IMMEDIATE")
            self._batch_started = time.monotonic()

    # --- meta ----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # --- sources -------------------------------------------------------------------------

    def source_by_sha(self, sha256: str) -> sqlite3.Row | None:
        cur = self.conn.execute("SELECT * FROM sources WHERE sha256 = ?", (sha256,))
        cur.row_factory = sqlite3.Row
        row: sqlite3.Row | None = cur.fetchone()
        return row

    def add_source(self, **fields: Any) -> int:
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        cur = self.conn.execute(
            f"INSERT INTO sources ({names}) VALUES ({marks})", tuple(fields.values())
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def update_source(self, source_id: int, **fields: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in fields)
        self.conn.execute(f"UPDATE sources SET {sets} WHERE id = ?", (*fields.values(), source_id))

    def delete_source(self, source_id: int) -> None:
        """Remove a failed source's row so a retry can store it afresh."""
        self.conn.execute("DELETE FROM source_facts WHERE source_id = ?", (source_id,))
        self.conn.execute("DELETE FROM parse_issues WHERE source_id = ?", (source_id,))
        self.conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))

    def add_custody(self, source_id: int, custodian: str | None, path: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO custody(source_id, custodian, path, supplied_at) VALUES (?, ?, ?, ?)",
            (source_id, custodian, path, at),
        )

    def add_facts(self, source_id: int, facts: Iterable[tuple[str, str]]) -> None:
        facts = list(facts)
        if not facts:
            return
        self.conn.executemany(
            "INSERT OR REPLACE INTO source_facts(source_id, key, value) VALUES (?, ?, ?)",
            ((source_id, k, v) for k, v in facts),
        )

    def add_issues(self, source_id: int, issues: Iterable[tuple[Any, ...]]) -> int:
        """Rows of (severity, reason, raw, line_start, line_end, byte_start)."""
        rows = [(source_id, *issue) for issue in issues]
        if not rows:
            return 0
        self.conn.executemany(
            "INSERT INTO parse_issues(source_id, severity, reason, raw, line_start, line_end,"
            " byte_start) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def list_sources(self) -> list[dict[str, Any]]:
        sources = dict_rows(
            self.conn,
            "SELECT s.*, p.name AS parent_name,"
            " (SELECT group_concat(DISTINCT c.custodian) FROM custody c"
            "   WHERE c.source_id = s.id) AS custodians,"
            " (SELECT min(c.path) FROM custody c WHERE c.source_id = s.id) AS path"
            " FROM sources s LEFT JOIN sources p ON p.id = s.parent_id ORDER BY s.id",
        )
        facts: dict[int, dict[str, str]] = {}
        for source_id, key, value in self.conn.execute("SELECT * FROM source_facts"):
            facts.setdefault(source_id, {})[key] = value
        for source in sources:
            source["facts"] = facts.get(source["id"], {})
        return sources

    def list_issues(self, source_id: int | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT i.*, s.name AS source_name, s.sha256 AS source_sha256"
            " FROM parse_issues i JOIN sources s ON s.id = i.source_id"
        )
        params: tuple[Any, ...] = ()
        if source_id is not None:
            sql += " WHERE i.source_id = ?"
            params = (source_id,)
        return dict_rows(self.conn, sql + " ORDER BY i.source_id, i.id", params)

    def failed_sources(self) -> list[dict[str, Any]]:
        return dict_rows(
            self.conn,
            "SELECT s.*, (SELECT min(path) FROM custody c WHERE c.source_id = s.id) AS path"
            " FROM sources s WHERE s.status IN ('failed', 'unrecognised') ORDER BY s.id",
        )

    def child_sources(self, parent_id: int) -> list[dict[str, Any]]:
        return dict_rows(self.conn, "SELECT * FROM sources WHERE parent_id = ?", (parent_id,))

    def source(self, source_id: int) -> dict[str, Any]:
        cur = self.conn.execute("SELECT * FROM sources WHERE id = ?", (source_id,))
        cur.row_factory = sqlite3.Row
        return dict(cur.fetchone())

    # --- people --------------------------------------------------------------------------

    def identity(self, kind: str, value: str, context: str, display: str | None = None) -> int:
        """The identity (kind, value, context), created with a person of its own if new
        (named ``display`` when given, else after the value)."""
        key = (kind, value, context)
        found = self._identity_cache.get(key)
        if found is not None:
            return found
        row = self.conn.execute(
            "SELECT id FROM identities WHERE kind = ? AND value = ? AND context = ?", key
        ).fetchone()
        if row is None:
            person = self.conn.execute("INSERT INTO persons(name) VALUES (?)", (display or value,))
            cur = self.conn.execute(
                "INSERT INTO identities(person_id, kind, value, context) VALUES (?, ?, ?, ?)",
                (person.lastrowid, kind, value, context),
            )
            row = (cur.lastrowid,)
        self._identity_cache[key] = int(row[0])
        return int(row[0])

    def person_of(self, identity_id: int) -> int:
        row = self.conn.execute(
            "SELECT person_id FROM identities WHERE id = ?", (identity_id,)
        ).fetchone()
        return int(row[0])

    def join_persons(self, keep: int, absorb: int) -> None:
        """Put every identity of person ``absorb`` under person ``keep``."""
        if keep == absorb:
            return
        self.conn.execute("UPDATE identities SET person_id = ? WHERE person_id = ?", (keep, absorb))
        self.conn.execute("DELETE FROM persons WHERE id = ?", (absorb,))

    def person_name(self, person_id: int) -> str:
        row = self.conn.execute("SELECT name FROM persons WHERE id = ?", (person_id,)).fetchone()
        return str(row[0])

    def set_person_name(self, person_id: int, name: str) -> None:
        self.conn.execute("UPDATE persons SET name = ? WHERE id = ?", (name, person_id))

    def link_identities(self, a: int, b: int, reason: str, evidence: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO identity_links(identity_a, identity_b, reason, evidence, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (a, b, reason, evidence, at),
        )

    def persons_with_identities(self) -> list[dict[str, Any]]:
        persons: dict[int, dict[str, Any]] = {}
        for pid, name, iid, kind, value, context in self.conn.execute(
            "SELECT p.id, p.name, i.id, i.kind, i.value, i.context FROM persons p"
            " JOIN identities i ON i.person_id = p.id ORDER BY p.id, i.id"
        ):
            entry = persons.setdefault(pid, {"id": pid, "name": name, "identities": []})
            entry["identities"].append(
                {"id": iid, "kind": kind, "value": value, "context": context}
            )
        return list(persons.values())

    # --- conversations and messages ------------------------------------------------------

    def conversation_by_uid(self, uid: str) -> int | None:
        row = self.conn.execute("SELECT id FROM conversations WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else int(row[0])

    def add_conversation(self, uid: str, platform: str, title: str, at: str) -> int:
        row = self.conn.execute("SELECT id FROM conversations WHERE uid = ?", (uid,)).fetchone()
        if row:
            return int(row[0])
        cur = self.conn.execute(
            "INSERT INTO conversations(uid, platform, title, created_at) VALUES (?, ?, ?, ?)",
            (uid, platform, title, at),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def max_message_id(self) -> int:
        row = self.conn.execute("SELECT max(id) FROM messages").fetchone()
        return int(row[0] or 0)

    # Rows built away from the case name senders and conversations by local numbers; these
    # temporary maps turn them into ids inside SQLite, with no per-row work in Python.

    def reset_local_maps(self) -> None:
        for name in ("sender", "conversation"):
            self.conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS local_{name}"
                " (local INTEGER PRIMARY KEY, id INTEGER)"
            )
            self.conn.execute(f"DELETE FROM local_{name}")

    def map_local(self, table: str, local: int, case_id: int | None) -> None:
        assert table in ("sender", "conversation")
        self.conn.execute(f"INSERT INTO local_{table}(local, id) VALUES (?, ?)", (local, case_id))

    def insert_local_messages(self, rows: Iterable[MessageRow]) -> None:
        """Rows of (id, uid, local conversation, kind, local sender, body, body_search,
        sent_at, local_text, tz, has_seconds, time_flags, edited, source_id, line_start,
        line_end, byte_start, byte_end)."""
        self.conn.executemany(
            "INSERT INTO messages(id, uid, conversation_id, kind, sender_id, body, body_search,"
            " sent_at, local_text, tz, has_seconds, time_flags, edited, source_id, line_start,"
            " line_end, byte_start, byte_end)"
            " VALUES (?, ?, (SELECT id FROM local_conversation WHERE local = ?), ?,"
            " (SELECT id FROM local_sender WHERE local = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?)",
            rows,
        )

    def insert_attachments(self, rows: Iterable[tuple[int, str, int | None]]) -> None:
        """Rows of (message_id, name, source_id or None)."""
        self.conn.executemany(
            "INSERT INTO attachments(message_id, name, source_id) VALUES (?, ?, ?)", rows
        )

    def index_later(self, first_id: int) -> None:
        """Index the messages from ``first_id`` on just before the commit: one index statement
        for a run of small sources costs far less than one each."""
        if self._unindexed_from is None or first_id < self._unindexed_from:
            self._unindexed_from = first_id

    def index_pending(self) -> None:
        """Index what ``index_later`` put off (called before every commit)."""
        if self._unindexed_from is not None:
            self.index_messages_between(self._unindexed_from, self.max_message_id())
            self._unindexed_from = None

    def index_messages_between(self, first_id: int, last_id: int) -> None:
        """Add the messages with ids first_id..last_id to the full-text index."""
        self.conn.execute(
            "INSERT INTO messages_fts(rowid, body_search)"
            " SELECT id, body_search FROM messages WHERE id BETWEEN ? AND ?",
            (first_id, last_id),
        )

    # --- small originals -----------------------------------------------------------------

    def put_blob(self, sha256: str, data: bytes) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO blobs(sha256, size, data) VALUES (?, ?, ?)",
            (sha256, len(data), data),
        )

    def get_blob(self, sha256: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else bytes(row[0])

    def has_blob(self, sha256: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
            is not None
        )

    def counts(self) -> dict[str, int]:
        one = self.conn.execute
        return {
            "sources": int(one("SELECT count(*) FROM sources").fetchone()[0]),
            "conversations": int(one("SELECT count(*) FROM conversations").fetchone()[0]),
            "messages": int(one("SELECT count(*) FROM messages").fetchone()[0]),
            "issues": int(one("SELECT count(*) FROM parse_issues").fetchone()[0]),
            "persons": int(one("SELECT count(*) FROM persons").fetchone()[0]),
        }
