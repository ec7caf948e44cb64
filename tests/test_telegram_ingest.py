"""Telegram exports through the CLI: replies, search, re-ingest, two people's exports, media."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
GROUP = json.loads((FIXTURES / "supergroup.json").read_text(encoding="utf-8"))
PHOTO = "photos/photo_1@15-11-2023_00-20-20.jpg"
VOICE = "voice_messages/audio_1@15-11-2023_00-21-20.ogg"


def export_of(ids: range, path: Path) -> Path:
    """The group's export as one member would make it, holding the messages ``ids``."""
    doc = {**GROUP, "messages": [m for m in GROUP["messages"] if m["id"] in ids]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def search(dossier, case: Path, query: str) -> list[dict[str, Any]]:
    result = dossier("search", case, query, "--json")
    assert result.code == 0, result.err
    hits: list[dict[str, Any]] = json.loads(result.out)
    return hits


@pytest.fixture
def case(tmp_path: Path, dossier) -> Path:
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", FIXTURES / "supergroup.json")
    assert result.code == 0, result.err
    assert "16 new" in result.err
    return tmp_path / "case"


def test_show_prints_the_reply_link_and_details(case: Path, dossier) -> None:
    (reply,) = search(dossier, case, '"Fine by me"')
    (answered,) = search(dossier, case, '"Meeting at the quay"')
    shown = dossier("show", case, reply["id"])
    assert f"In reply to: {answered['id']} (platform id 3)" in shown.out
    assert "Mentions: @annlee, Carl Diaz" in shown.out
    (late,) = search(dossier, case, '"will be late"')
    shown = dossier("show", case, late["id"]).out
    assert "Edited at: 2023-11-15T00:18:20+02:00" in shown
    assert "Reactions: \U0001f44d Ann Lee, \U0001f44d Bob Stone" in shown
    (older,) = search(dossier, case, '"older than this export"')
    shown = dossier("show", case, older["id"]).out
    assert "In reply to: (not in the case) (platform id 99)" in shown


def test_search_by_telegram_author_and_time(case: Path, dossier) -> None:
    hits = search(dossier, case, 'from:"Bob Stone"')
    assert len(hits) == 5
    assert {h["sender"] for h in hits} == {"Bob Stone"}
    (ledger,) = search(dossier, case, "ledger")
    assert ledger["sent_at"] == "2023-11-15T00:16:20+02:00"  # the export's own offset
    assert ledger["tz"] == "+02:00"
    assert ledger["conversation"]["title"] == "Harbour Watch"


def test_reingest_adds_nothing_and_ids_stay(case: Path, dossier) -> None:
    before = sorted(h["id"] for h in search(dossier, case, "in:Harbour"))
    result = dossier("ingest", case, FIXTURES / "supergroup.json")
    assert result.code == 0, result.err
    assert "0 new" in result.err and "16 already present" in result.err
    assert sorted(h["id"] for h in search(dossier, case, "in:Harbour")) == before
    assert len(before) == 16


def test_two_members_exports_of_one_group_fold_into_copies(tmp_path: Path, dossier) -> None:
    anns = export_of(range(1, 11), tmp_path / "ann" / "result.json")
    bobs = export_of(range(6, 17), tmp_path / "bob" / "result.json")
    dossier("init", tmp_path / "case")
    assert dossier("ingest", tmp_path / "case", anns, "--custodian", "Ann").code == 0
    result = dossier("ingest", tmp_path / "case", bobs, "--custodian", "Bob")
    assert result.code == 0, result.err
    assert "6 new" in result.err and "5 merged" in result.err
    (conversation,) = json.loads(dossier("conversations", tmp_path / "case", "--json").out)
    assert conversation["messages"] == 16
    (pier,) = search(dossier, tmp_path / "case", '"Crane collapse"')
    assert [c["custodian"] for c in pier["copies"]] == ["Ann", "Bob"]
    for copy in pier["copies"]:  # each copy points at its own file's bytes
        data = Path(copy["file"]).read_bytes()
        start, end = copy["bytes"]
        assert json.loads(data[start:end])["id"] == 6
    (reply,) = search(dossier, tmp_path / "case", '"Fine by me"')
    shown = dossier("show", tmp_path / "case", reply["id"]).out
    assert "In reply to: m" in shown


def test_account_export_same_names_stay_apart(tmp_path: Path, dossier) -> None:
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", FIXTURES / "account.json")
    assert result.code == 0, result.err
    conversations = json.loads(dossier("conversations", tmp_path / "case", "--json").out)
    titles = sorted((c["title"], c["messages"]) for c in conversations)
    assert titles == [
        ("Family", 2),
        ("Family", 2),
        ("Old Channel", 1),
        ("Saved Messages", 1),
    ]
    people = json.loads(dossier("people", tmp_path / "case", "--json").out)
    assert "Finn Lee" in json.dumps(people)


def _media_folder(root: Path) -> dict[str, bytes]:
    export_of(range(1, 17), root / "result.json")
    files = {PHOTO: b"\xff\xd8\xff jpeg bytes", VOICE: b"OggS voice bytes"}
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def _attachments(dossier, case: Path, query: str) -> list[dict[str, Any]]:
    (hit,) = search(dossier, case, query)
    attached: list[dict[str, Any]] = hit["attachments"]
    return attached


def test_media_in_the_export_folder_are_linked(tmp_path: Path, dossier) -> None:
    files = _media_folder(tmp_path / "ChatExport_2023-11-15")
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", tmp_path / "ChatExport_2023-11-15")
    assert result.code == 0, result.err
    assert "2 attachment(s)" in result.err
    (photo,) = _attachments(dossier, tmp_path / "case", '"The damage"')
    assert photo["name"] == PHOTO
    assert photo["sha256"] == hashlib.sha256(files[PHOTO]).hexdigest()
    (voice,) = _attachments(dossier, tmp_path / "case", "in:Harbour has:attachment from:Carl")
    assert voice["sha256"] == hashlib.sha256(files[VOICE]).hexdigest()


def test_media_in_a_zipped_export_are_linked(tmp_path: Path, dossier) -> None:
    folder = tmp_path / "ChatExport_2023-11-15"
    files = _media_folder(folder)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(tmp_path).as_posix())
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", archive)
    assert result.code == 0, result.err
    (photo,) = _attachments(dossier, tmp_path / "case", '"The damage"')
    assert photo["sha256"] == hashlib.sha256(files[PHOTO]).hexdigest()


def test_a_missing_media_folder_leaves_the_names(tmp_path: Path, dossier) -> None:
    dossier("init", tmp_path / "case")
    dossier("ingest", tmp_path / "case", export_of(range(1, 17), tmp_path / "x" / "result.json"))
    (photo,) = _attachments(dossier, tmp_path / "case", '"The damage"')
    assert (photo["name"], photo["sha256"]) == (PHOTO, None)
