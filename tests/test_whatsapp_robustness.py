"""Pathological inputs, streaming limits, sniffing and file names."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import WHATSAPP, conversation_title_from_filename, decode, parser
from dossier.formats.whatsapp import segments as seg_mod
from dossier.model import MessageRecord, ParseIssue, SourceFact
from tests.test_whatsapp_support import FIXTURES, parse_bytes


def _stream_parse(path: Path) -> tuple[list[MessageRecord], list[ParseIssue]]:
    with path.open("rb") as fh:
        records = list(WHATSAPP.parse(fh, path.name, ParseOptions()))
    msgs = [r for r in records if isinstance(r, MessageRecord)]
    return msgs, [r for r in records if isinstance(r, ParseIssue)]


def test_huge_line_inside_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Shrink the limits so a few MB exercise the same code as a 100 MB line would.
    monkeypatch.setattr(decode, "CHUNK_BYTES", 64 * 1024)
    monkeypatch.setattr(decode, "MAX_CARRY_CHARS", 128 * 1024)
    monkeypatch.setattr(seg_mod, "MAX_MESSAGE_CHARS", 512 * 1024)
    size = 3 * 1024 * 1024
    path = tmp_path / "long.txt"
    with path.open("wb") as fh:
        fh.write(b"13/01/2024, 09:00 - Alice: start\n13/01/2024, 09:01 - Bob: ")
        fh.write(b"x" * size)
        fh.write(b"\n13/01/2024, 09:02 - Alice: after\n")
    msgs, issues = _stream_parse(path)
    assert [m.sender for m in msgs] == ["Alice", "Bob", "Alice"]
    bob = msgs[1]
    assert len(bob.body) < 512 * 1024 and set(bob.body) == {"x"}
    assert bob.byte_end - bob.byte_start == len("13/01/2024, 09:01 - Bob: ") + size
    assert msgs[2].byte_start == bob.byte_end + 1 and msgs[2].line_start == 3
    (issue,) = [i for i in issues if "longer" in i.reason]
    assert len(issue.raw) <= 4096


def test_huge_line_before_any_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", 64 * 1024)
    monkeypatch.setattr(decode, "MAX_CARRY_CHARS", 128 * 1024)
    monkeypatch.setattr(seg_mod, "MAX_MESSAGE_CHARS", 512 * 1024)
    path = tmp_path / "junk.txt"
    path.write_bytes(b"y" * (2 * 1024 * 1024) + b"\n13/01/2024, 09:02 - Alice: after\n")
    msgs, issues = _stream_parse(path)
    assert len(msgs) == 1 and msgs[0].line_start == 2
    assert msgs[0].byte_start == 2 * 1024 * 1024 + 1
    (issue,) = issues
    assert len(issue.raw) == 4096 and str(2 * 1024 * 1024 + 1) in issue.reason


def test_no_header_at_all_gives_zero_messages() -> None:
    p = parse_bytes(b"just some text\nwithout any header\n")
    assert p.messages == []
    assert len(p.issues) == 1


def _ambiguous_chat(lines: int) -> bytes:
    """Days 1-12 only: day-first cannot be told from month-first until the very end."""
    out = []
    for i in range(lines):
        day = 1 + (i // 500) % 12
        out.append(f"{day:02d}/01/2024, {i % 24:02d}:{i % 60:02d} - Alice: message {i}\n")
    out.append("25/01/2024, 10:00 - Bob: the 25th decides it\n")
    return "".join(out).encode()


def test_late_decision_prescan_keeps_buffer_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "BUFFER_CHARS", 20_000)
    monkeypatch.setattr(decode, "CHUNK_BYTES", 8 * 1024)
    p = parse_bytes(_ambiguous_chat(3000))
    assert p.facts["date_order_basis"] == "file"
    assert len(p.messages) == 3001
    assert p.messages[0].local_time == datetime(2024, 1, 1, 0, 0)
    assert p.messages[-1].local_time == datetime(2024, 1, 25, 10, 0)


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        chunk = self._inner.read(len(b))
        b[: len(chunk)] = chunk
        return len(chunk)


def test_unseekable_stream_decides_from_what_it_has(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "BUFFER_CHARS", 20_000)
    monkeypatch.setattr(decode, "CHUNK_BYTES", 8 * 1024)
    stream = io.BufferedReader(_Unseekable(_ambiguous_chat(3000)))  # type: ignore[type-var]
    records = list(WHATSAPP.parse(stream, "x.txt", ParseOptions()))
    msgs = [r for r in records if isinstance(r, MessageRecord)]
    facts = {r.key: r.value for r in records if isinstance(r, SourceFact)}
    assert len(msgs) == 3001  # nothing lost; the order is a declared guess
    assert facts["date_order_basis"] == "guess"
    assert any("cannot be re-read" in r.reason for r in records if isinstance(r, ParseIssue))


def test_sniff() -> None:
    android = (FIXTURES / "android_all_kinds.txt").read_bytes()
    ios = (FIXTURES / "ios_crlf_messages_lf_inside.txt").read_bytes()
    assert WHATSAPP.sniff(android, "WhatsApp Chat with X.txt") >= 0.9
    assert WHATSAPP.sniff(ios, "_chat.txt") >= 0.8
    assert WHATSAPP.sniff((FIXTURES / "android_utf16le_bom.txt").read_bytes(), "a.txt") >= 0.8
    assert WHATSAPP.sniff(b'{"messages": [{"id": 1}]}', "result.json") < 0.1
    assert WHATSAPP.sniff(b"From: a@b.c\nSubject: hi\n\nbody\n", "x.eml") < 0.1
    assert WHATSAPP.sniff((FIXTURES / "binary_garbage.bin").read_bytes(), "x.bin") < 0.1
    assert WHATSAPP.sniff(b"", "empty.txt") == 0.0
    assert WHATSAPP.name == "whatsapp" and WHATSAPP.platform == "whatsapp"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("WhatsApp Chat with Team X.txt", "Team X"),
        ("WhatsApp Chat - Team X.zip", "Team X"),
        ("Chat de WhatsApp con Equipo.txt", "Equipo"),
        ("WhatsApp Chat mit Familie.txt", "Familie"),
        ("Conversa do WhatsApp com Ana.txt", "Ana"),
        ("Discussion WhatsApp avec Léa.txt", "Léa"),
        ("WhatsApp-chat met Jan.txt", "Jan"),
        ("Chat WhatsApp con Luca.txt", "Luca"),
        ("WhatsApp_Chat_with_Team_X.txt", "Team X"),
        ("exports/WhatsApp Chat with Bob (2).txt", "Bob"),
        ("_chat.txt", None),
        ("notes.txt", None),
    ],
)
def test_conversation_title_from_filename(name: str, title: str | None) -> None:
    assert conversation_title_from_filename(name) == title
