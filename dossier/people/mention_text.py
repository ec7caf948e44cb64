"""Text to look for names in, folded for matching, with every hit mapped back to the body.

Names are matched case- and accent-insensitively ("maria", "MARÍA" and "María" alike), but a
mention is stored as character offsets into ``messages.body`` exactly as read, so
``body[start:end]`` is the text found. The folded copy keeps, for each of its characters, the
index of the body character it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

_WORD = re.compile(r"[^\W_]+")
_LETTERS = re.compile(r"[^\W\d_]+")
# Lower-case words that stand inside names ("Carlos de la Cruz", "Ursula von der Leyen").
_PARTICLE_WORDS = (
    "de del della la las los le da das do dos di du van von der den ter zu y e bin al el"
)
_PARTICLES = frozenset(_PARTICLE_WORDS.split())
NAME_WORDS = 5

# What may stand between two words of one name: spaces, a hyphen, an apostrophe ("O'Brien"),
# an initial's full stop ("J. Smith").
_NAME_GAP = re.compile(r"[\s'’\-‐.]{1,3}")


@dataclass(frozen=True, slots=True)
class Folded:
    """``text`` case-folded and stripped of accents and invisible marks; ``origin[i]`` is the
    index in the original of folded character ``i`` (None: the same index, pure ASCII)."""

    text: str
    origin: list[int] | None

    def source(self, i: int) -> int:
        return i if self.origin is None else self.origin[i]


def fold_with_origin(text: str) -> Folded:
    if text.isascii():
        return Folded(text.lower(), None)
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for part in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(part) or unicodedata.category(part) == "Cf":
                continue  # accents and invisible marks (bidi, zero-width) carry no letters
            for folded in part.casefold():
                out.append(folded)
                origin.append(i)
    return Folded("".join(out), origin)


def name_key(text: str) -> tuple[str, ...]:
    """The words of a name as matching compares them: ("maria", "lopez") for "María López"."""
    return tuple(_WORD.findall(fold_with_origin(text).text))


@dataclass(frozen=True, slots=True)
class Word:
    start: int  # in the folded text
    end: int
    text: str


def words(folded: Folded) -> list[Word]:
    return [Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(folded.text)]


def joined(folded: Folded, run: list[Word]) -> bool:
    """Whether the words of ``run`` follow each other as the words of one name do."""
    return all(
        _NAME_GAP.fullmatch(folded.text, a.end, b.start) is not None for a, b in pairwise(run)
    )


def body_span(body: str, offset: int, folded: Folded, first: Word, last: Word) -> tuple[int, int]:
    """Offsets into ``body`` of the words first..last of a region starting at ``offset``."""
    start = offset + folded.source(first.start)
    end = offset + folded.source(last.end - 1) + 1
    while end < len(body) and unicodedata.combining(body[end]):
        end += 1  # a decomposed accent belongs to the letter before it
    return start, end


def regions(body: str, new_text: str | None) -> Iterator[tuple[int, str]]:
    """(offset, text) pieces of ``body`` to look for names in.

    A chat message is read whole. For an email, only what the sender wrote (``new_text``:
    quoted replies and signatures cut) is read, so a name in a quoted reply is not counted
    again for every answer; each kept line is found in the body in order, so offsets stay
    exact. An email whose new text cannot be placed in the body is read whole.
    """
    if new_text is None:
        yield 0, body
        return
    pieces: list[tuple[int, str]] = []
    at = 0
    for line in new_text.split("\n"):
        if not line.strip():
            continue
        found = body.find(line, at)
        if found < 0:
            yield 0, body
            return
        if pieces and not body[at:found].strip():  # next line of the same paragraph: join
            start = pieces[-1][0]
            pieces[-1] = (start, body[start : found + len(line)])
        else:
            pieces.append((found, line))
        at = found + len(line)
    yield from pieces


def looks_like_name(text: str) -> bool:
    """Whether text the model calls a PERSON is written as a name is: a few capitalised words
    (particles such as "de" or "von" aside), not all in capitals. The model is generous with
    PERSON on newsletters and headings ("FREE", "Fantasy"); names are written like names."""
    found = _LETTERS.findall(text)
    if not found or len(found) > NAME_WORDS or text.isupper() or any(c.isdigit() for c in text):
        return False  # no words, too many, shouted, or a date or address ("Fri 9/28", "Tx 77002")
    return found[0][0].isupper() and all(w[0].isupper() or w in _PARTICLES for w in found)


def bounded(offset: int, text: str, limit: int) -> Iterator[tuple[int, str]]:
    """``text`` (found at ``offset``) in pieces of at most ``limit`` characters, cut at white
    space where there is some, so a name is not cut in two. The model reads a bounded text."""
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut + 1 if cut > 0 else limit
        yield offset, text[:cut]
        offset, text = offset + cut, text[cut:]
    yield offset, text
