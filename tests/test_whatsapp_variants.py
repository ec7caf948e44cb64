"""Our own fixtures (tests/fixtures/whatsapp), one per variant the parser must get right."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.test_whatsapp_support import FIXTURES, Parsed, fixture, parse_bytes

KINDS_EXPECTED = [
    # (sender, kind) in file order for android_all_kinds.txt
    (None, "system"),
    (None, "system"),
    (None, "system"),
    ("Alice", "text"),
    ("Bob", "text"),
    (None, "system"),  # subject with a colon: not a message from 'Bob changed ... "Plan'
    ("Alice", "media"),
    ("Bob", "media"),
    ("Alice", "deleted"),
    ("Bob", "text"),  # edited
    ("Alice", "poll"),
    ("Bob", "location"),
    ("Alice", "view_once"),
    ("Bob", "text"),  # empty body
    ("Alice", "call"),
    ("Bob", "contact"),
    ("Alice", "text"),  # header-like text mid-line never splits
    (None, "system"),
]


def _check_all_kinds(p: Parsed, newline: str, encoding: str) -> None:
    assert [(m.sender, m.kind) for m in p.messages] == KINDS_EXPECTED
    by = p.messages
    assert by[4].body == f"First line{newline}{newline}third line after a blank one"
    assert (by[4].line_start, by[4].line_end) == (5, 7)
    assert by[5].body == 'Bob changed the subject from "Budget" to "Plan: B"'
    assert by[7].attachments == ("IMG-20240113-WA0001.jpg",)
    assert by[7].body.endswith(f"(file attached){newline}caption under the photo")
    assert by[9].edited and by[9].body == "See you at 10 <This message was edited>"
    assert by[10].body.startswith(f"POLL:{newline}Lunch?")
    assert by[12].body == "."
    assert by[13].body == ""
    assert by[15].attachments == ("Alice.vcf",)
    assert by[16].body == "he wrote 13/01/2024, 09:17 - Bob: hi, mid-line"
    for m in by:
        original = p.raw[m.byte_start : m.byte_end].decode(encoding)
        assert original.lstrip("\ufeff").startswith(m.header_text.lstrip("\ufeff"))
        assert original.endswith(m.body)
    assert by[-1].local_time == datetime(2024, 1, 13, 9, 18)
    assert p.facts["date_order"] == "dmy" and p.facts["date_order_basis"] == "file"
    assert p.facts["layout"] == "android"
    assert p.facts["header_format"] == "dd/mm/yyyy, HH:MM - "


def test_all_kinds_lf() -> None:
    p = fixture("android_all_kinds.txt")
    _check_all_kinds(p, "\n", "utf-8")
    assert p.facts["line_endings"] == "lf" and p.facts["encoding"] == "utf-8"
    assert "bom_count" not in p.facts


def test_all_kinds_crlf() -> None:
    p = fixture("android_crlf.txt")
    _check_all_kinds(p, "\r\n", "utf-8")
    assert p.facts["line_endings"] == "crlf"
    assert p.raw[p.messages[0].byte_end : p.messages[0].byte_end + 2] == b"\r\n"


def test_no_final_newline() -> None:
    p = fixture("android_no_final_newline.txt")
    _check_all_kinds(p, "\n", "utf-8")
    assert p.messages[-1].byte_end == len(p.raw)


@pytest.mark.parametrize(
    ("name", "encoding", "fact"),
    [
        ("android_utf16le_bom.txt", "utf-16-le", "utf-16"),
        ("android_utf16be_bom.txt", "utf-16-be", "utf-16"),
        ("android_utf8_bom.txt", "utf-8", "utf-8-sig"),
    ],
)
def test_bom_encodings(name: str, encoding: str, fact: str) -> None:
    p = fixture(name)
    _check_all_kinds(p, "\n", encoding)
    assert p.facts["encoding"] == fact
    assert p.facts["bom_count"] == "1"
    # Offsets are into the original bytes: the first header starts right after the BOM.
    assert p.messages[0].byte_start == (3 if fact == "utf-8-sig" else 2)


def test_forged_header_out_of_time_order_stays_in_the_body() -> None:
    p = fixture("android_forged_header_out_of_order.txt")
    assert [m.sender for m in p.messages] == ["Alice", "Bob", "Carol"]
    assert p.messages[0].body == (
        "Look what he sent me:\n12/03/2019, 08:00 - Bob: I never said that\nthat was pasted"
    )


def test_ios_header_after_bare_lf_is_text() -> None:
    p = fixture("ios_crlf_messages_lf_inside.txt")
    assert [m.sender for m in p.messages] == ["Budget", "Alice", "Bob", "Bob", "Alice"]
    assert p.messages[0].kind == "system"
    assert p.messages[1].body == (
        "Look at this:\n[13/01/2024, 10:31:00] Bob: forged inside Alice's message\nstill Alice"
    )
    assert p.messages[2].kind == "media"
    assert p.messages[3].attachments == ("00000042-PHOTO-2024-01-13-10-33-00.jpg",)
    assert p.facts["layout"] == "ios" and p.facts["line_endings"] == "mixed"
    assert p.messages[1].header_text == "[13/01/2024, 10:30:05]"


def test_twelve_hour_spellings() -> None:
    p = fixture("twelve_hour_spellings.txt")
    times = [(m.local_time.hour, m.local_time.minute) for m in p.messages]
    assert times == [
        (13, 5),
        (13, 6),
        (13, 7),
        (13, 8),
        (13, 9),
        (13, 10),
        (0, 11),
        (12, 12),
        (23, 59),
        (0, 4),
    ]
    flags = [m.time_flags for m in p.messages]
    assert flags[:8] == [()] * 8
    assert flags[8:] == [("impossible-12h",)] * 2
    assert p.facts["date_order"] == "mdy"
    assert p.messages[4].header_text == "1/13/24, 1:09\u202fPM"


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("colon_separator_dot_times.txt", datetime(2024, 1, 13, 21, 25, 15)),
        ("klo_finnish.txt", datetime(2024, 1, 13, 21, 25, 15)),
        ("czech_spaced_date.txt", datetime(2024, 1, 13, 21, 25, 15)),
        ("trailing_dot_time.txt", datetime(2024, 1, 13, 13, 1)),
    ],
)
def test_other_header_shapes(name: str, first: datetime) -> None:
    p = fixture(name)
    assert [m.sender for m in p.messages] == ["Alice", "Bob"]
    assert p.messages[0].local_time == first
    assert p.messages[0].has_seconds == (first.second != 0)


def test_cp1252_is_decoded_not_rejected() -> None:
    p = fixture("cp1252_legacy.txt")
    assert p.facts["encoding"] in ("cp1252", "windows-1252", "latin_1", "cp1250", "iso8859_15")
    assert p.messages[0].sender == "Zoë"
    assert p.messages[0].body.startswith("café crème")
    assert p.messages[1].byte_end == len(p.raw.rstrip(b"\n"))


def test_mid_file_bom_is_kept() -> None:
    p = fixture("mid_file_bom.txt")
    assert len(p.messages) == 3
    assert p.messages[1].body == "two \ufeff inside"
    assert p.messages[1].header_text.startswith("\ufeff")
    assert p.messages[2].header_text == "[\ufeff13/01/2024, 09:02:00]"
    assert p.facts["bom_count"] == "4"


def test_lines_before_first_header_become_an_issue() -> None:
    p = fixture("lines_before_first_header.txt")
    assert len(p.messages) == 2
    (issue,) = p.issues
    assert issue.raw == "Chat exported by a tool\nsecond junk line\n"
    assert (issue.line_start, issue.line_end) == (1, 2)
    assert p.messages[0].line_start == 3
    assert p.messages[0].byte_start == len("Chat exported by a tool\nsecond junk line\n")


def test_invisible_characters_are_kept_exactly() -> None:
    p = fixture("invisible_characters.txt")
    a, b = p.messages
    assert a.sender == "\u202aAlice\u202c"
    assert a.body == "\u200ehi\u200b there\u00a0now \u2066+44 7700\u2069 👩‍👩‍👧 🇪🇺"
    assert a.header_text == "\u200f13/01/2024, 09:00"
    assert b.sender == "~\u202fGuest" and b.body == "x\u200dy"
    expected = "\u200e13/01/2024, 09:01 - ~\u202fGuest: x\u200dy"
    assert p.raw[b.byte_start : b.byte_end].decode() == expected


def test_ambiguous_date_order() -> None:
    guess = fixture("ambiguous_date_order.txt")
    assert guess.facts["date_order_basis"] == "guess"
    assert guess.messages[0].local_time == datetime(2017, 3, 6, 0, 45)
    assert any("ambiguous" in i.reason for i in guess.issues)
    opt = fixture("ambiguous_date_order.txt", date_order="mdy")
    assert opt.facts["date_order_basis"] == "option"
    assert opt.messages[1].local_time == datetime(2017, 8, 5, 1, 48)


def test_invalid_utf8_byte_is_replaced_and_reported() -> None:
    p = fixture("invalid_utf8_byte.txt")
    assert [m.body for m in p.messages] == ["ok", "bad \ufffd byte", "fine"]
    assert p.facts["encoding"] == "utf-8"
    assert any("undecodable" in i.reason for i in p.issues)
    # Offsets still count the original byte.
    assert p.messages[2].byte_start == p.raw.index(b"13/01/2024, 09:02")


def test_binary_garbage_gives_no_messages() -> None:
    p = fixture("binary_garbage.bin")
    assert p.messages == []
    assert all(len(i.raw) <= 4096 for i in p.issues)


def test_conversation_title() -> None:
    data = (FIXTURES / "klo_finnish.txt").read_bytes()
    assert parse_bytes(data, "WhatsApp Chat with Team X.txt").messages[0].conversation == "Team X"
    assert parse_bytes(data, "_chat.txt").messages[0].conversation == "WhatsApp chat"
    named = parse_bytes(data, "_chat.txt", conversation="Given")
    assert named.messages[0].conversation == "Given"


def test_system_lines_with_colons_and_known_authors() -> None:
    data = (
        b"13/01/2024, 09:00 - Alice: hi\n"
        b"13/01/2024, 09:01 - Bob changed the group description: now with a colon\n"
        b'13/01/2024, 09:02 - Alice created group "Plan: B"\n'
        b'13/01/2024, 09:03 - Alice: Plan: B is "fine"\n'
        b"13/01/2024, 09:04 - You were added\n"
    )
    p = parse_bytes(data)
    assert [(m.sender, m.kind) for m in p.messages] == [
        ("Alice", "text"),
        (None, "system"),
        (None, "system"),
        ("Alice", "text"),
        (None, "system"),
    ]
    assert p.messages[3].body == 'Plan: B is "fine"'
