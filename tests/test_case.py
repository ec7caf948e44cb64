"""The case folder: creating, opening, versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dossier.case import DB_NAME, Case
from dossier.errors import CaseExists, CaseNotFound, CaseTooNew, DossierError
from dossier.store.schema import LATEST_VERSION


def test_init_creates_a_case_any_sqlite_tool_can_open(tmp_path: Path, dossier) -> None:
    result = dossier("init", tmp_path / "case", "--tz", "Europe/Madrid", "--title", "Leak")
    assert result.code == 0
    conn = sqlite3.connect(tmp_path / "case" / DB_NAME)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["tz"] == "Europe/Madrid"
    assert meta["title"] == "Leak"
    assert int(meta["schema_version"]) == LATEST_VERSION
    assert (tmp_path / "case" / "objects").is_dir()


def test_init_twice_is_refused_and_keeps_the_case(tmp_path: Path, dossier) -> None:
    dossier("init", tmp_path / "case", "--title", "First")
    result = dossier("init", tmp_path / "case", "--title", "Second")
    assert result.code == 1
    assert "already a case" in result.err
    with Case.open(tmp_path / "case") as case:
        assert case.title == "First"


def test_unknown_zone_is_refused_before_anything_is_written(tmp_path: Path, dossier) -> None:
    result = dossier("init", tmp_path / "case", "--tz", "Europe/Lndon")
    assert result.code == 1
    assert "Unknown time zone" in result.err and "Europe/London" in result.err
    assert not (tmp_path / "case").exists()


def test_opening_a_missing_case_says_how_to_make_one(tmp_path: Path, dossier) -> None:
    result = dossier("sources", tmp_path / "nothing")
    assert result.code == 1
    assert "dossier init" in result.err
    assert "Traceback" not in result.err
    with pytest.raises(CaseNotFound):
        Case.open(tmp_path / "nothing")


def test_a_case_from_a_newer_dossier_is_not_touched(tmp_path: Path) -> None:
    Case.create(tmp_path / "case", title=None, tz="UTC").close()
    db = tmp_path / "case" / DB_NAME
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(CaseTooNew) as info:
        Case.open(tmp_path / "case")
    assert "newer Dossier" in str(info.value)
    assert db.read_bytes() == before


def test_case_exists_error_for_a_file_path(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CaseExists):
        Case.create(tmp_path / "afile", title=None, tz="UTC")


def test_bad_date_order_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DossierError):
        Case.create(tmp_path / "c", title=None, tz="UTC", date_order="ymd")


def test_usage_errors_exit_2(tmp_path: Path, dossier) -> None:
    assert dossier("init").code == 2
    assert dossier("nosuchcommand").code == 2
    assert dossier("search", tmp_path / "c", "x", "--limit", "zero").code == 2


def test_a_damaged_database_is_a_clear_error(tmp_path: Path, dossier) -> None:
    Case.create(tmp_path / "case", title=None, tz="UTC").close()
    (tmp_path / "case" / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    result = dossier("sources", tmp_path / "case")
    assert result.code == 1
    assert "not a readable case database" in result.err
    assert "Traceback" not in result.err


def test_a_busy_case_is_a_clear_error(tmp_path: Path, dossier, monkeypatch) -> None:
    from dossier.store import sqlite as store_module

    Case.create(tmp_path / "case", title=None, tz="UTC").close()
    chat = tmp_path / "c.txt"
    chat.write_text("14/03/2024, 09:00 - A: hi\n", "utf-8")
    holder = sqlite3.connect(tmp_path / "case" / DB_NAME)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the case
    real_connect = store_module.connect

    def impatient(path: Path) -> sqlite3.Connection:
        conn = real_connect(path)
        conn.execute("PRAGMA busy_timeout = 50")
        return conn

    monkeypatch.setattr(store_module, "connect", impatient)
    result = dossier("ingest", tmp_path / "case", chat)
    holder.rollback()
    holder.close()
    assert result.code == 1
    assert "busy" in result.err and "Traceback" not in result.err


def test_a_case_made_by_the_first_version_opens_and_is_upgraded(tmp_path: Path) -> None:
    from dossier.store.schema import migration_scripts

    root = tmp_path / "old"
    (root / "objects").mkdir(parents=True)
    conn = sqlite3.connect(root / DB_NAME)
    version, script = migration_scripts()[0]
    conn.executescript(script)
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?), ('tz', 'UTC')", (str(version),))
    conn.execute("INSERT INTO conversations VALUES (1, 'c1', 'whatsapp', 'Old chat', 'x')")
    conn.commit()
    conn.close()
    with Case.open(root) as case:
        assert case.store.get_meta("schema_version") == str(LATEST_VERSION)
        assert case.store.conn.execute("SELECT count(*) FROM emails").fetchone()[0] == 0
        assert case.store.list_conversations()[0]["title"] == "Old chat"
        # it keeps the page size it was made with (4 KB, sqlite's default); a new case has 16 KB
        assert case.store.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    with Case.create(tmp_path / "new", title="New", tz="UTC") as case:
        assert case.store.conn.execute("PRAGMA page_size").fetchone()[0] == 16384


def _titles(case: Case) -> list[str]:
    rows = case.store.conn.execute("SELECT title FROM conversations ORDER BY id")
    return [title for (title,) in rows]


def test_a_big_write_in_a_batch_is_undone_alone(tmp_path: Path) -> None:
    """A batch's big write (``fresh_transaction``) keeps what the batch did before it, and is
    undone by itself when it fails; inside a savepoint it is that savepoint's part."""
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        store = case.store
        with pytest.raises(RuntimeError), store.batch():
            with store.transaction():
                store.add_conversation("a", "email", "before", "2024-01-01")
            with pytest.raises(RuntimeError), store.fresh_transaction():
                store.add_conversation("b", "email", "undone", "2024-01-01")
                raise RuntimeError("the database refuses a row")
            with store.fresh_transaction():
                store.add_conversation("c", "email", "kept", "2024-01-01")
            with store.transaction():
                store.add_conversation("d", "email", "in a savepoint", "2024-01-01")
                with pytest.raises(RuntimeError), store.fresh_transaction():
                    store.add_conversation("e", "email", "inside", "2024-01-01")
                    raise RuntimeError("fails inside a savepoint: the savepoint stays whole")
                assert _titles(case) == ["before", "kept", "in a savepoint"]
            with store.fresh_transaction():  # commits what came before it
                store.add_conversation("f", "email", "lost", "2024-01-01")
            raise RuntimeError("the run stops before the batch commits again")
        assert _titles(case) == ["before", "kept", "in a savepoint"]
