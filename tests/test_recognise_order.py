"""Recognising a file stops at the first certain format; the answer must not change for it.

``registry.recognise`` tries email first and stops at a score of ``CERTAIN`` (a mail folder's
files are then sniffed once, not by every format). The rule it must keep: the format with the
highest score wins, the one earlier in ``FORMATS`` on a tie, nothing below ``MIN_SCORE``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dossier.formats.base import HEAD_SIZE, MessageFormat
from dossier.formats.registry import CERTAIN, FORMATS, MIN_SCORE, recognise
from dossier.formats.tabular import TABLE_FORMATS

from .conftest import need_corpora

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NAMES = ("1.", "x.eml", "a.txt", "WhatsApp Chat with Bob.txt", "_chat.txt", "m.emlx", "9:2,S")


def best_of_all(head: bytes, name: str) -> MessageFormat | None:
    """The plain rule: every format's score, the highest wins, the first on a tie."""
    best: tuple[float, MessageFormat] | None = None
    for fmt in FORMATS.values():
        if fmt.name in TABLE_FORMATS:
            continue
        score = fmt.sniff(head, name)
        if score >= MIN_SCORE and (best is None or score > best[0]):
            best = (score, fmt)
    return best[1] if best else None


def heads_under(root: Path, every: int = 1) -> list[tuple[bytes, str]]:
    found = []
    for number, path in enumerate(sorted(p for p in root.rglob("*") if p.is_file())):
        if number % every == 0:
            with path.open("rb") as stream:
                found.append((stream.read(HEAD_SIZE), path.name))
    return found


def assert_same_choice(heads: list[tuple[bytes, str]]) -> None:
    wrong = []
    for head, name in heads:
        chosen, expected = recognise(head, name), best_of_all(head, name)
        if chosen is not expected:
            wrong.append((name, chosen and chosen.name, expected and expected.name))
    assert wrong == []


def test_no_format_below_email_reaches_a_certain_score_on_an_email() -> None:
    """The early stop is safe only if a certain score is never shared: an email file that
    email sniffs as certain gets no certain score from any other format."""
    certain = 0
    others = [f for f in FORMATS.values() if f.name != "eml"]
    for head, _ in heads_under(FIXTURES):
        for name in ("1.", "x.eml", "cur/9:2,S"):
            if FORMATS["eml"].sniff(head, name) >= CERTAIN:
                certain += 1
                assert [f.name for f in others if f.sniff(head, name) >= CERTAIN] == []
    assert certain > 10


def test_the_project_fixtures_are_recognised_as_every_score_says() -> None:
    heads = heads_under(FIXTURES)
    assert len(heads) > 20
    assert_same_choice(heads + [(head, name) for head, _ in heads for name in NAMES])


def test_spliced_and_cut_heads_are_recognised_as_every_score_says() -> None:
    """Heads made to confuse: one format's start on another's, cut short, a From_ line put
    on top, CRLF, shuffled lines, with names that push one format or another."""
    sources = heads_under(FIXTURES)
    pick = random.Random(11)
    made = []
    for _ in range(3000):
        (one, one_name), (two, _) = pick.choice(sources), pick.choice(sources)
        how = pick.randrange(5)
        if how == 0:
            head = one[: pick.randrange(1, len(one) + 1)] if one else one
        elif how == 1:
            head = one[: pick.randrange(600)] + two
        elif how == 2:
            head = b"From someone@example.org Mon Jan  1 00:00:00 2001\n" + one
        elif how == 3:
            lines = one.split(b"\n")
            pick.shuffle(lines)
            head = b"\n".join(lines)
        else:
            head = one.replace(b"\n", b"\r\n")
        made.append((head[:HEAD_SIZE], pick.choice((*NAMES, one_name))))
    assert_same_choice(made)


@pytest.mark.parametrize("folder", ["chats", "email"])
def test_the_shared_corpora_are_recognised_as_every_score_says(folder: str) -> None:
    root = need_corpora() / folder
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    assert_same_choice(heads_under(root, every=7 if folder == "email" else 1))
