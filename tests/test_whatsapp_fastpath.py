"""The UTF-8 raw reader and fast path give exactly the records of the general path."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import WHATSAPP, decode, fastpath, parser
from dossier.formats.whatsapp import segments as seg_mod
from dossier.model import ParseRecord

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"

LINES = (
    "Alice: hello there",
    "Bob: <Media omitted>",
    "Bob: \u200eIMG-0001.jpg (file attached)",
    "Carol Dawson: line one\nline two\n\nline four",
    "Alice added Dave",
    "Dave: This message was deleted",
    "Émile: 👍 😂 🇪🇺 vote",
    "Zoë Ng: \u200e see you",
    "Alice: 12/01/2001, 10:00 - pasted header from long ago",
    "Bob: POLL:\nlunch?\nOPTION: yes",
    "Bob:",
    "~\u202fGuest: ok.",
    "Alice: null",
)


def _chat(seed: int, n: int, crlf: bool = False, bad: bool = False, noise: bool = True) -> bytes:
    rng = random.Random(seed)
    minute = 0
    out = []
    for i in range(n):
        minute += rng.randint(0, 3)
        if noise and rng.random() < 0.01:
            minute -= 90  # time runs backwards now and then
        line = rng.choice(LINES)
        if noise and rng.random() < 0.02:  # a pasted header out of time order, inside a message
            line += "\n01/01/2010, 00:00 - Eve: pasted"
        minute = max(minute, 0)
        day, hm = 13 + minute // 1440, minute % 1440  # day > 12: the order is decided
        out.append(f"{day:02d}/03/2023, {hm // 60:02d}:{hm % 60:02d} - {line}")
        if i % 97 == 5:
            out.append("")  # a blank line between messages
    eol = "\r\n" if crlf else "\n"
    data = (eol.join(out) + eol).encode("utf-8")
    if bad:
        cut = len(data) // 2
        data = data[:cut] + b"\xff\xfe oops" + data[cut:]
    return data


def _parse(data: bytes) -> list[ParseRecord]:
    return list(WHATSAPP.parse(io.BytesIO(data), "WhatsApp Chat with X.txt", ParseOptions()))


def _all_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> list[list[ParseRecord]]:
    fast = _parse(data)
    with monkeypatch.context() as mp:
        mp.setattr(fastpath, "fast_records", lambda *_: None)
        mp.setattr(parser, "fast_records", lambda *_: None)
        raw_general = _parse(data)
        mp.setattr(parser, "RAW_UTF8", False)
        general = _parse(data)
    return [fast, raw_general, general]


@pytest.mark.parametrize("chunk", [300, 4096, 64 * 1024])
@pytest.mark.parametrize(
    ("seed", "crlf", "bad", "bom"),
    [(1, False, False, False), (2, True, False, False), (3, False, True, False),
     (4, False, False, True)],
)
def test_fast_path_matches_general_path(
    monkeypatch: pytest.MonkeyPatch, chunk: int, seed: int, crlf: bool, bad: bool, bom: bool
) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", chunk)
    data = _chat(seed, 3000, crlf, bad)
    if bom:
        data = b"\xef\xbb\xbf" + data
    fast, raw_general, general = _all_ways(data, monkeypatch)
    assert fast == general
    assert raw_general == general


def test_fast_path_takes_the_common_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", 4096)
    taken = []
    real = fastpath.fast_records

    def spy(*args: object) -> object:
        out = real(*args)  # type: ignore[arg-type]
        taken.append(out is not None)
        return out

    monkeypatch.setattr(parser, "fast_records", spy)
    _parse(_chat(5, 3000, noise=False))
    assert sum(taken) > len(taken) // 2


def test_fast_path_with_long_lines_and_small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", 1024)
    monkeypatch.setattr(decode, "MAX_CARRY_CHARS", 2048)
    monkeypatch.setattr(seg_mod, "MAX_MESSAGE_CHARS", 4096)
    head = _chat(6, 200)
    data = head + b"05/03/2023, 10:00 - Bob: " + "é😂x".encode() * 5000 + b"\n" + _chat(7, 200)
    fast, raw_general, general = _all_ways(data, monkeypatch)
    assert fast == general
    assert raw_general == general


def test_fixtures_read_the_same_every_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", 512)
    for path in sorted(FIXTURES.glob("*.txt")):
        fast, raw_general, general = _all_ways(path.read_bytes(), monkeypatch)
        assert fast == general, path.name
        assert raw_general == general, path.name
