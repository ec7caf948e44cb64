"""SQL for reading messages back: by id, with their copies, attachments and context."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from dossier.store.rowdicts import dict_rows


class Reading:
    conn: sqlite3.Connection

    def conversation(self, conversation_id: int) -> dict[str, Any]:
        cur = self.conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        cur.row_factory = sqlite3.Row
        return dict(cur.fetchone())

    def list_conversations(self) -> list[dict[str, Any]]:
        return dict_rows(
            self.conn,
            "SELECT c.*, count(m.id) AS message_count, min(m.sent_at) AS first_at,"
            " max(m.sent_at) AS last_at FROM conversations c"
            " LEFT JOIN messages m ON m.conversation_id = c.id GROUP BY c.id ORDER BY c.id",
        )

    def message_ids_by_uid_prefix(self, prefix: str, exact: bool = False) -> list[int]:
        """Messages whose uid starts with ``prefix`` (at most 3), or is it, when ``exact``."""
        args: tuple[str, ...]
        if exact:
            sql, args = "SELECT id FROM messages WHERE uid = ?", (prefix,)
        else:
            sql = "SELECT id FROM messages WHERE uid >= ? AND uid < ? LIMIT 3"
            args = (prefix, prefix + "\uffff")
        return [int(r[0]) for r in self.conn.execute(sql, args)]

    def messages_by_ids(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Full rows (with conversation and sender) in the order of ``ids``."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        cur = self.conn.execute(
            "SELECT m.*, c.uid AS conversation_uid, c.title AS conversation_title,"
            " i.value AS sender_as_written, p.name AS sender_person"
            " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " LEFT JOIN identities i ON i.id = m.sender_id"
            " LEFT JOIN persons p ON p.id = i.person_id"
            f" WHERE m.id IN ({marks})",
            tuple(ids),
        )
        cur.row_factory = sqlite3.Row
        by_id = {row["id"]: dict(row) for row in cur}
        return [by_id[i] for i in ids if i in by_id]

    def copies_of(self, message_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        if not message_ids:
            return {}
        marks = ",".join("?" * len(message_ids))
        cur = self.conn.execute(
            "SELECT mc.*, s.name AS source_name, s.sha256 AS source_sha256,"
            # an account id alone says little: name the person it belongs to beside it
            " CASE WHEN i.kind = 'handle' THEN i.value || ' (' || p.name || ')'"
            "  ELSE i.value END AS sender_as_written,"
            " (SELECT group_concat(DISTINCT cu.custodian) FROM custody cu"
            "   WHERE cu.source_id = coalesce(s.parent_id, s.id)"
            "      OR cu.source_id = s.id) AS custodian"
            " FROM message_copies mc JOIN sources s ON s.id = mc.source_id"
            " LEFT JOIN identities i ON i.id = mc.sender_id"
            " LEFT JOIN persons p ON p.id = i.person_id"
            f" WHERE mc.message_id IN ({marks}) ORDER BY mc.source_id, mc.byte_start",
            tuple(message_ids),
        )
        return _by_message(cur)

    def attachments_of(self, message_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        if not message_ids:
            return {}
        marks = ",".join("?" * len(message_ids))
        cur = self.conn.execute(
            "SELECT a.*, s.sha256 AS sha256, s.size AS size FROM attachments a"
            f" LEFT JOIN sources s ON s.id = a.source_id WHERE a.message_id IN ({marks})"
            " ORDER BY a.id",
            tuple(message_ids),
        )
        return _by_message(cur)

    def context_ids(self, message_id: int, before: int, after: int) -> list[int]:
        """Ids of the messages around one, in its conversation, in time order."""
        row = self.conn.execute(
            "SELECT conversation_id, sent_at FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        conv, sent = row
        earlier = self.conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND (sent_at < ? OR"
            " (sent_at = ? AND id < ?)) ORDER BY sent_at DESC, id DESC LIMIT ?",
            (conv, sent, sent, message_id, before),
        ).fetchall()
        later = self.conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND (sent_at > ? OR"
            " (sent_at = ? AND id > ?)) ORDER BY sent_at, id LIMIT ?",
            (conv, sent, sent, message_id, after),
        ).fetchall()
        return [r[0] for r in reversed(earlier)] + [message_id] + [r[0] for r in later]


def _by_message(cur: sqlite3.Cursor) -> dict[int, list[dict[str, Any]]]:
    """Rows grouped by their message_id column, in the query's order."""
    cur.row_factory = sqlite3.Row
    out: dict[int, list[dict[str, Any]]] = {}
    for row in cur:
        out.setdefault(row["message_id"], []).append(dict(row))
    return out
