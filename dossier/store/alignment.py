"""SQL for aligning two exports of the same chat and folding their copies together."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence


class AlignmentRows:
    conn: sqlite3.Connection

    def conversation_spans(self, platform: str) -> list[tuple[int, int, int, int]]:
        """(conversation id, first sent_at, last sent_at, message count) per conversation."""
        return list(
            self.conn.execute(
                "SELECT c.id, min(m.sent_at), max(m.sent_at), count(*) FROM conversations c"
                " JOIN messages m ON m.conversation_id = c.id WHERE c.platform = ?"
                " GROUP BY c.id",
                (platform,),
            )
        )

    def fill_match_hashes(self, conversation_ids: Sequence[int]) -> None:
        """Compute the alignment hash of every message in these conversations that lacks one.

        Done only when two conversations may hold copies of each other, so a plain ingest does
        not pay for it.
        """
        marks = ",".join("?" * len(conversation_ids))
        self.conn.execute(
            "UPDATE messages SET match_hash = dossier_match_hash(kind, body_search)"
            f" WHERE match_hash IS NULL AND conversation_id IN ({marks})",
            tuple(conversation_ids),
        )

    def shared_match_counts(self, conversation_id: int, others: Sequence[int]) -> dict[int, int]:
        """How many messages of ``conversation_id`` have a same-text twin in each of ``others``."""
        if not others:
            return {}
        marks = ",".join("?" * len(others))
        rows = self.conn.execute(
            "SELECT o.conversation_id, count(DISTINCT n.id) FROM messages n"
            " JOIN messages o ON o.match_hash = n.match_hash"
            f" WHERE n.conversation_id = ? AND o.conversation_id IN ({marks})"
            " GROUP BY o.conversation_id",
            (conversation_id, *others),
        )
        return {int(c): int(n) for c, n in rows}

    def alignment_rows(
        self, conversation_id: int, first: int | None = None, last: int | None = None
    ) -> list[tuple[int, int, int, int | None, str]]:
        """(id, sent_at, match_hash, sender_id, kind) of a conversation in time order, only
        between the times ``first`` and ``last`` when given."""
        return list(
            self.conn.execute(
                "SELECT id, sent_at, match_hash, sender_id, kind FROM messages"
                " WHERE conversation_id = ? AND sent_at BETWEEN ? AND ? ORDER BY sent_at, id",
                (
                    conversation_id,
                    -(2**62) if first is None else first,
                    2**62 if last is None else last,
                ),
            )
        )

    def fold_messages(self, pairs: Sequence[tuple[int, int]]) -> None:
        """For each (duplicate, original): its copies and attachments go to the original and
        the duplicate message row is removed (from the index too)."""
        self.conn.executemany(
            "UPDATE further_copies SET message_id = ? WHERE message_id = ?",
            ((orig, dup) for dup, orig in pairs),
        )
        self.conn.executemany(
            "INSERT INTO further_copies(message_id, source_id, sender_id, header_text,"
            " line_start, line_end, byte_start, byte_end)"
            " SELECT ?, source_id, sender_id, local_text, line_start, line_end, byte_start,"
            " byte_end FROM messages WHERE id = ?",
            ((orig, dup) for dup, orig in pairs),
        )
        self.conn.executemany(
            "UPDATE attachments SET message_id = ? WHERE message_id = ?",
            ((orig, dup) for dup, orig in pairs),
        )
        self.conn.executemany(
            "INSERT INTO messages_fts(messages_fts, rowid, body_search)"
            " SELECT 'delete', id, body_search FROM messages WHERE id = ?",
            ((dup,) for dup, _ in pairs),
        )
        self.conn.executemany(
            "DELETE FROM message_details WHERE message_id = ?", ((dup,) for dup, _ in pairs)
        )
        self.conn.executemany("DELETE FROM messages WHERE id = ?", ((dup,) for dup, _ in pairs))

    def move_conversation(self, from_id: int, to_id: int) -> None:
        self.conn.execute(
            "UPDATE messages SET conversation_id = ? WHERE conversation_id = ?", (to_id, from_id)
        )
        self.conn.execute("DELETE FROM conversations WHERE id = ?", (from_id,))
