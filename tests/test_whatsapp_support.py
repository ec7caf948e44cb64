"""Shared helpers for the WhatsApp parser tests (holds no tests itself)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import NamedTuple

import pytest

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import WHATSAPP
from dossier.model import MessageRecord, ParseIssue, SourceFact

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "whatsapp"


class Parsed(NamedTuple):
    messages: list[MessageRecord]
    issues: list[ParseIssue]
    facts: dict[str, str]
    raw: bytes


def parse_bytes(data: bytes, filename: str = "chat.txt", **options: str) -> Parsed:
    records = list(WHATSAPP.parse(io.BytesIO(data), filename, ParseOptions(**options)))
    facts: dict[str, str] = {}
    for r in records:
        if isinstance(r, SourceFact):
            assert r.key not in facts, f"fact {r.key} emitted twice"
            facts[r.key] = r.value
    return Parsed(
        [r for r in records if isinstance(r, MessageRecord)],
        [r for r in records if isinstance(r, ParseIssue)],
        facts,
        data,
    )


def parse_file(path: Path, **options: str) -> Parsed:
    return parse_bytes(path.read_bytes(), path.name, **options)


def fixture(name: str, **options: str) -> Parsed:
    return parse_file(FIXTURES / name, **options)


def corpora() -> Path:
    """The shared chat corpus, or skip: it is not bundled with the project."""
    env = os.environ.get("DOSSIER_CORPORA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "corpora")
    for base in candidates:
        if (base / "chats").is_dir():
            return base / "chats"
    pytest.skip("WhatsApp corpora absent (set DOSSIER_CORPORA or provide ../shared/corpora)")


def text_of(parsed: Parsed, enc: str, m: MessageRecord) -> str:
    """The original bytes a message points to, decoded: must start with its header line."""
    return parsed.raw[m.byte_start : m.byte_end].decode(enc)


def test_system_text_matches_the_one_regex_it_replaces() -> None:
    # is_system_text splits the patterns (".*X" as a search for X) and lower-cases ASCII text
    # for speed; it must answer exactly as the single case-insensitive regex would.
    import random
    import re

    from dossier.formats.whatsapp import classify as C
    from dossier.formats.whatsapp import locale_strings as L

    loose = re.compile("(?:" + "|".join(L.SYSTEM_PATTERNS) + ")", re.IGNORECASE)
    strict = re.compile(
        "(?:" + "|".join(p for p in L.SYSTEM_PATTERNS if not p.startswith(".*")) + ")",
        re.IGNORECASE,
    )
    words = ("added", "ADDED", "left", "a ajouté", "hat", "die gruppe", "verlassen",
             "hinzugefügt", "\u017f", "\u212a", "\u0130", "\u0131", "Σ", "messages", "are",
             "end-to-end", "encrypt", "you", "created", "group", "\u200e", "é", "😂",
             "changed to", "+44 7700", "joined using this group's invite link", "Bob", "\r",
             "\t", " ", "you're now an admin", "ha aggiunto", "\n", "removed")
    rng = random.Random(3)
    hits = 0
    for _ in range(20000):
        text = "".join(rng.choice(words) + rng.choice(("", " ")) for _ in range(rng.randint(0, 7)))
        stripped = text.strip(C._STRIP)
        for regex, is_strict in ((strict, True), (loose, False)):
            expected = regex.match(stripped) is not None
            hits += expected
            assert C.is_system_text(text, is_strict) == expected, (text, is_strict)
    assert hits > 1000
