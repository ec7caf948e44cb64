"""A real Slack workspace export (slack-export-viewer's test archive): every message read,
counted per channel, authors named, and the same result from the zip and the folder it
unpacks to."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need_corpora
from tests.test_slack import conversations, db, find, ingested

ARCHIVE = "chats/slack-export-viewer/tests/testarchive.zip"
PER_CHANNEL = {"#enrique": 102, "#traveling-sailor": 56}
# 49 plain + 94 bot_message + 1 file_comment; 8 channel_join + 3 bot_add; 3 file_share
PER_KIND = {"text": 144, "system": 11, "media": 3}
PEOPLE = {"Hamza Faran", "Harry Potter", "Hermione Granger", "heroeshannibal"}


@pytest.fixture
def archive() -> Path:
    path = need_corpora() / ARCHIVE
    if not path.is_file():
        pytest.skip(f"{ARCHIVE} is not in the corpora folder")
    return path


def _check_case(case: Path, dossier: Callable[..., Any]) -> set[str]:
    """Checks what every reading of the archive must give; returns the message ids."""
    assert conversations(dossier, case) == PER_CHANNEL
    kinds = dict(db(case).execute("SELECT kind, count(*) FROM messages GROUP BY kind"))
    assert kinds == PER_KIND
    people = {p["name"] for p in json.loads(dossier("people", case, "--json").out)}
    assert people >= PEOPLE
    issues = json.loads(dossier("issues", case, "--json").out)["issues"]
    assert issues == []
    return {m["id"] for m in find(dossier, case, "after:2000-01-01")}


def test_the_archive_is_read_whole_from_the_zip(
    archive: Path, tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case = ingested(tmp_path, dossier, archive)
    assert len(_check_case(case, dossier)) == 158
    unrecognised = db(case).execute("SELECT name FROM sources WHERE status = 'unrecognised'")
    assert unrecognised.fetchall() == []
    reactions = (
        db(case)
        .execute("SELECT reactions FROM message_details WHERE reactions IS NOT NULL")
        .fetchall()
    )
    assert [json.loads(r) for (r,) in reactions] == [[[":botman:", "Harry Potter"]]]


def test_every_message_is_its_own_json_object_in_the_zip_member(
    archive: Path, tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case = ingested(tmp_path, dossier, archive)
    with zipfile.ZipFile(archive) as opened:
        for found in find(dossier, case, "after:2000-01-01"):
            source = found["source"]
            member = opened.read(source["file"].split("!/", 1)[1])
            start, end = source["bytes"]
            item = json.loads(member[start:end])
            assert item["ts"] == source["header_text"]
            assert item["text"] == found["body"]  # exactly as exported


def test_the_unpacked_folder_gives_the_same_messages_with_the_same_ids(
    archive: Path, tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    from_zip = _check_case(ingested(tmp_path, dossier, archive, "zip-case"), dossier)
    folder = tmp_path / "testarchive"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)
    case = ingested(tmp_path, dossier, folder, "folder-case")
    assert _check_case(case, dossier) == from_zip
    again = dossier("ingest", case, folder)
    assert again.code == 0 and "158 already present" in again.err
    assert len(_check_case(case, dossier)) == 158


def test_bot_posts_are_found_by_the_text_slack_shows(
    archive: Path, tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    """A bot's commit notices have an empty text field; their words are in attachments. Search
    finds them and `show` prints them, while the body stays empty as exported."""
    case = ingested(tmp_path, dossier, archive)
    hits = find(dossier, case, '"new commit by"')
    assert hits and all(hit["body"] == "" for hit in hits)
    shown = dossier("show", case, hits[0]["id"])
    assert "As the platform shows it:" in shown.out and "new commit by" in shown.out
    mentions = find(dossier, case, '"Harry Potter has joined"')
    assert mentions and all("<@" in hit["body"] for hit in mentions)
