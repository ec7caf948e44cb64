"""Platforms with ids: one conversation across files, copies found by message id, replies
resolved, accounts as identities, exact times, and companion files read within bounds.

The messages come through a minimal line-per-message format defined here, so that what is
tested is the ingest's handling of ids, not any one platform's export layout.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pytest

from dossier.case import DB_NAME, Case
from dossier.formats import registry
from dossier.formats.archive import SafeZip
from dossier.formats.base import ParseOptions
from dossier.ingest import IngestOptions, ingest
from dossier.ingest.archives import _CompanionCache, _member_companions
from dossier.ingest.entries import file_entry
from dossier.model import ChatDetails, MessageRecord, ParseRecord


class LinesFormat:
    """One JSON object per line: {"id", "chat", "from", "uid", "unix", "text", "reply"}."""

    name = "idlines"
    platform = "idchat"
    companion_names = frozenset({"members.json"})

    def sniff(self, head: bytes, filename: str) -> float:
        return 0.9 if head.startswith(b'{"id"') else 0.0

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        offset = 0
        for number, line in enumerate(stream.read().splitlines(keepends=True), 1):
            item = json.loads(line)
            sent = datetime.fromtimestamp(item["unix"], UTC)
            yield MessageRecord(
                conversation=item["chat"],
                sender=item["from"],
                kind="text",
                body=item["text"],
                header_text=str(item["unix"]),
                local_time=sent.replace(tzinfo=None) + (item.get("shift") or 0) * _HOUR,
                has_seconds=True,
                line_start=number,
                line_end=number,
                byte_start=offset,
                byte_end=offset + len(line.rstrip(b"\n")),
                sent_utc=sent,
                details=ChatDetails(
                    platform_id=str(item["id"]),
                    sender_id=item["uid"],
                    conversation_key="chat-" + item["chat"],
                    reply_to=item.get("reply"),
                    reactions=tuple(tuple(r) for r in item.get("reactions", [])),
                ),
            )
            offset += len(line)


_HOUR = datetime(2000, 1, 1, 1) - datetime(2000, 1, 1)


def _line(i: int, text: str, who: str = "Ann", **extra: object) -> str:
    item = {
        "id": i,
        "chat": "Board",
        "from": who,
        "uid": who.lower(),
        "unix": 1700000000 + i * 60,
        "text": text,
        **extra,
    }
    return json.dumps(item) + "\n"


@pytest.fixture
def lines_format(monkeypatch: pytest.MonkeyPatch) -> LinesFormat:
    fmt = LinesFormat()
    monkeypatch.setitem(registry.FORMATS, fmt.name, fmt)
    return fmt


def _db(case: Case) -> sqlite3.Connection:
    return sqlite3.connect(case.root / DB_NAME)


def test_two_exports_of_one_chat_are_one_conversation_with_copies(
    tmp_path: Path, lines_format: LinesFormat
) -> None:
    case = Case.create(tmp_path / "case", title="t", tz="Europe/Madrid")
    first = tmp_path / "ann.jsonl"
    first.write_text(_line(1, "hello") + _line(2, "agenda?", "Bob", reply="1"))
    second = tmp_path / "bob.jsonl"
    second.write_text(_line(2, "agenda?", "Bob", reply="1") + _line(3, "attached", "Bob"))
    ingest(case, [first], IngestOptions(custodian="Ann"))
    summary = ingest(case, [second], IngestOptions(custodian="Bob"))
    assert summary.messages_new == 1 and summary.messages_merged == 1
    db = _db(case)
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM further_copies").fetchone()[0] == 1
    reply = db.execute(
        "SELECT r.body FROM message_details d JOIN messages r ON r.id = d.reply_to_id"
    ).fetchall()
    assert reply == [("hello",)]


def test_a_reply_read_before_its_parent_is_linked_once_the_parent_arrives(
    tmp_path: Path, lines_format: LinesFormat
) -> None:
    case = Case.create(tmp_path / "case", title="t", tz="UTC")
    later = tmp_path / "later.jsonl"
    later.write_text(_line(5, "yes, agreed", "Bob", reply="4"))
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text(_line(4, "shall we?"))
    ingest(case, [later])
    ingest(case, [earlier])
    db = _db(case)
    assert db.execute(
        "SELECT r.body FROM message_details d JOIN messages r ON r.id = d.reply_to_id"
    ).fetchall() == [("shall we?",)]


def test_accounts_are_handle_identities_named_after_the_writer(
    tmp_path: Path, lines_format: LinesFormat, dossier
) -> None:
    case = Case.create(tmp_path / "case", title="t", tz="UTC")
    chat = tmp_path / "c.jsonl"
    chat.write_text(_line(1, "hi", "Ann Smith") + _line(2, "hi again", "Ann Smith"))
    ingest(case, [chat])
    db = _db(case)
    rows = db.execute(
        "SELECT i.kind, i.value, p.name FROM identities i JOIN persons p ON p.id = i.person_id"
    ).fetchall()
    assert rows == [("handle", "idchat:ann smith", "Ann Smith")]
    found = dossier("search", tmp_path / "case", "from:ann", "--json")
    assert found.code == 0 and len(json.loads(found.out)) == 2


def test_exact_times_keep_the_instant_and_record_the_exports_offset(
    tmp_path: Path, lines_format: LinesFormat, dossier
) -> None:
    case = Case.create(tmp_path / "case", title="t", tz="America/New_York")
    chat = tmp_path / "c.jsonl"
    chat.write_text(_line(1, "from Madrid", shift=1, reactions=[["👍", "Bob"]]))
    ingest(case, [chat])
    sent_at, tz = _db(case).execute("SELECT sent_at, tz FROM messages").fetchone()
    assert sent_at == 1700000060  # the platform's instant, whatever the case's zone
    assert tz == "+01:00"
    uid = _db(case).execute("SELECT uid FROM messages").fetchone()[0]
    shown = dossier("show", tmp_path / "case", uid)
    assert "Reactions: 👍 Bob" in shown.out and "Platform id: 1" in shown.out


def test_companion_files_are_kept_not_reported_unrecognised(
    tmp_path: Path, lines_format: LinesFormat
) -> None:
    case = Case.create(tmp_path / "case", title="t", tz="UTC")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "members.json").write_text("[]")
    (folder / "c.jsonl").write_text(_line(1, "hi"))
    summary = ingest(case, [folder])
    assert summary.unrecognised == []
    roles = _db(case).execute("SELECT name, role FROM sources ORDER BY id").fetchall()
    assert (str(folder / "members.json"), "companion") in roles


def test_companions_on_disk_stay_inside_the_folder_given(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("not yours")
    root = tmp_path / "export"
    (root / "general").mkdir(parents=True)
    (root / "users.json").write_text("[1]")
    day = root / "general" / "2020-01-01.json"
    day.write_text("[]")
    read = file_entry(day, root).companion
    assert read is not None
    assert read("../users.json") == b"[1]"
    assert read("../../secret.txt") is None
    assert read(str(tmp_path / "secret.txt")) is None
    assert read("../missing.json") is None


def test_companions_in_a_zip_are_other_members_only(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.json", "[2]")
        archive.writestr("general/2020-01-01.json", "[]")
    buffer.seek(0)
    safe = SafeZip(buffer, "export.zip")
    members = {m.name: m for m in safe.members()}
    day = members["general/2020-01-01.json"]
    read = _member_companions(safe, day, members, _CompanionCache())  # type: ignore[arg-type]
    assert read("../users.json") == b"[2]"
    assert read("../../users.json") is None
    assert read("/users.json") is None


def test_show_finds_a_message_whose_id_starts_another(tmp_path: Path, dossier) -> None:
    """Message ids end in a byte offset: the message at byte 30 and one at byte 305 share the
    start "…-30"; the whole id still shows the first one."""
    first = "14/03/2024, 09:00 - Ann: "
    line1 = first + "x" * (29 - len(first)) + "\n"
    second = "14/03/2024, 09:01 - Bob: "
    line2 = second + "y" * (305 - 30 - 1 - len(second)) + "\n"
    chat = tmp_path / "WhatsApp Chat with Board.txt"
    chat.write_text(line1 + line2 + "14/03/2024, 09:02 - Ann: the one at 305\n")
    dossier("init", tmp_path / "case", "--tz", "UTC")
    assert dossier("ingest", tmp_path / "case", chat).code == 0
    uids = [json.loads(line)["id"] for line in _jsonl(dossier, tmp_path / "case")]
    short = next(u for u in uids if u.endswith("-30"))
    assert any(u.endswith("-305") for u in uids)
    shown = dossier("show", tmp_path / "case", short)
    assert shown.code == 0, shown.err
    assert "yyyy" in shown.out and "the one at 305" not in shown.out


def _jsonl(dossier, case: Path) -> list[str]:
    found = dossier("search", case, "after:2000-01-01", "--json", "--limit", "10")
    return [json.dumps(item) for item in json.loads(found.out)]


def test_a_copy_written_by_an_account_names_its_person(
    tmp_path: Path, lines_format: LinesFormat, dossier
) -> None:
    case = Case.create(tmp_path / "case", title="t", tz="UTC")
    chat = tmp_path / "c.jsonl"
    chat.write_text(_line(1, "hi", "Ann Smith"))
    ingest(case, [chat])
    uid = _db(case).execute("SELECT uid FROM messages").fetchone()[0]
    shown = json.loads(dossier("show", tmp_path / "case", uid, "--json").out)
    assert shown["message"]["source"]["sender_as_written"] == "idchat:ann smith (Ann Smith)"
