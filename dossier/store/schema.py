"""Schema versions. A case made by any version opens in every later one.

Migrations are the numbered SQL files in ``migrations/``; each runs once, in order, inside a
transaction, and ``meta.schema_version`` records the last one applied.
"""

from __future__ import annotations

import sqlite3
from importlib import resources

from dossier.errors import CaseTooNew


def migration_scripts() -> list[tuple[int, str]]:
    """(version, SQL) for every migration shipped, in order."""
    folder = resources.files("dossier.store").joinpath("migrations")
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


LATEST_VERSION = migration_scripts()[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, where: str) -> int:
    """Bring the database up to the latest schema; returns the version it is at now."""
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise CaseTooNew(
            f"The case at {where} was made by a newer Dossier (schema {version}; this one "
            f"knows up to {LATEST_VERSION}).",
            "upgrade Dossier (pip install -U dossier) to open it; the case was not changed",
        )
    for number, script in migration_scripts():
        if number <= version:
            continue
        # executescript commits any open transaction first; wrap the script in its own.
        conn.executescript(
            "BEGIN;\n"
            + script
            + f"\nINSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '{number}');"
            + "\nCOMMIT;"
        )
        version = number
    return version
