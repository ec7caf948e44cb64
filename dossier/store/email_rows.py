"""SQL for emails: their facts, recipients, duplicates, threads and DKIM results."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dossier.store.rowdicts import dict_row

MessageRow = tuple[Any, ...]

_INSERT_MESSAGE = (
    "INSERT INTO messages(id, uid, conversation_id, kind, sender_id, body, body_search,"
    " sent_at, local_text, tz, has_seconds, time_flags, edited, source_id, line_start,"
    " line_end, byte_start, byte_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?)"
)
_INSERT_EMAIL = (
    "INSERT INTO emails(message_id, subject, header_message_id, in_reply_to, refs,"
    " headers_raw, html, new_text, folder, item, content_hash, text_hash, parent_id,"
    " dkim, dkim_detail, arc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_THREAD_INPUTS = (
    "SELECT e.message_id, e.header_message_id, e.in_reply_to, e.refs, e.subject, m.sent_at"
    " FROM emails e JOIN messages m ON m.id = e.message_id"
)
_INSERT_COPY = (
    "INSERT OR IGNORE INTO further_copies(message_id, source_id, sender_id, header_text,"
    " line_start, line_end, byte_start, byte_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class EmailRows:
    conn: sqlite3.Connection
    _identity_cache: dict[tuple[str, str, str], int]  # see SqliteStore.identity

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
            _INSERT_COPY,
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
        self.conn.execute(_INSERT_MESSAGE, message)
        self.conn.execute(_INSERT_EMAIL, email)

    # --- many emails at once (see dossier.ingest.mailbatch) ---------------------------------

    def max_source_id(self) -> int:
        row = self.conn.execute("SELECT max(id) FROM sources").fetchone()
        return int(row[0] or 0)

    def has_source(self, sha256: str) -> bool:
        found = self.conn.execute("SELECT 1 FROM sources WHERE sha256 = ?", (sha256,))
        return found.fetchone() is not None

    def identities(
        self, keys: Sequence[tuple[str, str, str, str]]
    ) -> Mapping[tuple[str, str, str], int]:
        """``SqliteStore.identity`` for many (kind, value, context, display) keys at once:
        the ids by (kind, value, context). Those not in the case are created in the order
        given, each with a person named by the display name it first came with."""
        cache = self._identity_cache
        wanted: dict[tuple[str, str, str], str] = {}
        for kind, value, context, display in keys:
            key = (kind, value, context)
            if key not in cache and key not in wanted:
                wanted[key] = display or value
        if wanted:
            self._find_identities(list(wanted))
            self._add_identities([(k, d) for k, d in wanted.items() if k not in cache])
        return cache

    def _find_identities(self, keys: list[tuple[str, str, str]]) -> None:
        wanted = set(keys)
        by_kind: dict[str, list[str]] = {}
        for kind, value, _ in keys:
            by_kind.setdefault(kind, []).append(value)
        for kind, values in by_kind.items():
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for identity_id, value, context in self.conn.execute(
                    "SELECT id, value, context FROM identities"
                    f" WHERE kind = ? AND value IN ({marks})",
                    (kind, *chunk),
                ):
                    if (kind, value, context) in wanted:
                        self._identity_cache[(kind, value, context)] = int(identity_id)

    def _add_identities(self, new: list[tuple[tuple[str, str, str], str]]) -> None:
        """New identities, a person each: the ids ``identity`` would give them one by one."""
        if not new:
            return
        person = int(self.conn.execute("SELECT max(id) FROM persons").fetchone()[0] or 0) + 1
        first = int(self.conn.execute("SELECT max(id) FROM identities").fetchone()[0] or 0) + 1
        persons, identities = [], []
        for n, ((kind, value, context), name) in enumerate(new):
            persons.append((person + n, name))
            identities.append((first + n, person + n, kind, value, context))
            self._identity_cache[(kind, value, context)] = first + n
        self.conn.executemany("INSERT INTO persons(id, name) VALUES (?, ?)", persons)
        self.conn.executemany(
            "INSERT INTO identities(id, person_id, kind, value, context) VALUES (?, ?, ?, ?, ?)",
            identities,
        )

    def emails_by_content(self, content_hashes: Sequence[str]) -> dict[str, int]:
        """The first email (lowest id, as ``email_by_content``) with each content hash."""
        found: dict[str, int] = {}
        for start in range(0, len(content_hashes), 500):
            chunk = content_hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for chash, message_id in self.conn.execute(
                f"SELECT content_hash, min(message_id) FROM emails WHERE content_hash IN ({marks})"
                " GROUP BY content_hash",
                tuple(chunk),
            ):
                found[str(chash)] = int(message_id)
        return found

    def near_duplicates_between(self, first_id: int, last_id: int) -> int:
        """Emails with ids first_id..last_id whose text an earlier email has (any headers)."""
        row = self.conn.execute(
            "SELECT count(*) FROM emails e WHERE e.message_id BETWEEN ? AND ? AND EXISTS"
            " (SELECT 1 FROM emails o WHERE o.text_hash = e.text_hash"
            "  AND o.message_id < e.message_id)",
            (first_id, last_id),
        ).fetchone()
        return int(row[0])

    def put_blobs(self, rows: Sequence[tuple[str, int, bytes]]) -> None:
        """Rows of (sha256, size, data)."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO blobs(sha256, size, data) VALUES (?, ?, ?)", rows
        )

    def add_mail_sources(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows of (id, sha256, name, size, format, parent_id, tz, ingested_at, message_count,
        new_count, merged_count, issue_count): files of emails read and stored whole."""
        self.conn.executemany(
            "INSERT INTO sources(id, sha256, name, size, role, format, status, parent_id,"
            " stored, tz, ingested_at, message_count, new_count, merged_count, issue_count)"
            " VALUES (?, ?, ?, ?, 'messages', ?, 'ok', ?, 1, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def add_custody_rows(self, rows: Sequence[tuple[int, str | None, str, str]]) -> None:
        """Rows of (source_id, custodian, path, supplied_at)."""
        self.conn.executemany(
            "INSERT INTO custody(source_id, custodian, path, supplied_at) VALUES (?, ?, ?, ?)",
            rows,
        )

    def add_issue_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows of (source_id, severity, reason, raw, line_start, line_end, byte_start)."""
        self.conn.executemany(
            "INSERT INTO parse_issues(source_id, severity, reason, raw, line_start, line_end,"
            " byte_start) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def add_fact_rows(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Rows of (source_id, key, value)."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO source_facts(source_id, key, value) VALUES (?, ?, ?)", rows
        )

    def insert_email_messages(
        self, messages: Sequence[MessageRow], emails: Sequence[tuple[Any, ...]]
    ) -> None:
        """Many ``insert_email_message`` at once."""
        self.conn.executemany(_INSERT_MESSAGE, messages)
        self.conn.executemany(_INSERT_EMAIL, emails)

    def insert_recipient_rows(self, rows: Sequence[tuple[int, str, int, int]]) -> None:
        """Rows of (message_id, role, identity_id, position)."""
        self.conn.executemany(
            "INSERT INTO recipients(message_id, role, identity_id, position) VALUES (?, ?, ?, ?)",
            rows,
        )

    def add_further_copies(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows in the order of ``add_further_copy``'s arguments."""
        self.conn.executemany(_INSERT_COPY, rows)

    def set_dkim_rows(self, rows: Sequence[tuple[str, str | None, str, int]]) -> None:
        """Rows of (DKIM status, detail, ARC status, message_id)."""
        self.conn.executemany(
            "UPDATE emails SET dkim = ?, dkim_detail = ?, arc = ? WHERE message_id = ?", rows
        )

    def get_dkim(self, message_id: int) -> tuple[str, str | None, str]:
        """(DKIM status, detail, ARC status) of an email."""
        row = self.conn.execute(
            "SELECT dkim, dkim_detail, arc FROM emails WHERE message_id = ?", (message_id,)
        ).fetchone()
        return (str(row[0]), row[1], str(row[2])) if row else ("unchecked", None, "none")

    def email_details(self, message_id: int) -> dict[str, Any] | None:
        """The email facts of a message (subject, ids, folder, DKIM) with its recipients."""
        details = dict_row(
            self.conn,
            "SELECT subject, header_message_id, in_reply_to, refs, folder, item, dkim,"
            " dkim_detail, arc, parent_id FROM emails WHERE message_id = ?",
            (message_id,),
        )
        if details is None:
            return None
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

    def set_dkim(self, message_id: int, status: str, detail: str | None, arc: str) -> None:
        self.set_dkim_rows([(status, detail, arc, message_id)])

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

    def thread_inputs(
        self, conversations: Sequence[int] | None = None
    ) -> Iterator[tuple[int, str, str, str, str, int]]:
        """(message id, Message-ID, In-Reply-To, References, subject, sent_at) of every email,
        or of the emails in ``conversations``; one row at a time."""
        if conversations is None:
            yield from self.conn.execute(_THREAD_INPUTS)
        else:
            yield from self._thread_inputs_where("m.conversation_id", conversations)

    def thread_inputs_of(
        self, message_ids: Sequence[int]
    ) -> Iterator[tuple[int, str, str, str, str, int]]:
        """``thread_inputs`` of these emails."""
        yield from self._thread_inputs_where("e.message_id", message_ids)

    def _thread_inputs_where(
        self, column: str, values: Sequence[int]
    ) -> Iterator[tuple[int, str, str, str, str, int]]:
        for start in range(0, len(values), 500):
            chunk = tuple(values[start : start + 500])
            marks = ",".join("?" * len(chunk))
            yield from self.conn.execute(f"{_THREAD_INPUTS} WHERE {column} IN ({marks})", chunk)

    def mark_unthreaded(self, message_ids: Sequence[int]) -> None:
        """New emails, for the ingest's threading at the end (see ingest.threading)."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO unthreaded(message_id) VALUES (?)",
            ((message_id,) for message_id in message_ids),
        )

    def unthreaded_emails(self) -> list[tuple[int, str, str, str, str, int, int]]:
        """``thread_inputs`` of the emails waiting to be threaded, with their conversation."""
        return self.conn.execute(
            "SELECT e.message_id, e.header_message_id, e.in_reply_to, e.refs, e.subject,"
            " m.sent_at, m.conversation_id FROM unthreaded u"
            " JOIN emails e ON e.message_id = u.message_id JOIN messages m ON m.id = u.message_id"
        ).fetchall()

    def unthreaded_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM unthreaded").fetchone()[0])

    def has_unthreaded(self) -> bool:
        return self.conn.execute("SELECT 1 FROM unthreaded LIMIT 1").fetchone() is not None

    def clear_unthreaded(self) -> None:
        self.conn.execute("DELETE FROM unthreaded")

    def email_links(self) -> Iterator[tuple[str, str, str, str, int]]:
        """(Message-ID, In-Reply-To, References, subject, conversation id) of every email,
        one row at a time (a case may hold millions)."""
        yield from self.conn.execute(
            "SELECT e.header_message_id, e.in_reply_to, e.refs, e.subject, m.conversation_id"
            " FROM emails e JOIN messages m ON m.id = e.message_id"
        )

    def set_conversation_titles(self, titles: Sequence[tuple[str, int]]) -> None:
        """(title, conversation id): a thread's title follows its first message."""
        self.conn.executemany(
            "UPDATE conversations SET title = ?1 WHERE id = ?2 AND title IS NOT ?1", titles
        )

    def email_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM emails").fetchone()[0])

    def email_conversation_count(self) -> int:
        return int(
            self.conn.execute(
                "SELECT count(*) FROM conversations WHERE platform = 'email'"
            ).fetchone()[0]
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

    def email_conversations(self, uids: Sequence[str], titles: Sequence[str], at: str) -> list[int]:
        """The ids of the email conversations with these uids, each made (with its title)
        if it is new; in the order given."""
        found = self._conversation_ids(uids)
        new: dict[str, str] = {}  # uid -> the title it is made with: its first one
        for uid, title in zip(uids, titles, strict=True):
            if uid not in found:
                new.setdefault(uid, title)
        if new:
            self.conn.executemany(
                "INSERT INTO conversations(uid, platform, title, created_at)"
                " VALUES (?, 'email', ?, ?)",
                ((uid, title, at) for uid, title in new.items()),
            )
            found.update(self._conversation_ids(list(new)))
        return [found[uid] for uid in uids]

    def _conversation_ids(self, uids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(uids), 500):
            chunk = tuple(uids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for uid, conversation in self.conn.execute(
                f"SELECT uid, id FROM conversations WHERE uid IN ({marks})", chunk
            ):
                found[str(uid)] = int(conversation)
        return found

    def move_to_conversations(self, moves: Sequence[tuple[int, int]]) -> None:
        """(conversation id, message id) pairs."""
        self.conn.executemany("UPDATE messages SET conversation_id = ? WHERE id = ?", moves)

    def drop_empty_conversations(self, platform: str) -> None:
        self.conn.execute(
            "DELETE FROM conversations WHERE platform = ? AND NOT EXISTS"
            " (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)",
            (platform,),
        )
