"""SQL for emails: their facts, recipients, duplicates, threads and DKIM results."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

MessageRow = tuple[Any, ...]


class EmailRows:
    conn: sqlite3.Connection

    def email_by_content(self, content_hash: str) -> int | None:
        row = self.conn.execute(
            "SELECT message_id FROM emails WHERE content_hash = ? LIMIT 1", (content_hash,)
        ).fetchone()
        return None if row is None else int(row[0])

    def text_hash_count(self, text_hash: str) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM emails WHERE text_hash = ?", (text_hash,)
        ).fetchone()
        return int(row[0])

    def uid_exists(self, uid: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM messages WHERE uid = ?", (uid,)).fetchone() is not None
        )

    def add_further_copy(
        self,
        message_id: int,
        source_id: int,
        sender_id: int | None,
        header_text: str,
        line_start: int,
        line_end: int,
        byte_start: int,
        byte_end: int,
    ) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO further_copies(message_id, source_id, sender_id, header_text,"
            " line_start, line_end, byte_start, byte_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_id,
                source_id,
                sender_id,
                header_text,
                line_start,
                line_end,
                byte_start,
                byte_end,
            ),
        )

    def insert_email_message(self, message: MessageRow, email: tuple[Any, ...]) -> None:
        """A message row (see insert_local_messages, with case ids) and its emails row."""
        self.conn.execute(
            "INSERT INTO messages(id, uid, conversation_id, kind, sender_id, body, body_search,"
            " sent_at, local_text, tz, has_seconds, time_flags, edited, source_id, line_start,"
            " line_end, byte_start, byte_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?)",
            message,
        )
        self.conn.execute(
            "INSERT INTO emails(message_id, subject, header_message_id, in_reply_to, refs,"
            " headers_raw, html, new_text, folder, item, content_hash, text_hash, parent_id,"
            " dkim, dkim_detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            email,
        )

    def get_dkim(self, message_id: int) -> tuple[str, str | None]:
        row = self.conn.execute(
            "SELECT dkim, dkim_detail FROM emails WHERE message_id = ?", (message_id,)
        ).fetchone()
        return (str(row[0]), row[1]) if row else ("unchecked", None)

    def email_details(self, message_id: int) -> dict[str, Any] | None:
        """The email facts of a message (subject, ids, folder, DKIM) with its recipients."""
        cur = self.conn.execute(
            "SELECT subject, header_message_id, in_reply_to, refs, folder, item, dkim,"
            " dkim_detail, parent_id FROM emails WHERE message_id = ?",
            (message_id,),
        )
        cur.row_factory = sqlite3.Row
        row = cur.fetchone()
        if row is None:
            return None
        details = dict(row)
        details["recipients"] = [
            {"role": role, "address": value, "name": name}
            for role, value, name in self.conn.execute(
                "SELECT r.role, i.value, p.name FROM recipients r"
                " JOIN identities i ON i.id = r.identity_id JOIN persons p ON p.id = i.person_id"
                " WHERE r.message_id = ? ORDER BY r.role, r.position",
                (message_id,),
            )
        ]
        return details

    def near_duplicate_groups(self) -> list[list[dict[str, Any]]]:
        """Emails with the same text but different headers, grouped (2 or more a group)."""
        cur = self.conn.execute(
            "SELECT e.text_hash, m.uid, e.subject, e.header_message_id, m.sent_at, e.folder,"
            " i.value AS sender FROM emails e JOIN messages m ON m.id = e.message_id"
            " LEFT JOIN identities i ON i.id = m.sender_id"
            " WHERE e.text_hash IN (SELECT text_hash FROM emails GROUP BY text_hash"
            "   HAVING count(*) > 1 AND count(DISTINCT content_hash) > 1)"
            " AND length(m.body) > 0 ORDER BY e.text_hash, m.sent_at"
        )
        cur.row_factory = sqlite3.Row
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in cur:
            entry = dict(row)
            groups.setdefault(entry.pop("text_hash"), []).append(entry)
        return list(groups.values())

    def set_dkim(self, message_id: int, status: str, detail: str | None) -> None:
        self.conn.execute(
            "UPDATE emails SET dkim = ?, dkim_detail = ? WHERE message_id = ?",
            (status, detail, message_id),
        )

    def email_copies_with_origin(self) -> list[tuple[int, int, int, int, str | None]]:
        """(message id, source id, byte_start, byte_end, mbox variant) of every copy of every
        email that has RFC 822 bytes (not .pst/.msg items, not emails attached to emails)."""
        return list(
            self.conn.execute(
                "SELECT c.message_id, c.source_id, c.byte_start, c.byte_end, f.value"
                " FROM emails e JOIN message_copies c ON c.message_id = e.message_id"
                " JOIN sources s ON s.id = c.source_id AND s.format IN ('eml', 'mbox')"
                " LEFT JOIN source_facts f ON f.source_id = c.source_id AND f.key = 'mbox_variant'"
                " WHERE e.item IS NULL AND e.parent_id IS NULL"
                " ORDER BY c.source_id, c.message_id"
            )
        )

    def insert_recipients(self, message_id: int, rows: Sequence[tuple[str, int, int]]) -> None:
        if not rows:
            return
        self.conn.executemany(
            "INSERT INTO recipients(message_id, role, identity_id, position) VALUES (?, ?, ?, ?)",
            ((message_id, role, identity, position) for role, identity, position in rows),
        )

    def insert_attachment_rows(
        self, rows: Sequence[tuple[int, str, int | None, str | None, str | None]]
    ) -> None:
        """Rows of (message_id, name, source_id, content_type, extracted text)."""
        if not rows:
            return
        self.conn.executemany(
            "INSERT INTO attachments(message_id, name, source_id, content_type, text)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    def thread_inputs(self) -> list[tuple[int, str, str, str, str, int]]:
        """(message id, Message-ID, In-Reply-To, References, subject, sent_at) of every email."""
        return list(
            self.conn.execute(
                "SELECT e.message_id, e.header_message_id, e.in_reply_to, e.refs, e.subject,"
                " m.sent_at FROM emails e JOIN messages m ON m.id = e.message_id"
            )
        )

    def message_conversations(self, ids: Sequence[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for mid, cid in self.conn.execute(
                f"SELECT id, conversation_id FROM messages WHERE id IN ({marks})", tuple(chunk)
            ):
                out[int(mid)] = int(cid)
        return out

    def set_conversation(self, conversation_id: int, ids: Sequence[int]) -> None:
        self.conn.executemany(
            "UPDATE messages SET conversation_id = ? WHERE id = ?",
            ((conversation_id, i) for i in ids),
        )

    def drop_empty_conversations(self, platform: str) -> None:
        self.conn.execute(
            "DELETE FROM conversations WHERE platform = ? AND NOT EXISTS"
            " (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)",
            (platform,),
        )
