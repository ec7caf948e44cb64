"""Known names of the case's persons, and which person a name found in a message means.

A person is known by their name, their aliases (``person_aliases``) and the display names
their identities carry. Each of these is an *explicit* name of that person. The first or last
word of a multi-word name ("Maria" or "Lopez" of "Maria Lopez") is a *part* of it: it is
taken to mean the person only when exactly one participant of the conversation has it, since
two Marias in a group make "Maria" ambiguous.

Names the model found of people who are not persons of the case are added as *named* entries,
so that matching takes the longest name: "Maria Gomez", a name found, wins over the first name
"Maria" of a participant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dossier.people.mention_text import Folded, Word, joined, looks_like_name, name_key

# How sure a resolution is, by how it was made (stored as the annotation's confidence).
FULL_NAME = 0.95  # a name of two or more words that only one person has
SINGLE_NAME = 0.9  # a one-word name or alias that only one person has
AMONG_PARTICIPANTS = 0.8  # an explicit name several persons share, only one of them present
PART_NAME = 0.7  # a first or last name only one participant of the conversation has
AMBIGUOUS = 0.3  # several (or no) participants could be meant: no person is recorded
NAMED = 0.5  # a name the model recognised elsewhere, of someone who is not a person of the case

MAX_WORDS = 6  # longer "names" are not names
MIN_LETTERS = 2  # one-letter words ("J", "A") mean nobody on their own


@dataclass
class _Entry:
    explicit: set[int] = field(default_factory=set)
    part_of: set[int] = field(default_factory=set)
    named: bool = False  # learned from the model: someone no person of the case is


@dataclass(frozen=True, slots=True)
class Resolution:
    person_id: int | None
    confidence: float
    named: bool = False  # a name the model found, of someone who is not a person of the case
    part: bool = False  # only a first or last name: the person was chosen among those present


class NameIndex:
    """Every known name as a tuple of folded words, with the persons it can mean."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, ...], _Entry] = {}
        self.longest = 0

    def add(self, person_id: int, name: str, origin: str = "alias") -> None:
        """Add a name of ``person_id``. Names from email headers must look like a name
        (capitalised words): mail systems put "email", "office" or "ETS" there."""
        if "@" in name:
            return  # an email address standing in for a name: nobody writes it as a name
        if origin == "header" and not looks_like_name(name):
            return
        key = name_key(name)
        if not _usable(key):
            return
        self._entry(key).explicit.add(person_id)
        if len(key) > 1:
            for part in {key[:1], key[-1:]}:
                if _usable(part):
                    self._entry(part).part_of.add(person_id)

    def add_named(self, key: tuple[str, ...]) -> None:
        """A name the model found, of nobody the case knows (``key`` is not in the index)."""
        if _usable(key) and key not in self._entries:
            self._entry(key).named = True

    def _entry(self, key: tuple[str, ...]) -> _Entry:
        self.longest = max(self.longest, len(key))
        return self._entries.setdefault(key, _Entry())

    def __contains__(self, key: tuple[str, ...]) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, folded: Folded, found: list[Word]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Known names among ``found`` words, longest first: (first word, last word, key)."""
        hits: list[tuple[int, int, tuple[str, ...]]] = []
        i = 0
        while i < len(found):
            for n in range(min(self.longest, len(found) - i), 0, -1):
                run = found[i : i + n]
                key = tuple(w.text for w in run)
                if key in self._entries and joined(folded, run):
                    hits.append((i, i + n - 1, key))
                    i += n
                    break
            else:
                i += 1
        return hits

    def resolve(self, key: tuple[str, ...], participants: frozenset[int]) -> Resolution | None:
        """Which person ``key`` means in a conversation of ``participants``; None when it is
        only a part of names none of the participants has (a word, or someone else)."""
        entry = self._entries[key]
        if entry.named:
            return Resolution(None, NAMED, named=True)
        rivals = (entry.part_of & participants) - entry.explicit
        if len(entry.explicit) == 1 and not rivals:
            (person,) = entry.explicit
            return Resolution(person, FULL_NAME if len(key) > 1 else SINGLE_NAME)
        here = (entry.explicit | entry.part_of) & participants
        if len(here) == 1:
            (person,) = here
            if person in entry.explicit:
                return Resolution(person, AMONG_PARTICIPANTS)
            return Resolution(person, PART_NAME, part=True)
        if not here and (not entry.explicit or len(key) == 1):
            return None  # a word, or a name of several persons none of whom is here
        return Resolution(None, AMBIGUOUS)


def _usable(key: tuple[str, ...]) -> bool:
    """A name worth matching: a few words, with letters, not a lone initial or a number."""
    if not key or len(key) > MAX_WORDS:
        return False
    if not any(any(c.isalpha() for c in word) for word in key):
        return False  # a phone number as a display name
    return len(key) > 1 or len(key[0]) >= MIN_LETTERS


def build_index(names: Iterable[tuple[int, str, str]]) -> NameIndex:
    """The index of (person id, name, origin) rows: names, aliases and display names
    (``AnnotationRows.person_names``)."""
    index = NameIndex()
    for person_id, name, origin in names:
        index.add(person_id, name, origin)
    return index
