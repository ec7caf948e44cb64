"""Query results as dicts keyed by column name, for the store's reading methods."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any


def dict_rows(conn: sqlite3.Connection, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    cur.row_factory = sqlite3.Row
    return [dict(row) for row in cur]


def dict_row(conn: sqlite3.Connection, sql: str, args: Sequence[Any] = ()) -> dict[str, Any] | None:
    """The first row, or None when there is none."""
    cur = conn.execute(sql, args)
    cur.row_factory = sqlite3.Row
    row = cur.fetchone()
    return None if row is None else dict(row)
