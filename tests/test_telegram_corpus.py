"""Telegram samples from other projects' test suites (shared corpora; skipped when absent)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from dossier.formats.base import ParseOptions
from dossier.formats.registry import recognise
from dossier.formats.telegram import TELEGRAM
from dossier.model import MessageRecord, ParseIssue, ParseRecord
from tests.conftest import need_corpora


def telegram_samples() -> Path:
    return need_corpora() / "chats"


def chat_analytics(name: str) -> Path:
    return telegram_samples() / "chat-analytics" / "tests" / "samples" / "telegram" / name


def parse_file(path: Path) -> list[ParseRecord]:
    fmt = recognise(path.read_bytes()[:65536], path.name)
    assert fmt is TELEGRAM, path
    with path.open("rb") as stream:
        return list(TELEGRAM.parse(stream, path.name, ParseOptions()))


def messages(records: list[ParseRecord]) -> list[MessageRecord]:
    assert not [r for r in records if isinstance(r, ParseIssue)]
    return [r for r in records if isinstance(r, MessageRecord)]


def assert_bytes_are_the_objects(path: Path, found: list[MessageRecord]) -> None:
    data = path.read_bytes()
    for record in found:
        obj = json.loads(data[record.byte_start : record.byte_end])
        assert isinstance(obj, dict)
        assert data[: record.byte_start].count(b"\n") + 1 == record.line_start


def test_chat_miner_single_and_account_exports() -> None:
    folder = telegram_samples() / "chat-miner" / "test" / "telegram"
    expected = json.loads((folder / "target.json").read_text(encoding="utf-8"))
    for name in ("test_single_export.json", "test_batch_export.json"):
        found = messages(parse_file(folder / name))
        assert [(m.sender, m.body) for m in found] == [
            (e["author"], e["message"].replace("Link: ", "Link:")) for e in expected
        ]
        # the peer writes the instant as UTC wall time
        assert [m.local_time.isoformat() for m in found] == [e["timestamp"] for e in expected]
        assert_bytes_are_the_objects(folder / name, found)
    (named, _) = messages(parse_file(folder / "test_batch_export.json"))
    assert named.conversation == "Chatname"


def test_chat_analytics_direct_messages() -> None:
    path = chat_analytics("DM_2A_7M.json")
    found = messages(parse_file(path))
    assert len(found) == 8
    assert Counter(m.kind for m in found) == {"text": 4, "media": 2, "system": 1, "call": 1}
    assert {m.sender for m in found} == {"Alice", "Bob"}
    assert found[1].body == "https://google.com 👀"
    assert found[0].body == "Bob joined Telegram"
    assert found[-1].body == "Alice called (56 s), hangup"
    assert_bytes_are_the_objects(path, found)


def test_chat_analytics_big_group() -> None:
    path = chat_analytics("BIG_20A_5475M.json")
    found = messages(parse_file(path))
    assert len(found) == 5475
    assert len({m.details.sender_id for m in found}) == 20  # type: ignore[union-attr]
    assert len({m.byte_start for m in found}) == 5475
    assert_bytes_are_the_objects(path, found)


def test_big_group_through_the_cli(tmp_path: Path, dossier) -> None:
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", chat_analytics("BIG_20A_5475M.json"))
    assert result.code == 0, result.err
    assert "5,475 new" in result.err
    people = json.loads(dossier("people", tmp_path / "case", "--json").out)
    assert len(people) == 20
