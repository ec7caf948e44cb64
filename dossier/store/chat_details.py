"""SQL for what chat platforms with ids say about a message: replies, threads, reactions.

Replies and threads are stored as the platform's ids and resolved to messages afterwards,
within the conversation, because a reply may be read before the message it answers (Slack
keeps one file per day; a case may get the older export later).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from dossier.store.rowdicts import dict_row


class ChatDetailRows:
    conn: sqlite3.Connection

    def insert_details(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows of (message_id, platform_id, sender_key, reply_to, thread, forwarded_from,
        edited_at, reactions JSON, mentions JSON, structure JSON, readable text)."""
        self.conn.executemany(
            "INSERT INTO message_details(message_id, platform_id, sender_key, reply_to, thread,"
            " forwarded_from, edited_at, reactions, mentions, structure, readable)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def same_platform_messages(
        self, conversation_id: int, first_new_id: int
    ) -> list[tuple[int, int]]:
        """(new message, message already stored) pairs of this conversation that carry the same
        platform id: the same message read from another export of the chat."""
        before = self.conn.execute(
            "SELECT 1 FROM messages WHERE conversation_id = ? AND id < ? LIMIT 1",
            (conversation_id, first_new_id),
        ).fetchone()
        if before is None:  # a conversation new with this source: nothing to compare
            return []
        return list(
            self.conn.execute(
                "SELECT new.message_id, min(old.message_id)"
                " FROM messages m JOIN message_details new ON new.message_id = m.id"
                " JOIN message_details old ON old.platform_id = new.platform_id"
                " JOIN messages o ON o.id = old.message_id"
                " WHERE m.conversation_id = ?1 AND m.id >= ?2 AND o.conversation_id = ?1"
                " AND o.id < ?2 AND new.platform_id IS NOT NULL GROUP BY new.message_id",
                (conversation_id, first_new_id),
            )
        )

    def drop_details(self, message_ids: Sequence[int]) -> None:
        self.conn.executemany(
            "DELETE FROM message_details WHERE message_id = ?", ((i,) for i in message_ids)
        )

    def resolve_replies(self, conversation_id: int) -> None:
        """Point every reply of the conversation whose answered message is now known at it."""
        self.conn.execute(
            "UPDATE message_details SET reply_to_id = ("
            " SELECT d.message_id FROM message_details d JOIN messages m ON m.id = d.message_id"
            " WHERE d.platform_id = message_details.reply_to AND m.conversation_id = ?1"
            " ORDER BY d.message_id LIMIT 1)"
            " WHERE reply_to IS NOT NULL AND reply_to_id IS NULL AND message_id IN"
            " (SELECT id FROM messages WHERE conversation_id = ?1)",
            (conversation_id,),
        )

    def message_details(self, message_id: int) -> dict[str, Any] | None:
        found = dict_row(
            self.conn,
            "SELECT d.*, r.uid AS reply_to_uid FROM message_details d"
            " LEFT JOIN messages r ON r.id = d.reply_to_id WHERE d.message_id = ?",
            (message_id,),
        )
        if found is None:
            return None
        for key in ("reactions", "mentions", "structure"):
            if found[key] is not None:
                found[key] = json.loads(found[key])
        return found

    def thread_replies(self, conversation_id: int, thread: str) -> list[int]:
        """Ids of the messages of one thread (Slack thread_ts), oldest first."""
        return [
            int(row[0])
            for row in self.conn.execute(
                "SELECT m.id FROM message_details d JOIN messages m ON m.id = d.message_id"
                " WHERE d.thread = ? AND m.conversation_id = ? ORDER BY m.sent_at, m.id",
                (thread, conversation_id),
            )
        ]
