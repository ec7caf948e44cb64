"""JSON Lines exports read by a mapping of keys: nested paths, exact object bytes, bad lines."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dossier.formats.base import ParseOptions
from dossier.formats.tabular import JSONL, MappingError, check_file, read_mapping_file
from dossier.model import MessageRecord, ParseIssue

FIXTURES = Path(__file__).parent / "fixtures" / "tabular"
EXPORT = FIXTURES / "imessage_export.jsonl"
BASIC = {"time": "ts", "sender": "from", "text": "body"}


def read(data: bytes, settings: dict[str, str]) -> list[object]:
    return list(JSONL.parse(io.BytesIO(data), "export.jsonl", ParseOptions(settings=settings)))


def export_records() -> list[object]:
    return read(EXPORT.read_bytes(), read_mapping_file(FIXTURES / "imessage_export.toml"))


def messages(records: list[object]) -> list[MessageRecord]:
    return [r for r in records if isinstance(r, MessageRecord)]


def test_message_export_objects_become_messages() -> None:
    got = messages(export_records())
    assert [m.sender for m in got] == ["+447700900123", "J. Doe", "tom@example.org"]
    assert {m.conversation for m in got} == {"Count night"}
    assert got[1].body == "Seen it. 😬\nCall me"
    # The offset it was written with is kept as its wall-clock time; the instant is UTC.
    assert got[1].header_text == "2024-03-14T10:01:30.250+01:00"
    assert got[1].local_time == datetime(2024, 3, 14, 10, 1, 30, 250000)
    assert got[1].sent_utc == datetime(2024, 3, 14, 9, 1, 30, 250000, tzinfo=UTC)
    # A path through a list gathers from every item.
    assert got[2].kind == "media"
    assert got[2].attachments == ("IMG_0042.heic", "IMG_0043.heic")
    details = got[1].details
    assert details is not None
    assert details.conversation_key == "iMessage;+;chat861"
    assert details.reply_to == "p:0/6A1F0C2E-1111-4B6B-9C1D-000000000001"


def test_each_message_points_at_its_object_and_keeps_it_whole() -> None:
    data = EXPORT.read_bytes()
    lines = data.split(b"\n")
    for message in messages(export_records()):
        raw = data[message.byte_start : message.byte_end]
        assert raw == lines[message.line_start - 1]
        assert message.details is not None and message.details.structure == raw.decode()
        assert json.loads(raw)["guid"] == message.details.platform_id


def test_a_broken_line_is_an_issue_and_the_lines_after_it_are_read() -> None:
    records = export_records()
    (issue,) = [r for r in records if isinstance(r, ParseIssue)]
    assert issue.line_start == 3 and "not valid JSON" in issue.reason
    assert issue.raw.startswith('{"guid": "p:0/broken"')
    assert messages(records)[-1].line_start == 4


def test_spaces_around_an_object_are_outside_its_bytes() -> None:
    data = b'  {"ts": "2024-05-01T10:00:00Z", "from": "Ann", "body": "hi"}  \r\n\n[1, 2]\n'
    records = read(data, BASIC)
    (message,) = messages(records)
    assert data[message.byte_start : message.byte_end].startswith(b"{")
    assert data[message.byte_start : message.byte_end].endswith(b"}")
    (issue,) = [r for r in records if isinstance(r, ParseIssue)]
    assert issue.line_start == 3 and "not an object" in issue.reason


def test_json_values_that_are_not_text() -> None:
    line = {"ts": 1714557600, "from": 447700900123, "body": None, "read": True}
    (message,) = messages(read(json.dumps(line).encode(), {**BASIC, "time_format": "epoch"}))
    assert message.sent_utc == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert message.sender == "447700900123" and message.body == ""


def test_a_key_no_object_has_is_an_error_listing_the_keys() -> None:
    settings = {**read_mapping_file(FIXTURES / "imessage_export.toml"), "sender": "author.name"}
    with EXPORT.open("rb") as stream, pytest.raises(MappingError) as caught:
        check_file("jsonl", stream, settings)
    assert "'author.name'" in caught.value.message
    assert "handle.id" in caught.value.message
