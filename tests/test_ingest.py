"""Ingest: originals kept, counts, re-ingest adds nothing, stable ids, zips with media."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from dossier.case import DB_NAME, Case
from dossier.ingest import IngestOptions, ingest
from tests.conftest import android_chat

CHAT = android_chat(
    [
        ("14/03/2024, 09:00", None, 'Maria Lopez created group "Staff"'),
        ("14/03/2024, 09:01", "Maria Lopez", "Good morning"),
        ("14/03/2024, 09:02", "Tom", "Morning!\nTwo lines here"),
        ("14/03/2024, 09:03", "+34 612 34 56 78", "IMG-20240314-WA0001.jpg (file attached)"),
        ("14/03/2024, 09:04", "Tom", "This message was deleted"),
    ]
)


def make_case(tmp_path: Path, tz: str = "Europe/Madrid") -> Case:
    return Case.create(tmp_path / "case", title="t", tz=tz)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ingest_txt_stores_original_and_messages(tmp_path: Path, dossier) -> None:
    chat = write(tmp_path, "WhatsApp Chat with Staff.txt", CHAT)
    dossier("init", tmp_path / "case", "--tz", "Europe/Madrid")
    result = dossier("ingest", tmp_path / "case", chat, "--custodian", "Maria Lopez")
    assert result.code == 0, result.err
    assert "5 new" in result.err
    sha = hashlib.sha256(chat.read_bytes()).hexdigest()
    # a small original is a row of the case database, found by its hash with any SQLite tool
    db = sqlite3.connect(tmp_path / "case" / DB_NAME)
    (stored,) = db.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
    assert stored == chat.read_bytes()
    sources = json.loads(dossier("sources", tmp_path / "case", "--json").out)
    assert sources[0]["sha256"] == sha
    assert sources[0]["custodians"] == ["Maria Lopez"]
    assert sources[0]["messages"] == 5
    assert sources[0]["facts"]["date_order"] == "dmy"
    conversations = json.loads(dossier("conversations", tmp_path / "case", "--json").out)
    assert [c["title"] for c in conversations] == ["Staff"]


def test_message_points_back_to_its_bytes(tmp_path: Path, dossier) -> None:
    chat = write(tmp_path, "chat.txt", CHAT)
    dossier("init", tmp_path / "case", "--tz", "Europe/Madrid")
    dossier("ingest", tmp_path / "case", chat)
    hits = json.loads(dossier("search", tmp_path / "case", "Two lines", "--json").out)
    assert len(hits) == 1
    source = hits[0]["source"]
    raw = chat.read_bytes()[source["bytes"][0] : source["bytes"][1]].decode()
    assert raw == "14/03/2024, 09:02 - Tom: Morning!\nTwo lines here"
    assert source["lines"] == [3, 4]
    assert hits[0]["body"] == "Morning!\nTwo lines here"
    assert hits[0]["sent_at"] == "2024-03-14T09:02:00+01:00"
    assert hits[0]["local_time_text"] == "14/03/2024, 09:02"


def test_kinds_identities_and_attachment_names(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    ingest(case, [write(tmp_path, "chat.txt", CHAT)])
    conn = case.store.conn
    kinds = [k for (k,) in conn.execute("SELECT kind FROM messages ORDER BY sent_at")]
    assert kinds == ["system", "text", "text", "media", "deleted"]
    phone = conn.execute("SELECT value FROM identities WHERE kind = 'phone'").fetchall()
    assert phone == [("+34612345678",)]
    names = conn.execute("SELECT name FROM attachments").fetchall()
    assert names == [("IMG-20240314-WA0001.jpg",)]


def test_reingest_adds_nothing(tmp_path: Path, dossier) -> None:
    chat = write(tmp_path, "chat.txt", CHAT)
    dossier("init", tmp_path / "case")
    dossier("ingest", tmp_path / "case", chat)
    again = dossier("ingest", tmp_path / "case", chat, "--custodian", "Second copy")
    assert again.code == 0
    assert "0 new" in again.err and "1 already in the case" in again.err
    conn = sqlite3.connect(tmp_path / "case" / DB_NAME)
    assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 5
    assert conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 1
    # the second supply is still recorded in the chain of custody
    assert conn.execute("SELECT count(*) FROM custody").fetchone()[0] == 2


def test_ids_are_stable_across_rebuilds(tmp_path: Path) -> None:
    chat = write(tmp_path, "chat.txt", CHAT)
    uids = []
    for name in ("one", "two"):
        case = Case.create(tmp_path / name, title=None, tz="UTC")
        ingest(case, [chat])
        uids.append([u for (u,) in case.store.conn.execute("SELECT uid FROM messages ORDER BY id")])
        case.close()
    assert uids[0] == uids[1]
    assert len(set(uids[0])) == 5


def test_zip_export_links_media_to_its_message(tmp_path: Path, dossier) -> None:
    ios = (
        "[14/03/2024, 09:01:05] Maria Lopez: Look\r\n"
        "[14/03/2024, 09:01:09] Maria Lopez: \u200e<attached: 00000002-PHOTO-2024-03-14.jpg>\r\n"
        "[14/03/2024, 09:02:00] Tom: \u200e<attached: 00000003-AUDIO-2024-03-14.opus>\r\n"
    )
    export = tmp_path / "WhatsApp Chat - Staff.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("_chat.txt", ios)
        zf.writestr("00000002-PHOTO-2024-03-14.jpg", b"\xff\xd8photo")
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", export)
    assert result.code == 0, result.err
    hits = json.loads(dossier("search", tmp_path / "case", "has:attachment", "--json").out)
    by_name = {h["attachments"][0]["name"]: h["attachments"][0] for h in hits}
    photo = by_name["00000002-PHOTO-2024-03-14.jpg"]
    assert photo["sha256"] == hashlib.sha256(b"\xff\xd8photo").hexdigest()
    assert by_name["00000003-AUDIO-2024-03-14.opus"]["sha256"] is None  # not in the export
    conversations = json.loads(dossier("conversations", tmp_path / "case", "--json").out)
    assert conversations[0]["title"] == "Staff"
    assert hits[0]["source"]["file"].endswith("WhatsApp Chat - Staff.zip!/_chat.txt")


def test_folder_is_walked_recursively_and_media_linked(tmp_path: Path) -> None:
    folder = tmp_path / "leak" / "WhatsApp Chat - Staff"
    folder.mkdir(parents=True)
    (folder / "_chat.txt").write_text(
        "[14/03/2024, 09:01:09] Maria: \u200e<attached: 00000002-PHOTO.jpg>\r\n", "utf-8"
    )
    (folder / "00000002-PHOTO.jpg").write_bytes(b"jpegbytes")
    other = tmp_path / "leak" / "deeper" / "more"
    other.mkdir(parents=True)
    (other / "WhatsApp Chat with Other.txt").write_text(CHAT, "utf-8")
    case = make_case(tmp_path)
    summary = ingest(case, [tmp_path / "leak"], IngestOptions(custodian="M"))
    assert summary.chats == 2 and summary.attachments == 1
    titles = {t for (t,) in case.store.conn.execute("SELECT title FROM conversations")}
    assert titles == {"Staff", "Other"}
    linked = case.store.conn.execute(
        "SELECT s.sha256 FROM attachments a JOIN sources s ON s.id = a.source_id"
    ).fetchall()
    assert linked == [(hashlib.sha256(b"jpegbytes").hexdigest(),)]


def test_explicit_tz_and_format_options(tmp_path: Path) -> None:
    case = make_case(tmp_path, tz="UTC")
    summary = ingest(
        case, [write(tmp_path, "c.txt", CHAT)], IngestOptions(tz="Asia/Tokyo", format="whatsapp")
    )
    assert summary.messages_new == 5
    row = case.store.conn.execute("SELECT sent_at, tz FROM messages ORDER BY sent_at").fetchone()
    assert row[1] == "Asia/Tokyo"
    assert row[0] == 1710374400  # 2024-03-14 09:00 in Tokyo = 00:00 UTC


def test_ambiguous_dates_follow_the_option_and_are_recorded(tmp_path: Path) -> None:
    text = android_chat([("03/04/2024, 10:00", "A", "x"), ("04/04/2024, 10:00", "B", "y")])
    case = make_case(tmp_path, tz="UTC")
    ingest(case, [write(tmp_path, "c.txt", text)], IngestOptions(date_order="mdy"))
    facts = case.store.list_sources()[0]["facts"]
    assert facts["date_order"] == "mdy" and facts["date_order_basis"] == "option"
    first = case.store.conn.execute("SELECT min(sent_at) FROM messages").fetchone()[0]
    assert first == 1709546400  # 2024-03-04 10:00 UTC: month first


def test_dst_flags_reach_the_message(tmp_path: Path, dossier) -> None:
    text = android_chat(
        [("31/03/2024, 01:30", "A", "in the gap"), ("27/10/2024, 01:30", "A", "twice")]
    )
    dossier("init", tmp_path / "case", "--tz", "Europe/London")
    dossier("ingest", tmp_path / "case", write(tmp_path, "c.txt", text))
    hits = json.loads(dossier("search", tmp_path / "case", "gap OR twice", "--json").out)
    flags = {h["body"]: h["time_flags"] for h in hits}
    assert flags == {"in the gap": ["dst-nonexistent"], "twice": ["dst-ambiguous"]}


def test_large_original_is_a_file_named_by_its_hash(tmp_path: Path) -> None:
    from dossier import case as case_module

    lines = [
        (f"{d:02d}/03/2024, 09:{m:02d}", "Tom", "x" * 200) for d in range(1, 29) for m in range(60)
    ]
    chat = write(tmp_path, "big.txt", android_chat(lines))
    assert chat.stat().st_size > case_module.SMALL_OBJECT
    case = make_case(tmp_path)
    ingest(case, [chat])
    sha = hashlib.sha256(chat.read_bytes()).hexdigest()
    stored = tmp_path / "case" / "objects" / sha[:2] / sha[2:]
    assert stored.read_bytes() == chat.read_bytes()
    assert case.read_object(sha) == chat.read_bytes()


def test_an_ingest_leaves_the_garbage_collector_as_it_found_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It collects rarely while it runs (speed); a program that ingests goes on as before,
    whether the run ends well or not."""
    import gc

    from dossier.ingest.files import GroupIngest

    chat = tmp_path / "WhatsApp Chat with Team.txt"
    chat.write_text(android_chat([("01/02/2024, 10:00", "Ann", "hello")]), "utf-8")
    before = gc.get_threshold()
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, [chat])
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0

        def interrupted(*args: object, **kwargs: object) -> None:
            assert gc.get_threshold() != before  # (while it runs)
            raise KeyboardInterrupt

        monkeypatch.setattr(GroupIngest, "ingest_group", interrupted)
        with pytest.raises(KeyboardInterrupt):
            ingest(case, [chat])
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0
