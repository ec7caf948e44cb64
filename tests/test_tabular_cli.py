"""`dossier ingest --format csv|jsonl` with a mapping, and its dry run, as a user runs them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "tabular"
REPORT = FIXTURES / "phone_report.csv"
REPORT_MAPPING = FIXTURES / "phone_report.toml"
EXPORT = FIXTURES / "imessage_export.jsonl"
EXPORT_MAPPING = FIXTURES / "imessage_export.toml"


@pytest.fixture
def case(tmp_path: Path, dossier) -> Path:
    assert dossier("init", tmp_path / "case", "--tz", "Europe/London").code == 0
    return tmp_path / "case"


def stored(dossier, case: Path) -> list[dict[str, object]]:
    result = dossier("sources", case, "--json")
    assert result.code == 0
    return list(json.loads(result.out))


def case_bytes(case: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in case.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def test_ingest_with_a_mapping_file_and_again_adds_nothing(case: Path, dossier) -> None:
    first = dossier("ingest", case, REPORT, "--format", "csv", "--mapping", REPORT_MAPPING)
    assert first.code == 0, first.err
    assert "Messages: 5 new" in first.err
    conversations = json.loads(dossier("conversations", case, "--json").out)
    assert sorted((c["title"], c["messages"]) for c in conversations) == [
        ("+44 7700 900123", 4),
        ("Tom Baker (+44 7700 900456)", 1),
    ]
    (hit,) = json.loads(dossier("search", case, "Eastfield", "--json").out)
    assert hit["sent_at_utc"] == "2024-06-14T08:03:45+00:00"
    assert hit["local_time_text"] == "14/06/2024 09:03:45"
    assert hit["source"]["lines"] == [5, 7]
    again = dossier("ingest", case, REPORT, "--format", "csv", "--mapping", REPORT_MAPPING)
    assert again.code == 0
    assert "Messages: 0 new" in again.err and "5 already present" in again.err
    assert json.loads(dossier("search", case, "Eastfield", "--json").out)[0]["id"] == hit["id"]


def test_map_and_value_on_the_command_line(case: Path, dossier, tmp_path: Path) -> None:
    export = tmp_path / "sms.csv"
    export.write_text("Sent,Author,Message\n2024-06-14 09:00,Ann,hello\n", "utf-8")
    result = dossier(
        "ingest", case, export, "--format", "csv",
        "--map", "time=Sent", "--map", "sender=Author", "--map", "text=Message",
        "--map", "time_format=%Y-%m-%d %H:%M",
        "--value", "conversation=Ann's phone, SMS",
    )  # fmt: skip
    assert result.code == 0, result.err
    (conversation,) = json.loads(dossier("conversations", case, "--json").out)
    assert conversation["title"] == "Ann's phone, SMS"
    (hit,) = json.loads(dossier("search", case, "hello", "--json").out)
    assert hit["sent_at_utc"] == "2024-06-14T08:00:00+00:00"  # the case's zone: London, BST
    assert hit["tz"] == "Europe/London"


def test_dry_run_shows_rows_and_issues_and_writes_nothing(
    case: Path, dossier, tmp_path: Path
) -> None:
    before = case_bytes(case)
    result = dossier(
        "ingest", case, EXPORT, "--format", "jsonl", "--mapping", EXPORT_MAPPING, "--dry-run",
        "--rows", "2",
    )  # fmt: skip
    assert result.code == 0, result.err
    out = result.out
    assert "2024-03-14 09:01:30 UTC" in out and "'2024-03-14T10:01:30.250+01:00'" in out
    assert "J. Doe" in out and "Count night" in out and "Seen it. 😬⏎Call me" in out
    assert "Row 2 · line 2" in out and "Row 3" not in out  # --rows 2
    assert "Nothing was written to the case" in out
    assert stored(dossier, case) == []
    assert case_bytes(case) == before


def test_dry_run_names_the_rows_that_would_be_issues(case: Path, dossier, tmp_path: Path) -> None:
    export = tmp_path / "bad.csv"
    export.write_text(
        "Time,From,Body\n2024-06-14T09:00:00,Ann,ok\n2024-06-31T09:00:00,Bob,bad day\n", "utf-8"
    )
    result = dossier(
        "ingest", case, export, "--format", "csv", "--map", "time=Time", "--map", "sender=From",
        "--map", "text=Body", "--dry-run",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "Issue · line 3" in result.out and "the time cannot be read" in result.out
    assert "2024-06-31T09:00:00,Bob,bad day" in result.out
    assert stored(dossier, case) == []


def test_forcing_csv_without_a_mapping_says_how_to_give_one(case: Path, dossier) -> None:
    result = dossier("ingest", case, REPORT, "--format", "csv")
    assert result.code == 1
    assert "needs a mapping" in result.err and "--map FIELD=COLUMN" in result.err
    assert "Traceback" not in result.err
    assert stored(dossier, case) == []


def test_a_column_the_file_lacks_stops_the_run_before_anything_is_stored(
    case: Path, dossier
) -> None:
    result = dossier(
        "ingest", case, REPORT, "--format", "csv", "--mapping", REPORT_MAPPING,
        "--map", "sender=Sender",
    )  # fmt: skip
    assert result.code == 1
    assert "no column 'Sender'" in result.err and "'From'" in result.err
    assert stored(dossier, case) == []


def test_a_wrong_time_format_stops_the_run_with_a_suggestion(case: Path, dossier) -> None:
    result = dossier(
        "ingest", case, REPORT, "--format", "csv", "--mapping", REPORT_MAPPING,
        "--map", "time_format=iso",
    )  # fmt: skip
    assert result.code == 1
    assert "do not fit the time format 'iso'" in result.err
    assert "%d/%m/%Y %H:%M:%S" in result.err
    assert stored(dossier, case) == []


def test_a_mapping_without_a_table_format_is_a_usage_error(case: Path, dossier) -> None:
    result = dossier("ingest", case, REPORT, "--map", "sender=From")
    assert result.code == 2
    assert "--format csv or jsonl" in result.err


def test_a_broken_mapping_file_is_a_clear_error(case: Path, dossier, tmp_path: Path) -> None:
    broken = tmp_path / "map.toml"
    broken.write_text('[columns]\ntime = "Date"\nsender = From\n', "utf-8")
    result = dossier("ingest", case, REPORT, "--format", "csv", "--mapping", broken)
    assert result.code == 1 and "not valid TOML" in result.err
    broken.write_text('[colums]\ntime = "Date"\n', "utf-8")
    result = dossier("ingest", case, REPORT, "--format", "csv", "--mapping", broken)
    assert result.code == 1 and "'colums'" in result.err


def test_two_exports_of_one_chat_are_one_conversation(case: Path, dossier, tmp_path: Path) -> None:
    """The chat's own id joins the exports; a message id already stored is a further copy."""
    lines = EXPORT.read_text("utf-8").splitlines()
    other = tmp_path / "other_phone.jsonl"
    newer = '{"guid": "p:0/new", "date": "2024-03-14T09:10:00Z", "is_from_me": false, ' \
        '"handle": {"id": "+447700900999"}, "chat": {"guid": "iMessage;+;chat861", ' \
        '"display_name": "Count night"}, "text": "Only on this phone"}'  # fmt: skip
    other.write_text("\n".join([lines[0], newer]) + "\n", "utf-8")
    for path in (EXPORT, other):
        result = dossier("ingest", case, path, "--format", "jsonl", "--mapping", EXPORT_MAPPING)
        assert result.code == 0, result.err
    assert "1 merged" in result.err
    (conversation,) = json.loads(dossier("conversations", case, "--json").out)
    assert conversation["messages"] == 4
    (hit,) = json.loads(dossier("search", case, "Exit poll", "--json").out)
    assert len(hit["copies"]) == 2


def test_dry_run_reads_any_format_and_refuses_folders(case: Path, dossier, tmp_path: Path) -> None:
    chat = tmp_path / "WhatsApp Chat with Staff.txt"
    chat.write_text("14/06/2024, 09:00 - Maria Lopez: The exit poll is out\n", "utf-8")
    result = dossier("ingest", case, chat, "--dry-run")
    assert result.code == 0, result.err
    assert "(read as whatsapp)" in result.out and "conversation Staff" in result.out
    assert "2024-06-14 08:00:00 UTC" in result.out and "zone Europe/London" in result.out
    folder = dossier("ingest", case, tmp_path, "--dry-run")
    assert folder.code == 1 and "one file at a time" in folder.err
    assert stored(dossier, case) == []


def test_media_beside_a_table_are_its_attachments(case: Path, dossier, tmp_path: Path) -> None:
    folder = tmp_path / "extraction"
    folder.mkdir()
    (folder / REPORT.name).write_bytes(REPORT.read_bytes())
    (folder / "IMG_0042.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64)
    (folder / "IMG_0043.jpg").write_bytes(b"\xff\xd8\xff\xe1 no NUL in this head")
    result = dossier("ingest", case, folder, "--format", "csv", "--mapping", REPORT_MAPPING)
    assert result.code == 0, result.err
    assert "2 attachment(s)" in result.err and "Not recognised" not in result.err
    (hit,) = json.loads(dossier("search", case, "has:attachment", "--json").out)
    assert all(a["sha256"] for a in hit["attachments"])


def test_a_table_given_without_a_format_says_how_to_read_it(case: Path, dossier) -> None:
    result = dossier("ingest", case, REPORT)
    assert result.code == 0
    assert "--format csv and a column mapping" in result.err
    assert [s["status"] for s in stored(dossier, case)] == ["unrecognised"]
