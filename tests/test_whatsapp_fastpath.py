"""The UTF-8 raw reader and fast path give exactly the records of the general path."""

from __future__ import annotations

import io
import random
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import WHATSAPP, decode, fastpath, parser
from dossier.formats.whatsapp import segments as seg_mod
from dossier.formats.whatsapp.grammar import HEADER_AFTER_NL_BYTES_RE, HEADER_RE
from dossier.formats.whatsapp.locale_strings import INVISIBLE
from dossier.model import MessageRecord, ParseRecord

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
    [
        (1, False, False, False),
        (2, True, False, False),
        (3, False, True, False),
        (4, False, False, True),
    ],
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


def test_bad_bytes_anywhere_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fast path decodes strictly as it goes and hands over where a message is not
    # UTF-8: in a header, a name, a body, the header it leaves pending, a batch's last one.
    monkeypatch.setattr(decode, "CHUNK_BYTES", 512)
    clean = _chat(8, 120, noise=False)
    for at in range(40, len(clean), 173):
        data = clean[:at] + b"\xff" + clean[at:]
        fast, raw_general, general = _all_ways(data, monkeypatch)
        assert fast == general, at
        assert raw_general == general, at


def _spy_fast(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Per batch the fast path took: how many records it made, whether it left a rest."""
    made: list[tuple[int, bool]] = []
    real = fastpath.fast_records

    def spy(*args: object) -> object:
        out = real(*args)  # type: ignore[arg-type]
        return None if out is None else counted(out)

    def counted(out: Iterator[ParseRecord]) -> Generator[ParseRecord, None, object]:
        n = 0
        while True:
            try:
                rec = next(out)
            except StopIteration as stop:
                made.append((n, stop.value is not None))
                return stop.value
            n += 1
            yield rec

    monkeypatch.setattr(parser, "fast_records", spy)
    return made


def test_fast_path_takes_a_batch_up_to_a_backward_jump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", 16 * 1024)
    lines = _chat(9, 3000, noise=False).split(b"\n")
    lines[2000] = lines[2000].replace(b"/03/2023", b"/02/2023", 1)  # a month back: text now
    data = b"\n".join(lines)
    made = _spy_fast(monkeypatch)
    fast = _parse(data)
    # The batch with the jump went fast up to it, and only its rest the general way.
    assert [n > 0 for n, left_rest in made if left_rest] == [True]
    monkeypatch.setattr(parser, "RAW_UTF8", False)
    assert fast == _parse(data)


# Multi-line bodies at the edges of what ``classify.plain_lines`` vouches for.
MULTI = (
    "Alice: see this\nIMG-1.jpg (file attached)",
    "Bob: IMG-1.jpg (file attached)\nnice",
    "Bob: IMG-1.jpg (file attached) \nnice",
    "Carol Dawson: a line\nends with >",
    "Carol Dawson: a line\n<this message was edited>",
    "Carol Dawson: a line\nends with )",
    "Dave:  leading space\nsecond",
    "Dave: trailing tab\nsecond\t",
    "Alice: Messages and calls are end-to-end encrypted\nsecond line",
    "Alice: Bob added Carol\nsecond line",
    "Bob: location: https://maps.example/x\nhere",
    "Alice: <Media omitted>\nmore",
    "Alice: <attached: 0001.jpg>\nmore",
    "Bob: \u200efirst\nsecond",
    "Bob: first\u200e\nsecond",
    "Émile: 😂\n👍",
    "Zoë Ng: plain\nplain",
    "Zoë Ng: plain\r\nplain",
)


def test_multi_line_bodies_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode, "CHUNK_BYTES", 4096)
    rng = random.Random(10)
    known = "\n".join(
        f"13/03/2023, 10:{i:02d} - {n}: hi"
        for i, n in enumerate(("Alice", "Bob", "Carol Dawson", "Dave", "Émile", "Zoë Ng"))
    )
    rows = [f"13/03/2023, 11:{i % 60:02d} - {rng.choice(MULTI)}" for i in range(600)]
    rows = [r.replace("11:", f"{11 + i // 60}:", 1) for i, r in enumerate(rows)]
    data = (known + "\n" + "\n".join(rows) + "\n").encode("utf-8")
    fast, raw_general, general = _all_ways(data, monkeypatch)
    assert fast == general
    assert raw_general == general


def test_crlf_files_go_fast_and_keep_the_bare_lf_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    # In a CRLF file a header-shaped line after a bare LF is message text (iOS), even when its
    # time fits: the fast path must stop there and the general path judge it.
    monkeypatch.setattr(decode, "CHUNK_BYTES", 4096)
    rows = []
    for i in range(3000):
        hm = f"{10 + i // 600:02d}:{i // 10 % 60:02d}"
        text = f"13/03/2023, {hm} - Alice: message {i}"
        if i % 400 == 7:  # an in-order header line inside a message, after a bare LF
            text += f"\n13/03/2023, {hm} - Bob: quoted"
        rows.append(text)
    data = ("\r\n".join(rows) + "\r\n").encode("utf-8")
    made = _spy_fast(monkeypatch)
    fast, raw_general, general = _all_ways(data, monkeypatch)
    assert sum(n for n, _ in made) > 2000
    assert fast == general
    assert raw_general == general
    assert sum(1 for r in general if isinstance(r, MessageRecord)) == 3000


def _header_like(rng: random.Random) -> str:
    """A header line in one of the shapes WhatsApp writes, now and then mutated."""
    inv = INVISIBLE
    sep = rng.choice(["/", ".", "-", ". "])
    date = sep.join(
        str(rng.choice([rng.randint(1, 31), rng.randint(1, 2999)])) for _ in range(3)
    ) + rng.choice(["", "."])
    tm = f"{rng.randint(0, 25)}{rng.choice(':.')}{rng.randint(0, 59):02d}"
    tm += rng.choice(["", f":{rng.randint(0, 59):02d}"])
    tm += rng.choice(["", "", " AM", "pm", "\u00a0a.m.", "\u202fp. m.", " P.M"])
    pre = "".join(rng.choice(inv) for _ in range(rng.choice([0, 0, 1, 2])))
    dt = rng.choice([", ", ",", " ", " klo "])
    if rng.random() < 0.4:
        mid = rng.choice(["", "", inv[0]])
        line = f"{pre}[{mid}{date}{dt}{tm}{rng.choice(['', '.'])}]{rng.choice([' ', ''])}"
    else:
        line = pre + date + dt + tm + rng.choice(["", "."]) + rng.choice([" - ", ": ", " ", "-"])
    if rng.random() < 0.3:
        at = rng.randrange(len(line))
        line = line[:at] + rng.choice(["", "x", " ", ".", "1", inv[0]]) + line[at + 1 :]
    return line + rng.choice(["Bob: hi", "", "x"])


def test_bytes_and_text_header_regexes_agree() -> None:
    # The fast path finds headers with the bytes regex, the general path with the text one:
    # the same lines must match, with the same groups (as byte offsets).
    rng = random.Random(11)
    lines = [_header_like(rng) for _ in range(20000)]
    matched = 0
    for line in lines:
        raw = b"\n" + line.encode("utf-8")
        mb = HEADER_AFTER_NL_BYTES_RE.match(raw)
        ms = HEADER_RE.match(line)
        assert (mb is None) == (ms is None), line
        if mb is None or ms is None:
            continue
        matched += 1
        for g in range(1, 9):
            s, e = ms.span(g)
            want = (
                (-1, -1)
                if s < 0
                else (1 + len(line[:s].encode("utf-8")), 1 + len(line[:e].encode("utf-8")))
            )
            assert mb.span(g) == want, (line, g)
    assert matched > 5000
