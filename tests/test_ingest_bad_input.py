"""Bad input: each gets a clear message, and nothing already in the case is lost or half-written."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from dossier.case import DB_NAME, Case
from dossier.formats import archive
from dossier.ingest import entries as entries_module
from dossier.ingest import ingest
from tests.conftest import android_chat

GOOD = android_chat(
    [
        ("14/03/2024, 09:01", "Maria", "first"),
        ("14/03/2024, 09:02", "Tom", "second"),
        ("15/03/2024, 10:00", "Maria", "third"),
    ]
)


# A different chat: different words, so it is not merged with GOOD as another copy of it.
OTHER = android_chat(
    [
        ("20/06/2024, 18:00", "Ana", "uno"),
        ("20/06/2024, 18:05", "Eve", "dos"),
        ("21/06/2024, 08:00", "Ana", "tres"),
    ]
)


@pytest.fixture
def case_with_data(tmp_path: Path, dossier) -> Path:
    """A case that already holds a chat; every bad input must leave it as it is."""
    good = tmp_path / "good.txt"
    good.write_text(GOOD, "utf-8")
    dossier("init", tmp_path / "case")
    assert dossier("ingest", tmp_path / "case", good).code == 0
    return tmp_path / "case"


def snapshot(case: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(case / DB_NAME)
    rows = conn.execute("SELECT uid, body, sent_at FROM messages ORDER BY uid").fetchall()
    conn.close()
    return rows


def check_intact(case: Path, before: list[tuple[object, ...]]) -> None:
    after = snapshot(case)
    assert after[: len(before)] == before or set(before) <= set(after)
    conn = sqlite3.connect(case / DB_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_not_an_export(case_with_data: Path, tmp_path: Path, dossier) -> None:
    before = snapshot(case_with_data)
    prose = tmp_path / "notes.txt"
    prose.write_text("Dear Sir,\nplease find attached the minutes.\n" * 20, "utf-8")
    result = dossier("ingest", case_with_data, prose)
    assert result.code == 0
    assert "Not recognised" in result.err and "notes.txt" in result.err
    check_intact(case_with_data, before)
    sources = json.loads(dossier("sources", case_with_data, "--json").out)
    kept = next(s for s in sources if s["name"].endswith("notes.txt"))
    assert kept["status"] == "unrecognised"  # the original is still kept as evidence


def test_binary_garbage(case_with_data: Path, tmp_path: Path, dossier) -> None:
    before = snapshot(case_with_data)
    junk = tmp_path / "chat.txt"
    junk.write_bytes(bytes(range(256)) * 400)
    result = dossier("ingest", case_with_data, junk)
    assert result.code == 0
    assert "binary" in result.err
    check_intact(case_with_data, before)
    assert len(snapshot(case_with_data)) == len(before)


def test_empty_file(case_with_data: Path, tmp_path: Path, dossier) -> None:
    before = snapshot(case_with_data)
    empty = tmp_path / "WhatsApp Chat with Nobody.txt"
    empty.write_bytes(b"")
    result = dossier("ingest", case_with_data, empty)
    assert result.code == 0
    assert "empty" in result.err
    check_intact(case_with_data, before)


def test_missing_path_is_refused_before_anything_is_done(
    case_with_data: Path, tmp_path: Path, dossier
) -> None:
    good = tmp_path / "other.txt"
    good.write_text(GOOD.replace("first", "другой"), "utf-8")
    result = dossier("ingest", case_with_data, good, tmp_path / "nope.txt")
    assert result.code == 1
    assert "Not found" in result.err and "nope.txt" in result.err
    assert "другой" not in str(snapshot(case_with_data))


def test_huge_line(case_with_data: Path, tmp_path: Path, dossier) -> None:
    """A 100 MB line: read in bounded pieces, the message kept, the excess reported."""
    before = snapshot(case_with_data)
    big = tmp_path / "big.txt"
    with open(big, "wb") as out:
        out.write(b"16/03/2024, 09:01 - Maria: start of a huge message ")
        block = b"x" * (1024 * 1024)
        for _ in range(100):
            out.write(block)
        out.write(b"\n16/03/2024, 09:02 - Tom: after the huge line\n")
    result = dossier("ingest", case_with_data, big)
    assert result.code == 0, result.err
    check_intact(case_with_data, before)
    hits = json.loads(dossier("search", case_with_data, '"after the huge line"', "--json").out)
    assert len(hits) == 1
    issues = json.loads(dossier("issues", case_with_data, "--json").out)["issues"]
    assert any("big.txt" in i["source_name"] for i in issues)
    assert all(len(i["raw"]) < 100_000 for i in issues)


def test_truncated_zip(case_with_data: Path, tmp_path: Path, dossier) -> None:
    before = snapshot(case_with_data)
    export = tmp_path / "WhatsApp Chat - Cut.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("_chat.txt", GOOD * 200)
    data = export.read_bytes()
    export.write_bytes(data[: len(data) // 2])
    result = dossier("ingest", case_with_data, export)
    assert result.code == 1
    assert "not a readable zip" in result.err and "truncated" in result.err
    assert "Traceback" not in result.err
    check_intact(case_with_data, before)
    assert len(snapshot(case_with_data)) == len(before)


def _encrypt_flag(path: Path) -> None:
    """Mark every member encrypted, as a password-protected zip is (flag bit 0)."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (found := data.find(signature, start)) != -1:
            data[found + offset] |= 0x01
            start = found + 4
    path.write_bytes(bytes(data))


def test_encrypted_zip(case_with_data: Path, tmp_path: Path, dossier) -> None:
    before = snapshot(case_with_data)
    export = tmp_path / "WhatsApp Chat - Secret.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("_chat.txt", GOOD)
    _encrypt_flag(export)
    result = dossier("ingest", case_with_data, export)
    assert result.code == 1
    assert "encrypted" in result.err
    check_intact(case_with_data, before)
    issues = json.loads(dossier("issues", case_with_data, "--json").out)["issues"]
    assert any("encrypted" in i["reason"] for i in issues)


def test_zip_bomb_member_is_refused_and_the_rest_read(
    case_with_data: Path, tmp_path: Path, dossier
) -> None:
    before = snapshot(case_with_data)
    export = tmp_path / "WhatsApp Chat - Bomb.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("_chat.txt", OTHER)
        zf.writestr("video.mp4", b"\0" * (30 * 1024 * 1024))  # 30 MB of zeros -> ~30 KB
    result = dossier("ingest", case_with_data, export)
    assert result.code == 1
    assert "zip bomb" in result.err and "video.mp4" in result.err
    check_intact(case_with_data, before)
    assert len(snapshot(case_with_data)) == len(before) + 3


def test_whole_archive_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dossier) -> None:
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1000)
    export = tmp_path / "big.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("_chat.txt", GOOD * 100)
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", export)
    assert result.code == 1 and "zip bomb" in result.err


@pytest.mark.parametrize("evil", ["../../etc/passwd", "/etc/cron.d/x", "C:\\Windows\\x.txt"])
def test_member_paths_that_escape(case_with_data: Path, tmp_path: Path, dossier, evil: str) -> None:
    before = snapshot(case_with_data)
    export = tmp_path / "WhatsApp Chat - Evil.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("_chat.txt", OTHER)
        zf.writestr(zipfile.ZipInfo(evil), OTHER.replace("Ana", "Mallory"))
    result = dossier("ingest", case_with_data, export)
    assert result.code == 1
    assert "absolute path" in result.err or "climbs out" in result.err
    check_intact(case_with_data, before)
    bodies = str(snapshot(case_with_data))
    assert "Mallory" not in str(
        sqlite3.connect(case_with_data / DB_NAME)
        .execute("SELECT group_concat(value) FROM identities")
        .fetchone()
    )
    assert len(snapshot(case_with_data)) == len(before) + 3, bodies
    assert not Path("/etc/cron.d/x").exists()


def test_file_that_vanishes(case_with_data: Path, tmp_path: Path, dossier) -> None:
    before = snapshot(case_with_data)
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text(OTHER, "utf-8")
    os.symlink(folder / "gone.txt", folder / "b.txt")  # listed, but not there to read
    result = dossier("ingest", case_with_data, folder)
    assert result.code == 1
    assert "b.txt" in result.err and "disappeared" in result.err
    check_intact(case_with_data, before)
    assert len(snapshot(case_with_data)) == len(before) + 3  # the rest of the batch went in


class _FailingStream:
    """Reads one chunk, then fails like a disk or network share going away."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115
        self._reads = 0

    def read(self, size: int = -1) -> bytes:
        self._reads += 1
        if self._reads > 2:
            raise OSError(5, "Input/output error")
        return self._file.read(min(size, 64) if size > 0 else 64)

    def __enter__(self) -> _FailingStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def test_file_unreadable_mid_ingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ok = tmp_path / "ok.txt"
    ok.write_text(GOOD, "utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(OTHER * 50, "utf-8")
    real = entries_module.file_entry

    def flaky(path: Path) -> entries_module.Entry:
        entry = real(path)
        if path.name == "bad.txt":
            calls = {"n": 0}

            def opener() -> object:
                calls["n"] += 1
                return open(path, "rb") if calls["n"] == 1 else _FailingStream(path)

            return entries_module.Entry(entry.label, entry.name, entry.size, opener, entry.path)
        return entry

    monkeypatch.setattr(entries_module, "file_entry", flaky)
    summary = ingest(case, [bad, ok])
    assert [label for label, _ in summary.failed] == [str(bad)]
    assert "Input/output error" in summary.failed[0][1]
    assert summary.messages_new == 3
    assert not list((tmp_path / "case" / "tmp").iterdir())  # no half-written original


@pytest.mark.parametrize("in_worker", [False, True], ids=["in-process", "worker"])
def test_interrupted_ingest_leaves_a_valid_case_and_rerun_completes(
    case_with_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_worker: bool
) -> None:
    from dossier.ingest import chat as chat_module
    from dossier.ingest import rows as rows_module

    before = snapshot(case_with_data)
    lines = [
        (f"{d:02d}/04/2024, 10:{m:02d}", "Ana", f"msg {d} {m}")
        for d in range(1, 29)
        for m in range(60)
    ]
    big = tmp_path / "big.txt"
    big.write_text(android_chat(lines), "utf-8")
    real_write = chat_module._Writer.write
    written = {"n": 0}

    def dying_write(self: chat_module._Writer, batch: rows_module.Batch) -> None:
        real_write(self, batch)
        written["n"] += 1
        if written["n"] == 2:
            raise KeyboardInterrupt  # Ctrl-C after some batches were written

    monkeypatch.setattr(rows_module, "BATCH", 100)
    monkeypatch.setattr(chat_module, "WORKER_MIN_BYTES", 0 if in_worker else 10**12)
    monkeypatch.setattr(chat_module._Writer, "write", dying_write)
    case = Case.open(case_with_data)
    with pytest.raises(KeyboardInterrupt):
        ingest(case, [big])
    case.close()
    check_intact(case_with_data, before)
    assert len(snapshot(case_with_data)) == len(before)  # nothing half-written
    monkeypatch.setattr(chat_module._Writer, "write", real_write)
    with Case.open(case_with_data) as again:
        summary = ingest(again, [big])
    assert summary.messages_new == len(lines)


def test_worker_and_in_process_give_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dossier.ingest import chat as chat_module

    text = android_chat(
        [
            (f"{d:02d}/04/2024, 10:{m:02d}", f"P{m % 7}", f"msg {d} {m}")
            for d in range(1, 29)
            for m in range(60)
        ]
    )
    (tmp_path / "c.txt").write_text(text, "utf-8")
    dumps = []
    for threshold in (10**12, 0):
        monkeypatch.setattr(chat_module, "WORKER_MIN_BYTES", threshold)
        case = Case.create(tmp_path / f"case{threshold}", title=None, tz="UTC")
        ingest(case, [tmp_path / "c.txt"])
        dumps.append(
            case.store.conn.execute(
                "SELECT m.uid, m.body, m.sent_at, i.value FROM messages m"
                " JOIN identities i ON i.id = m.sender_id ORDER BY m.id"
            ).fetchall()
        )
        case.close()
    assert dumps[0] == dumps[1] and len(dumps[0]) == 28 * 60


def test_parse_error_in_the_worker_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dossier.formats.whatsapp import WHATSAPP
    from dossier.ingest import chat as chat_module

    def broken_parse(*args: object) -> object:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setattr(chat_module, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(type(WHATSAPP), "parse", broken_parse)
    (tmp_path / "c.txt").write_text(GOOD, "utf-8")
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    summary = ingest(case, [tmp_path / "c.txt"])
    assert len(summary.failed) == 1 and "invalid start byte" in summary.failed[0][1]
    assert case.store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_killed_process_leaves_a_valid_case(tmp_path: Path) -> None:
    """SIGKILL at whatever point the ingest has reached: the case opens, rerun completes it."""
    lines = [
        (f"{d:02d}/05/2024, {h:02d}:{m:02d}", "Ana", f"message {d} {h} {m} " + "x" * 40)
        for d in range(1, 29)
        for h in range(24)
        for m in range(0, 60, 2)
    ]
    big = tmp_path / "big.txt"
    big.write_text(android_chat(lines), "utf-8")
    Case.create(tmp_path / "case", title=None, tz="UTC").close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dossier.cli.main", "ingest", str(tmp_path / "case"), str(big)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.8)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Case.open(tmp_path / "case") as case:
        assert case.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        summary = ingest(case, [big])
        total = case.store.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        assert summary.failed == []
    assert total == len(lines)


@pytest.mark.parametrize("files_beside", [1, 80])  # read by the writer / by the workers
def test_a_pipe_in_a_folder_is_reported_not_waited_on(tmp_path: Path, files_beside: int) -> None:
    """A named pipe (or socket, device) among the files: reading it would never end."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(files_beside):
        (folder / f"{n}.eml").write_text(
            f"From: a@x.org\nSubject: n{n}\nMessage-ID: <{n}@x>\n\nhello {n}\n", "utf-8"
        )
    os.mkfifo(folder / "pipe")
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        summary = ingest(case, [folder])
    assert summary.messages_new == files_beside
    assert [(Path(label).name, "not a regular file" in why) for label, why in summary.failed] == [
        ("pipe", True)
    ]
