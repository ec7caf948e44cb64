"""Conformance over the shared peer corpus (../shared/corpora/chats, see its MANIFEST.md).

"authored" follows the MANIFEST's definition: lines that carry ``Name:`` after the timestamp,
i.e. messages with a sender, whatever their kind (pokemon.txt's group-authored encryption
notice is authored *and* kind "system").
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.test_whatsapp_support import corpora, parse_file

# (path under chats/, records, authored) exactly as in the MANIFEST table.
MANIFEST = [
    ("whatstk/chats/whatsapp/lorem.txt", 500, 500),
    ("whatstk/chats/whatsapp/lorem-2000.txt", 2000, 2000),
    ("whatstk/chats/whatsapp/lorem-merge-part1.txt", 300, 300),
    ("whatstk/chats/whatsapp/lorem-merge-part2.txt", 300, 300),
    ("whatstk/chats/whatsapp/pokemon.txt", 20, 19),
    ("whatstk/chats/samplechat.txt", 20, 18),
    ("whatstk/chats/dash/samplechat_4.txt", 20, 18),
    ("whatstk/chats/dot/samplechat_3.txt", 20, 18),
    ("chat-miner/test/whatsapp/test_[mmddyy]_24hrs.txt", 9, 7),
    ("chat-miner/test/whatsapp/test_ddmmyy_24hrs.txt", 9, 7),
    ("chat-miner/test/whatsapp/test_mmddyy_24hrs.txt", 9, 7),
    ("chat-miner/test/whatsapp/test_mmddyyyy_12hrs.txt", 9, 7),
    ("chat-miner/test/whatsapp/test_yyyymmdd_24hrs.txt", 9, 7),
    ("chat-miner/history/test/whatsapp/testlog.txt", 23, 20),
    ("chat-miner/history/test/whatsapp/test_dateformat1.txt", 10, 7),
    ("chat-miner/history/test/whatsapp/test_dateformat2.txt", 4, 4),
    ("chat-miner/history/test/whatsapp/test_dateformat3.txt", 4, 4),
    ("chat-miner/history/test/whatsapp/test_dateformat4.txt", 4, 4),
    ("chat-miner/history/test/whatsapp/test_dateformat5.txt", 4, 4),
    ("chat-miner/history/test/whatsapp/test_unicode.txt", 3, 3),
    ("chat-miner/history/test/whatsapp/test_dateformat6.txt", 4, 4),
    ("whatsapp-chat-parser/samples/short-chat.txt", 5, 3),
    ("whatsapp-chat-parser/samples/empty.txt", 0, 0),
    *[(f"whatsapp-chat-parser/extracted-from-tests/format{i:02d}.txt", 1, 1) for i in range(1, 13)],
    ("whatsapp-chat-parser/extracted-from-tests/attachments.txt", 5, 5),
    ("whatsapp-chat-parser/extracted-from-tests/multiline-with-datetime-continuation.txt", 1, 1),
    ("whatsapp-chat-parser/extracted-from-tests/empty-message.txt", 1, 1),
    ("whatsapp-chat-parser/extracted-from-tests/multiline-system.txt", 1, 0),
    ("whatsapp-chat-parser/extracted-from-tests/issue-237-ddmmyyyy-no-comma.txt", 2, 2),
    *[
        (f"WhatsR/inst/{lang}{os}{clock}.txt", 50, 42)
        for lang in ("english", "german")
        for os in ("android", "ios")
        for clock in ("24h", "ampm")
    ],
]


@pytest.mark.parametrize(("rel", "records", "authored"), MANIFEST, ids=[m[0] for m in MANIFEST])
def test_manifest_counts(rel: str, records: int, authored: int) -> None:
    p = parse_file(corpora() / rel)
    assert len(p.messages) == records
    assert sum(1 for m in p.messages if m.sender is not None) == authored
    for m in p.messages:
        assert m.line_start <= m.line_end
        assert m.byte_start < m.byte_end or not m.body
        # Evidence: the bytes a message points to hold its header and its body.
        original = p.raw[m.byte_start : m.byte_end].decode("utf-8")
        assert m.header_text in original
        assert original.endswith(m.body)


def test_pustur_formats_dates() -> None:
    base = corpora() / "whatsapp-chat-parser/extracted-from-tests"
    afternoon = datetime(2018, 6, 3, 13, 55)
    evening = datetime(2018, 6, 13, 21, 25, 15)
    for i in range(1, 13):
        (m,) = parse_file(base / f"format{i:02d}.txt").messages
        assert m.local_time == (afternoon if i in (1, 2, 7, 8, 11, 12) else evening), i
        assert (m.sender, m.body, m.kind) == ("a", "m", "text"), i


def test_pustur_attachments() -> None:
    p = parse_file(corpora() / "whatsapp-chat-parser/extracted-from-tests/attachments.txt")
    assert [m.attachments for m in p.messages] == [
        ("00000042-PHOTO-2020-06-07-15-13-20.jpg",),
        (),
        ("IMG-20210428-WA0001.jpg",),
        ("2015-08-04-PHOTO-00004762.jpg",),
        ("4f2680f1db95a8454775cc2eefc95bfc.jpg",),
    ]
    assert p.messages[4].body.endswith("(Datei angehängt)\nDir auch frohe Ostern.")
    assert p.messages[4].kind == "media"


def test_multiline_continuation_starting_with_a_date() -> None:
    rel = "whatsapp-chat-parser/extracted-from-tests/multiline-with-datetime-continuation.txt"
    (m,) = parse_file(corpora() / rel).messages
    assert m.body == "one\ntwo\n2016-04-29 10:30:00"
    assert (m.line_start, m.line_end) == (1, 3)


def test_multiline_system_and_empty_message() -> None:
    base = corpora() / "whatsapp-chat-parser/extracted-from-tests"
    (s,) = parse_file(base / "multiline-system.txt").messages
    assert (s.sender, s.kind) == (None, "system")
    assert s.body == 'You created group "Test"\nThis is another line'
    (e,) = parse_file(base / "empty-message.txt").messages
    assert (e.sender, e.kind, e.body) == ("Luke", "text", "")


def test_short_chat_date_order_is_not_from_the_file() -> None:
    p = parse_file(corpora() / "whatsapp-chat-parser/samples/short-chat.txt")
    assert p.facts["date_order_basis"] == "guess"
    assert any(i.severity == "warning" and "ambiguous" in i.reason for i in p.issues)
    assert p.messages[0].local_time == datetime(2017, 3, 6, 0, 45)  # day-first, said so
    # Pustur expects "...alright?\n": the final line break terminates the file, it is not text.
    assert p.messages[4].body == "How are you?\n\nIs everything alright?"
    assert [m.kind for m in p.messages[:2]] == ["system", "system"]
    mdy = parse_file(corpora() / "whatsapp-chat-parser/samples/short-chat.txt", date_order="mdy")
    assert mdy.facts["date_order_basis"] == "option"
    assert mdy.messages[0].local_time == datetime(2017, 6, 3, 0, 45)


def test_empty_file() -> None:
    p = parse_file(corpora() / "whatsapp-chat-parser/samples/empty.txt")
    assert p.messages == [] and p.issues == []


@pytest.mark.parametrize("name", ["germanandroid24h", "germanios24h", "germaniosampm"])
def test_bom_files_do_not_collapse(name: str) -> None:
    p = parse_file(corpora() / f"WhatsR/inst/{name}.txt")
    assert len(p.messages) == 50
    assert int(p.facts["bom_count"]) > 20
    assert p.messages[0].local_time == datetime(2018, 1, 29, 12, 24, 3 if "ios" in name else 0)


def test_impossible_12h_times() -> None:
    p = parse_file(corpora() / "WhatsR/inst/englishandroidampm.txt")
    flagged = [m for m in p.messages if "impossible-12h" in m.time_flags]
    assert {m.header_text.split(", ")[1] for m in flagged} >= {"23:59 PM", "00:04 AM"}
    assert all(m.local_time.hour in (23, 0) for m in flagged)
    p4 = parse_file(corpora() / "chat-miner/history/test/whatsapp/test_dateformat4.txt")
    odd = [m for m in p4.messages if m.time_flags]
    assert [(m.local_time.hour, m.local_time.minute) for m in odd] == [(13, 37), (14, 37)]


def test_group_authored_system_lines() -> None:
    p = parse_file(corpora() / "whatstk/chats/whatsapp/pokemon.txt")
    first = p.messages[0]
    assert (first.sender, first.kind) == ("Pokemon Chat", "system")
    ios = parse_file(corpora() / "WhatsR/inst/englishios24h.txt")
    kinds = {m.body: m.kind for m in ios.messages}
    assert kinds["image omitted"] == "media"
    assert kinds["live location shared"] == "location"
    assert kinds["Location: https://maps.google.com/?q=50.9425526,6.9523387"] == "location"


def test_testlog_many_formats() -> None:
    p = parse_file(corpora() / "chat-miner/history/test/whatsapp/testlog.txt")
    by_line = {m.line_start: m for m in p.messages}
    assert by_line[15].local_time == datetime(2019, 9, 24, 23, 30)
    assert by_line[21].local_time == datetime(2021, 10, 24, 15, 21, 43)
    assert by_line[27].local_time == datetime(2022, 12, 24, 13, 1)
    assert by_line[5].line_end == 10


def _hformat(path: Path) -> str:
    """whatstk's file names encode the header format: ' '->'_', '/'->'--', ':'->';'."""
    return path.stem.replace("--", "/").replace(";", ":").replace("_", " ")


def test_generated_hformats() -> None:
    files = sorted((corpora() / "whatstk/generated-hformats").glob("*.txt"))
    assert len(files) == 96
    for path in files:
        fmt = _hformat(path).split("%name")[0]
        stamp = fmt[: fmt.index("]") + 1] if fmt.startswith("[") else fmt.rsplit(" - ", 1)[0]
        p = parse_file(path)
        assert len(p.messages) == 100, path.name
        for m in p.messages:
            assert m.local_time == datetime.strptime(m.header_text, stamp), path.name
        assert p.messages[-1].local_time == datetime(2020, 1, 1), path.name


def test_real_orders_win_over_generated_ones() -> None:
    # "1/30/18" could only be month/year/day besides month/day/year; no phone writes that.
    p = parse_file(corpora() / "WhatsR/inst/englishandroid24h.txt")
    assert (p.facts["date_order"], p.facts["date_order_basis"]) == ("mdy", "file")
    assert not [i for i in p.issues if "ambiguous" in i.reason]
