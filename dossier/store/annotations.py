"""Mention annotations: reading persons' names and message texts, writing and listing mentions.

Rows of one method version (``annotations.method``) are replaced together, so rerunning an
analysis never doubles its results and never touches another method's rows.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from dossier.errors import QueryError
from dossier.store.rowdicts import dict_rows

# A mention row as the analysis hands it over:
# (message_id, span_start, span_end, person_id or None, value, confidence).
MentionRow = tuple[int, int, int, int | None, str, float]


class MessageText(NamedTuple):
    id: int
    conversation: int
    author: int | None  # the person who wrote it
    body: str
    new_text: str | None  # for an email: what the sender wrote (no quoted replies)


# Meta key: when mentions were last looked for (``dossier analyse mentions``).
MENTIONS_RUN = "mentions last run"

# Messages whose text is read for mentions (system lines, media and deletions carry no words
# a person wrote).
_TEXT_KINDS = "('text', 'email', 'poll')"


class AnnotationRows:
    conn: sqlite3.Connection

    # --- what the analysis reads ---------------------------------------------------------

    def person_names(self) -> list[tuple[int, str, str]]:
        """(person id, name, where from) for every name a person is known by. Where from:
        "alias" (given by the user), "chat" (a chat display name: a contact as saved on a
        phone, or a person named after one), "header" (a person named from email headers)."""
        rows = self.conn.execute(
            "SELECT p.id, p.name, CASE WHEN EXISTS (SELECT 1 FROM identities i"
            "   WHERE i.person_id = p.id AND i.kind IN ('name', 'handle'))"
            "   THEN 'chat' ELSE 'header' END FROM persons p"
            " UNION SELECT person_id, alias, 'alias' FROM person_aliases"
            " UNION SELECT person_id, value, 'chat' FROM identities WHERE kind = 'name'"
        )
        return [(int(pid), str(name), str(origin)) for pid, name, origin in rows]

    def conversation_members(self) -> dict[int, frozenset[int]]:
        """Each conversation's participants (persons who wrote in it or received an email of
        it)."""
        rows = self.conn.execute(
            "SELECT m.conversation_id, i.person_id FROM messages m"
            " JOIN identities i ON i.id = m.sender_id"
            " UNION SELECT m.conversation_id, i.person_id FROM recipients r"
            " JOIN messages m ON m.id = r.message_id JOIN identities i ON i.id = r.identity_id"
        )
        members: dict[int, set[int]] = {}
        for conversation, person in rows:
            members.setdefault(int(conversation), set()).add(int(person))
        return {c: frozenset(p) for c, p in members.items()}

    def count_texts(self) -> int:
        row = self.conn.execute(f"SELECT count(*) FROM messages WHERE kind IN {_TEXT_KINDS}")
        return int(row.fetchone()[0])

    def texts(self, chunk: int = 2000) -> Iterator[MessageText]:
        """Every message with text, in id order (file order within a conversation), read a
        chunk at a time so no cursor stays open while annotations are written."""
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT m.id, m.conversation_id, i.person_id, m.body, e.new_text FROM messages m"
                " LEFT JOIN identities i ON i.id = m.sender_id"
                " LEFT JOIN emails e ON e.message_id = m.id"
                f" WHERE m.kind IN {_TEXT_KINDS} AND m.id > ? ORDER BY m.id LIMIT ?",
                (last, chunk),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield MessageText(*row)
            last = int(rows[-1][0])

    # --- writing -------------------------------------------------------------------------

    def clear_annotations(self, method: str) -> int:
        """Remove every row ``method`` made (before a rerun writes them anew)."""
        return self.conn.execute("DELETE FROM annotations WHERE method = ?", (method,)).rowcount

    def add_mentions(self, method: str, at: str, rows: Iterable[MentionRow]) -> None:
        self.conn.executemany(
            "INSERT INTO annotations(message_id, kind, span_start, span_end, person_id, value,"
            " method, confidence, created_at) VALUES (?, 'mention', ?, ?, ?, ?, ?, ?, ?)",
            ((m, s, e, p, v, method, c, at) for m, s, e, p, v, c in rows),
        )

    # --- reading results -----------------------------------------------------------------

    def mention_rows(self) -> list[dict[str, Any]]:
        """Every mention with its message, author and the person meant (if resolved)."""
        return dict_rows(
            self.conn,
            "SELECT a.id, a.message_id, m.uid, m.sent_at, m.conversation_id, c.title,"
            " a.span_start, a.span_end, a.person_id, p.name AS person_name, a.value, a.method,"
            " a.confidence, ai.person_id AS author_id, ap.name AS author_name"
            " FROM annotations a JOIN messages m ON m.id = a.message_id"
            " JOIN conversations c ON c.id = m.conversation_id"
            " LEFT JOIN persons p ON p.id = a.person_id"
            " LEFT JOIN identities ai ON ai.id = m.sender_id"
            " LEFT JOIN persons ap ON ap.id = ai.person_id"
            " WHERE a.kind = 'mention' ORDER BY m.sent_at, a.message_id, a.span_start",
        )


# --- about: in search ----------------------------------------------------------------------


def about_condition(conn: sqlite3.Connection, name: str) -> tuple[str, list[object]]:
    """A predicate over ``messages m`` for ``about:NAME``, and its parameters: the messages
    that mention a person whose name, alias or identity contains ``name``, or that mention a
    name containing it (someone who is not a person of the case). Case and accents are
    ignored, as when the mentions were found. "0" when nothing matches."""
    if not _has_annotations(conn):
        return "0", []
    ran = conn.execute("SELECT 1 FROM meta WHERE key = ?", (MENTIONS_RUN,)).fetchone()
    if ran is None:
        raise QueryError(
            "about: finds the mentions of a person, and none have been looked for in this "
            "case yet.",
            hint="run: dossier analyse mentions CASE (then search again).",
        )
    wanted = _loose(name)
    if not wanted:
        return "0", []
    persons = sorted(
        {
            int(pid)
            for pid, text in conn.execute(
                "SELECT id, name FROM persons UNION ALL SELECT person_id, alias FROM"
                " person_aliases UNION ALL SELECT person_id, value FROM identities"
            )
            if wanted in _loose(str(text))
        }
    )
    values = [
        str(v)
        for (v,) in conn.execute(
            "SELECT DISTINCT value FROM annotations WHERE kind = 'mention' AND person_id IS NULL"
        )
        if v is not None and wanted in _loose(str(v))
    ]
    tests = []
    if persons:
        tests.append(f"a.person_id IN ({','.join(map(str, persons))})")
    if values:
        tests.append(f"(a.person_id IS NULL AND a.value IN ({','.join('?' * len(values))}))")
    if not tests:
        return "0", []
    sql = (
        "m.id IN (SELECT a.message_id FROM annotations a WHERE a.kind = 'mention'"
        f" AND ({' OR '.join(tests)}))"
    )
    return sql, list(values)


_SPACES = re.compile(r"\s+")


def _loose(text: str) -> str:
    """Case-folded, accents and invisible marks dropped, spaces squeezed."""
    parts = (
        c
        for c in unicodedata.normalize("NFKD", text)
        if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    )
    return _SPACES.sub(" ", "".join(parts).casefold()).strip()


def _has_annotations(conn: sqlite3.Connection) -> bool:
    """Cases made before schema 5 (and bare test schemas) have no annotations table."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'annotations'"
    ).fetchone()
    return found is not None
