"""What the network of who writes to and about whom is built from (read only).

Each method yields plain tuples with the UTC time of the message, so the graph code can count
per month and filter by date without knowing SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from dossier.store.rowdicts import dict_rows

_SENDER_PERSON = "JOIN identities si ON si.id = m.sender_id"
_WHEN = "(? IS NULL OR m.sent_at >= ?) AND (? IS NULL OR m.sent_at < ?)"


def _when(since: int | None, until: int | None) -> tuple[int | None, ...]:
    return (since, since, until, until)


class NetworkRows:
    conn: sqlite3.Connection

    def graph_persons(self) -> list[dict[str, Any]]:
        """Every person: name, role, public flag, labels, how many messages they wrote."""
        return dict_rows(
            self.conn,
            "SELECT p.id, p.name, p.role, p.public_figure,"
            " (SELECT group_concat(label, ';') FROM (SELECT label FROM person_labels l"
            "   WHERE l.person_id = p.id ORDER BY label)) AS labels,"
            " (SELECT count(*) FROM messages m JOIN identities i ON i.id = m.sender_id"
            "   WHERE i.person_id = p.id) AS messages"
            " FROM persons p ORDER BY p.id",
        )

    def email_addressing(
        self, since: int | None, until: int | None
    ) -> Iterator[tuple[int, int, int]]:
        """(sender person, recipient person, sent_at) for each To/Cc/Bcc of each email."""
        rows = self.conn.execute(
            "SELECT si.person_id, ri.person_id, m.sent_at FROM recipients r"
            " JOIN messages m ON m.id = r.message_id " + _SENDER_PERSON + ""
            " JOIN identities ri ON ri.id = r.identity_id"
            f" WHERE r.role IN ('to', 'cc', 'bcc') AND {_WHEN}",
            _when(since, until),
        )
        for sender, recipient, sent_at in rows:
            yield int(sender), int(recipient), int(sent_at)

    def chat_sequence(
        self, since: int | None, until: int | None
    ) -> Iterator[tuple[int, int, int, int | None]]:
        """(conversation, author person, sent_at, person answered or None) for every chat
        message with an author, in conversation and time order. The person answered is the
        author of the message it replies to, when the platform says so."""
        rows = self.conn.execute(
            "SELECT m.conversation_id, si.person_id, m.sent_at, ti.person_id"
            " FROM messages m " + _SENDER_PERSON + ""
            " LEFT JOIN message_details d ON d.message_id = m.id"
            " LEFT JOIN messages t ON t.id = d.reply_to_id"
            " LEFT JOIN identities ti ON ti.id = t.sender_id"
            f" WHERE m.kind NOT IN ('email', 'system') AND {_WHEN}"
            " ORDER BY m.conversation_id, m.sent_at, m.id",
            _when(since, until),
        )
        for conversation, author, sent_at, answered in rows:
            yield int(conversation), int(author), int(sent_at), answered

    def mention_edges(
        self, since: int | None, until: int | None
    ) -> Iterator[tuple[int, int | None, str, int]]:
        """(author person, person mentioned or None, name found, sent_at) for each mention
        that names someone: a person of the case, or a name the model found (ambiguous
        first names, meaning nobody in particular, are left out)."""
        rows = self.conn.execute(
            "SELECT si.person_id, a.person_id, a.value, m.sent_at FROM annotations a"
            " JOIN messages m ON m.id = a.message_id " + _SENDER_PERSON + ""
            " WHERE a.kind = 'mention' AND (a.person_id IS NOT NULL"
            f" OR a.method LIKE 'mentions/ner@%') AND {_WHEN}",
            _when(since, until),
        )
        for author, person, value, sent_at in rows:
            yield int(author), person, str(value), int(sent_at)
