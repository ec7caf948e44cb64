"""Resolving ``from:``/``to:``/``in:`` values to short lists of ids before a query runs.

A person is found by their name, any alias the user gave them (``person_aliases``) or any of
their identities (a display name as a phone shows it, a number, an address, a handle); the
operator then means *every* identity of that person, so ``from:"Maria Lopez"`` also finds the
messages her number sent on a phone where she was not saved.
"""

from __future__ import annotations

import re
import sqlite3

from dossier.store.search_text import squash

_PHONE = re.compile(r"\+?[\d\s().\-/]+")
MIN_DIGITS = 5  # fewer digits than this are too many numbers' substring to mean one


def sender_ids(conn: sqlite3.Connection, name: str) -> list[int]:
    """Every identity of every person whose name, alias or any identity value contains
    ``name`` (folded; a number given as digits matches however it was written)."""
    digits = re.sub(r"\D", "", name) if _PHONE.fullmatch(name) else ""
    alias = (
        " UNION SELECT a.person_id FROM person_aliases a WHERE dossier_contains(a.alias, ?1, '')"
        if _has_table(conn, "person_aliases")
        else ""
    )
    rows = conn.execute(
        "SELECT i.id FROM identities i WHERE i.person_id IN ("
        " SELECT p.id FROM persons p WHERE dossier_contains(p.name, ?1, '')"
        " UNION SELECT j.person_id FROM identities j WHERE dossier_contains(j.value, ?1, ?2)"
        f"{alias}) ORDER BY i.id",
        (squash(name), digits if len(digits) >= MIN_DIGITS else ""),
    )
    return [int(r[0]) for r in rows]


def conversation_ids(conn: sqlite3.Connection, name: str) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM conversations WHERE uid = ? OR dossier_contains(title, ?, '') ORDER BY id",
        (name, squash(name)),
    )
    return [int(r[0]) for r in rows]


def _has_table(conn: sqlite3.Connection, table: str) -> bool:
    """Cases made before people had aliases (and the bare test schemas) lack the table."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return found is not None
