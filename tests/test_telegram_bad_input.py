"""Telegram exports that are cut short, broken, empty or not Telegram at all."""

from __future__ import annotations

import io
import json
from pathlib import Path

from dossier.formats.base import ParseOptions
from dossier.formats.telegram import TELEGRAM
from dossier.model import MessageRecord, ParseIssue, ParseRecord

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
GROUP = (FIXTURES / "supergroup.json").read_bytes()


def parse_bytes(data: bytes) -> list[ParseRecord]:
    return list(TELEGRAM.parse(io.BytesIO(data), "result.json", ParseOptions()))


def split(records: list[ParseRecord]) -> tuple[list[MessageRecord], list[ParseIssue]]:
    found = [r for r in records if isinstance(r, MessageRecord)]
    return found, [r for r in records if isinstance(r, ParseIssue)]


def test_a_file_cut_in_half_keeps_the_messages_before_the_cut() -> None:
    cut = GROUP[: len(GROUP) // 2]
    found, (issue,) = split(parse_bytes(cut))
    assert [m.details.platform_id for m in found] == [str(i) for i in range(1, 8)]  # type: ignore[union-attr]
    assert issue.reason == "the file ends in the middle of a message: was it cut short?"
    assert issue.severity == "error"
    assert issue.byte_start is not None and cut[issue.byte_start :].startswith(b'{\n   "id": 8,')
    assert issue.raw == cut[issue.byte_start :].decode("utf-8")


def test_every_cut_keeps_exactly_the_whole_messages_before_it() -> None:
    whole, _ = split(parse_bytes(GROUP))
    for cut in range(1, len(GROUP) - 2, 7):
        found, problems = split(parse_bytes(GROUP[:cut]))
        assert [m.byte_start for m in found] == [m.byte_start for m in whole if m.byte_end <= cut]
        assert [p.severity for p in problems] == ["error"], cut


def test_invalid_json_in_the_middle_is_reported_and_reading_goes_on() -> None:
    at = GROUP.index(b'"id": 7,')
    broken = GROUP[:at] + b'"id": 7,,' + GROUP[at + len(b'"id": 7,') :]
    found, (issue,) = split(parse_bytes(broken))
    assert len(found) == 15
    assert "7" not in {m.details.platform_id for m in found}  # type: ignore[union-attr]
    assert issue.reason.startswith("a message that is not valid JSON")
    assert issue.line_start == broken[:at].count(b"\n")  # the line of its "{"
    assert '"id": 7,,' in issue.raw
    for message in found:  # the messages after it still point at their own bytes
        assert json.loads(broken[message.byte_start : message.byte_end])["type"]


def test_an_entry_that_is_not_a_message_is_kept_as_an_issue() -> None:
    doc = {
        "name": "G",
        "type": "public_supergroup",
        "id": 1,
        "messages": [
            {"id": 1, "type": "message", "date_unixtime": "1", "from": "A", "text": "ok"},
            {"id": 2, "type": "hologram", "date_unixtime": "2"},
            {"id": 3, "type": "message", "from": "A", "text": "no date"},
            {"id": 4, "type": "message", "date_unixtime": "4", "text": {"odd": True}},
            "just a string",
        ],
    }
    found, problems = split(parse_bytes(json.dumps(doc, indent=1).encode()))
    assert [m.body for m in found] == ["ok"]
    assert [p.reason for p in problems] == [
        "an entry of a type Dossier does not know ('hologram')",
        "a message without a readable date",
        "a message whose text is neither text nor a list of parts",
        "an item of the messages list that is not a message object",
    ]
    assert '"hologram"' in problems[0].raw


def test_bytes_that_are_not_utf8_are_reported_not_stored() -> None:
    broken = GROUP.replace(b'"Meeting at', b'"\xff\xfeMeeting at')
    found, (issue,) = split(parse_bytes(broken))
    assert len(found) == 15
    assert issue.reason == "a message whose bytes are not valid UTF-8"
    assert "\ufffd\ufffdMeeting at" in issue.raw


def test_empty_file_empty_list_and_trailing_text() -> None:
    _, (empty,) = split(parse_bytes(b""))
    assert empty.reason == "the file is empty"
    doc = b'{"name": "Quiet", "type": "private_supergroup", "id": 3, "messages": []}'
    found, (no_messages,) = split(parse_bytes(doc))
    assert found == []
    assert no_messages.reason == "the chat 'Quiet' holds no messages"
    found, (trailing,) = split(parse_bytes(GROUP + b"garbage"))
    assert len(found) == 16
    assert trailing.raw == "garbage"
    assert "more text after the end of the export" in trailing.reason


def test_broken_structure_outside_the_messages() -> None:
    found, (issue,) = split(parse_bytes(b'{"name": "X", "type": private_group, "messages": []}'))
    assert found == []
    assert issue.reason.startswith("the export's structure is broken")
    assert issue.raw.startswith("private_group")


def test_ingest_of_a_cut_file_stores_what_was_read(tmp_path: Path, dossier) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(GROUP[: len(GROUP) // 2])
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", path)
    assert result.code == 0, result.err
    assert "7 new" in result.err
    data = json.loads(dossier("issues", tmp_path / "case", "--json").out)
    (issue,) = data["issues"]
    assert "cut short" in issue["reason"]
