"""SQL for people: persons with their identities, roles, aliases and labels; the evidence
suggestions are drawn from; the user's decisions about pairs of identities."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from dossier.store.rowdicts import dict_rows

PERSON_FIELDS = ("name", "role", "public_figure", "notes", "confirmed")


class PeopleRows:
    conn: sqlite3.Connection

    # --- reading persons -----------------------------------------------------------------

    def people_summary(self) -> list[dict[str, Any]]:
        """Every person with identities, aliases, labels and message counts (sent, and
        received as an email recipient), by id. An identity's ``sent`` counts the messages
        first read under it; ``copies`` those it wrote that were first read under another
        name (the same message in another export)."""
        persons: dict[int, dict[str, Any]] = {}
        cur = self.conn.execute(
            "SELECT id, name, role, public_figure, notes, confirmed FROM persons ORDER BY id"
        )
        cur.row_factory = sqlite3.Row
        for row in cur:
            persons[row["id"]] = {
                **dict(row),
                "public_figure": bool(row["public_figure"]),
                "confirmed": bool(row["confirmed"]),
                "aliases": [],
                "labels": [],
                "identities": [],
                "sent": 0,
                "received": 0,
            }
        sent = dict(
            self.conn.execute(
                "SELECT sender_id, count(*) FROM messages WHERE sender_id IS NOT NULL"
                " GROUP BY sender_id"
            ).fetchall()
        )
        copies = dict(
            self.conn.execute(
                "SELECT sender_id, count(*) FROM further_copies WHERE sender_id IS NOT NULL"
                " GROUP BY sender_id"
            ).fetchall()
        )
        received = dict(
            self.conn.execute(
                "SELECT identity_id, count(DISTINCT message_id) FROM recipients"
                " WHERE role IN ('to', 'cc', 'bcc') GROUP BY identity_id"
            ).fetchall()
        )
        for iid, pid, kind, value, context in self.conn.execute(
            "SELECT id, person_id, kind, value, context FROM identities ORDER BY id"
        ):
            person = persons[pid]
            n_sent, n_received = int(sent.get(iid, 0)), int(received.get(iid, 0))
            person["identities"].append(
                {
                    "id": iid,
                    "kind": kind,
                    "value": value,
                    "context": context,
                    "sent": n_sent,
                    "copies": int(copies.get(iid, 0)),  # messages first read under another
                    "received": n_received,
                }
            )
            person["sent"] += n_sent
            person["received"] += n_received
        for pid, alias in self.conn.execute(
            "SELECT person_id, alias FROM person_aliases ORDER BY person_id, alias"
        ):
            persons[pid]["aliases"].append(alias)
        for pid, label in self.conn.execute(
            "SELECT person_id, label FROM person_labels ORDER BY person_id, label"
        ):
            persons[pid]["labels"].append(label)
        return list(persons.values())

    def person_fields(self, person_id: int) -> dict[str, Any]:
        """One person's name, role, flags, notes, aliases and labels."""
        cur = self.conn.execute(
            "SELECT id, name, role, public_figure, notes, confirmed FROM persons WHERE id = ?",
            (person_id,),
        )
        cur.row_factory = sqlite3.Row
        person = dict(cur.fetchone())
        person["public_figure"] = bool(person["public_figure"])
        person["aliases"] = [
            str(r[0])
            for r in self.conn.execute(
                "SELECT alias FROM person_aliases WHERE person_id = ? ORDER BY alias", (person_id,)
            )
        ]
        person["labels"] = [
            str(r[0])
            for r in self.conn.execute(
                "SELECT label FROM person_labels WHERE person_id = ? ORDER BY label", (person_id,)
            )
        ]
        return person

    def person_exists(self, person_id: int) -> bool:
        found = self.conn.execute("SELECT 1 FROM persons WHERE id = ?", (person_id,)).fetchone()
        return found is not None

    def persons_named(self, text: str) -> list[int]:
        """Persons whose name or alias is ``text`` (case-insensitive), or who have an identity
        whose value is ``text``."""
        rows = self.conn.execute(
            "SELECT id FROM persons WHERE name = ?1 COLLATE NOCASE"
            " UNION SELECT person_id FROM person_aliases WHERE alias = ?1 COLLATE NOCASE"
            " UNION SELECT person_id FROM identities WHERE value = ?1 COLLATE NOCASE"
            " ORDER BY 1",
            (text,),
        )
        return [int(r[0]) for r in rows]

    def identity_value(self, identity_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT value FROM identities WHERE id = ?", (identity_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def identities_of(self, person_id: int) -> list[int]:
        return [
            int(r[0])
            for r in self.conn.execute(
                "SELECT id FROM identities WHERE person_id = ? ORDER BY id", (person_id,)
            )
        ]

    def find_identity(self, kind: str, value: str, context: str) -> int | None:
        """The identity (kind, value, context) if the case has it; never creates one."""
        row = self.conn.execute(
            "SELECT id FROM identities WHERE kind = ? AND value = ? AND context = ?",
            (kind, value, context),
        ).fetchone()
        return None if row is None else int(row[0])

    def sample_uids(self, identity_id: int, limit: int = 2) -> list[str]:
        return [
            str(r[0])
            for r in self.conn.execute(
                "SELECT uid FROM messages WHERE sender_id = ? ORDER BY sent_at, id LIMIT ?",
                (identity_id, limit),
            )
        ]

    def copy_persons(self, message_ids: Sequence[int]) -> dict[tuple[int, int, int], int]:
        """(message id, source id, byte start) of each copy -> the person who wrote it."""
        if not message_ids:
            return {}
        marks = ",".join("?" * len(message_ids))
        rows = self.conn.execute(
            "SELECT mc.message_id, mc.source_id, mc.byte_start, i.person_id"
            " FROM message_copies mc JOIN identities i ON i.id = mc.sender_id"
            f" WHERE mc.message_id IN ({marks})",
            tuple(message_ids),
        )
        return {(int(m), int(s), int(b)): int(p) for m, s, b, p in rows}

    def recipient_persons(self, message_id: int) -> list[tuple[str, int]]:
        """(role, person) of an email's sender and recipients, in header order."""
        rows = self.conn.execute(
            "SELECT r.role, i.person_id FROM recipients r JOIN identities i"
            " ON i.id = r.identity_id WHERE r.message_id = ? ORDER BY r.role, r.position",
            (message_id,),
        )
        return [(str(role), int(pid)) for role, pid in rows]

    def person_links(self, person_id: int) -> list[dict[str, Any]]:
        """Why this person's identities are one person: the recorded links, oldest first."""
        return dict_rows(
            self.conn,
            "SELECT l.reason, l.evidence, l.created_at, a.value AS a_value,"
            " a.context AS a_context, b.value AS b_value, b.context AS b_context"
            " FROM identity_links l JOIN identities a ON a.id = l.identity_a"
            " JOIN identities b ON b.id = l.identity_b"
            " WHERE a.person_id = ?1 OR b.person_id = ?1 ORDER BY l.id",
            (person_id,),
        )

    def persons_rejected_with(self, person_id: int) -> list[int]:
        """The persons the user said this one is not."""
        rows = self.conn.execute(
            "SELECT DISTINCT o.person_id FROM identity_decisions d"
            " JOIN identities a ON a.id IN (d.identity_a, d.identity_b)"
            " JOIN identities o ON o.id IN (d.identity_a, d.identity_b) AND o.id <> a.id"
            " WHERE d.decision = 'rejected' AND a.person_id = ?1 AND o.person_id <> ?1"
            " ORDER BY 1",
            (person_id,),
        )
        return [int(r[0]) for r in rows]

    # --- evidence for suggestions --------------------------------------------------------

    def same_message_senders(self) -> list[tuple[int, int, int, str]]:
        """(identity, identity, messages, an example uid) for every two identities of
        different persons that wrote the same message in two exports."""
        rows = self.conn.execute(
            "SELECT m.sender_id, f.sender_id, count(*), min(m.uid)"
            " FROM further_copies f JOIN messages m ON m.id = f.message_id"
            " JOIN identities a ON a.id = m.sender_id JOIN identities b ON b.id = f.sender_id"
            " WHERE a.person_id <> b.person_id GROUP BY m.sender_id, f.sender_id"
        )
        return [(int(a), int(b), int(n), str(uid)) for a, b, n, uid in rows]

    def chat_presence(self) -> list[tuple[str, int, int, int]]:
        """(identity context, identity, conversations it wrote in, conversations of that
        context) for the per-phone name identities: who appears in every chat of a phone."""
        rows = self.conn.execute(
            "WITH per AS (SELECT i.context, i.id AS identity_id,"
            "   count(DISTINCT m.conversation_id) AS n FROM identities i"
            "   JOIN messages m ON m.sender_id = i.id"
            "   WHERE i.kind = 'name' AND i.context <> '' GROUP BY i.id),"
            " total AS (SELECT i.context, count(DISTINCT m.conversation_id) AS n"
            "   FROM identities i JOIN messages m ON m.sender_id = i.id"
            "   WHERE i.kind = 'name' AND i.context <> '' GROUP BY i.context)"
            " SELECT per.context, per.identity_id, per.n, total.n FROM per"
            " JOIN total ON total.context = per.context"
        )
        return [(str(c), int(i), int(n), int(t)) for c, i, n, t in rows]

    def mailbox_presence(self) -> list[tuple[str, int, int, int]]:
        """(custodian, identity, emails of that custodian it is on, emails of that custodian)
        for every identity on at least a tenth of a custodian's emails: the mailbox owner is
        on nearly all of them."""
        rows = self.conn.execute(
            "WITH mine AS (SELECT DISTINCT c.custodian, m.id AS message_id"
            "   FROM messages m JOIN emails e ON e.message_id = m.id"
            "   JOIN sources s ON s.id = m.source_id"
            "   JOIN custody c ON c.source_id IN (s.id, s.parent_id)"
            "   WHERE c.custodian IS NOT NULL AND c.custodian <> ''),"
            " total AS (SELECT custodian, count(*) AS n FROM mine GROUP BY custodian),"
            " per AS (SELECT mine.custodian, r.identity_id,"
            "   count(DISTINCT mine.message_id) AS n FROM mine"
            "   JOIN recipients r ON r.message_id = mine.message_id"
            "   GROUP BY mine.custodian, r.identity_id)"
            " SELECT per.custodian, per.identity_id, per.n, total.n FROM per"
            " JOIN total ON total.custodian = per.custodian WHERE per.n * 10 >= total.n"
        )
        return [(str(c), int(i), int(n), int(t)) for c, i, n, t in rows]

    def email_sender_headers(self) -> Iterator[tuple[int, str]]:
        """(sender identity, header block) of every email: the names an address was written
        under are in its From (and the X-From some exports add)."""
        yield from self.conn.execute(
            "SELECT r.identity_id, e.headers_raw FROM recipients r"
            " JOIN emails e ON e.message_id = r.message_id WHERE r.role = 'from'"
        )

    # --- decisions -----------------------------------------------------------------------

    def decisions(self) -> dict[tuple[int, int], str]:
        """(smaller identity id, larger) -> 'confirmed' | 'rejected'."""
        return {
            (int(a), int(b)): str(d)
            for a, b, d in self.conn.execute(
                "SELECT identity_a, identity_b, decision FROM identity_decisions"
            )
        }

    def record_decisions(self, pairs: Iterable[tuple[int, int]], decision: str, at: str) -> int:
        rows = [(min(a, b), max(a, b), decision, at) for a, b in pairs if a != b]
        self.conn.executemany(
            "INSERT OR REPLACE INTO identity_decisions(identity_a, identity_b, decision,"
            " decided_at) VALUES (?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def rejected_between(self, person_a: int, person_b: int) -> bool:
        """Whether the user rejected any pair of identities across these two persons."""
        found = self.conn.execute(
            "SELECT 1 FROM identity_decisions d"
            " JOIN identities a ON a.id IN (d.identity_a, d.identity_b)"
            " JOIN identities b ON b.id IN (d.identity_a, d.identity_b) AND b.id <> a.id"
            " WHERE d.decision = 'rejected' AND a.person_id = ? AND b.person_id = ? LIMIT 1",
            (person_a, person_b),
        ).fetchone()
        return found is not None

    # --- changing persons ----------------------------------------------------------------

    def new_person(self, name: str) -> int:
        cur = self.conn.execute("INSERT INTO persons(name) VALUES (?)", (name,))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def move_identities(self, identity_ids: Sequence[int], person_id: int) -> None:
        self.conn.executemany(
            "UPDATE identities SET person_id = ? WHERE id = ?",
            [(person_id, i) for i in identity_ids],
        )

    def absorb_person_details(self, keep: int, absorb: int) -> None:
        """Before two persons become one: the aliases and labels of ``absorb`` go to ``keep``;
        mentions of ``absorb`` now mean ``keep``."""
        for table in ("person_aliases", "person_labels"):
            self.conn.execute(
                f"INSERT OR IGNORE INTO {table} SELECT ?, {_COLUMN[table]} FROM {table}"
                " WHERE person_id = ?",
                (keep, absorb),
            )
            self.conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (absorb,))
        self.conn.execute(
            "UPDATE annotations SET person_id = ? WHERE person_id = ?", (keep, absorb)
        )

    def delete_person_if_empty(self, person_id: int) -> bool:
        if self.identities_of(person_id):
            return False
        for table in ("person_aliases", "person_labels"):
            self.conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))
        self.conn.execute(
            "UPDATE annotations SET person_id = NULL WHERE person_id = ?", (person_id,)
        )
        self.conn.execute("DELETE FROM persons WHERE id = ?", (person_id,))
        return True

    def update_person(self, person_id: int, **fields: Any) -> None:
        assert fields and set(fields) <= set(PERSON_FIELDS), fields
        sets = ", ".join(f"{name} = ?" for name in fields)
        self.conn.execute(f"UPDATE persons SET {sets} WHERE id = ?", (*fields.values(), person_id))

    def set_aliases(self, person_id: int, aliases: Iterable[str]) -> None:
        self._set_many("person_aliases", person_id, aliases)

    def set_labels(self, person_id: int, labels: Iterable[str]) -> None:
        self._set_many("person_labels", person_id, labels)

    def _set_many(self, table: str, person_id: int, values: Iterable[str]) -> None:
        self.conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))
        self.conn.executemany(
            f"INSERT OR IGNORE INTO {table}(person_id, {_COLUMN[table]}) VALUES (?, ?)",
            [(person_id, v) for v in values],
        )


_COLUMN = {"person_aliases": "alias", "person_labels": "label"}
