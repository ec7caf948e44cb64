"""Comparing the names people appear under: display names, email local parts, custodian
labels ("lay-k"), and scoring how likely two of them mean one person.

Every score here is between 0 and 1 and says how much *this one clue* speaks for the two being
the same person; suggest.py combines the clues.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from dossier.textnorm import fold

# Words that say where or what, not who: "Maria (office)", "Kenneth Lay (E-mail)".
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_LETTERS = re.compile(r"[^\w\s]+|[\d_]+")
_PARTS = re.compile(r"[._\-+\s]+")
_EMAIL_IN = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)+")
_HONORIFICS = frozenset({"mr", "mrs", "ms", "dr", "prof", "sr", "sra", "don", "dona", "jr"})
# Words of mailboxes that are nobody ("undisclosed-recipients", "mailer-daemon").
NOBODY = frozenset(
    {"undisclosed", "recipients", "recipient", "noreply", "mailer", "daemon", "postmaster"}
)
MIN_SURNAME = 3  # a shorter "surname" in an address matches too many names to count


def name_key(text: str) -> str:
    """A name folded for comparison: case, accents, brackets, punctuation and honorifics gone;
    "Lopez, Maria" read as "maria lopez"."""
    text = _BRACKETS.sub(" ", text)
    text = text.split("<", 1)[0] if "<" in text and "@" in text else text
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    folded = _strip_accents(fold(text))
    words = [w for w in _NOT_LETTERS.sub(" ", folded).split() if w not in _HONORIFICS]
    return " ".join(words)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def words(key: str) -> list[str]:
    return key.split()


def full_name(key: str) -> bool:
    """Two or more words, at least two of them longer than an initial."""
    return sum(len(w) > 1 for w in words(key)) >= 2


def name_similarity(a: str, b: str) -> float:
    """How alike two name keys are: 1.0 the same words in any order; a first name alone
    against a full name counts little (many people share a first name)."""
    if not a or not b:
        return 0.0
    if NOBODY.intersection(words(a)) or NOBODY.intersection(words(b)):
        return 0.0
    if a == b:
        return 1.0 if full_name(a) else 0.6
    if not (full_name(a) and full_name(b)):
        shorter, longer = sorted((a, b), key=len)
        first = words(longer)[0]
        return 0.3 if words(shorter) == [first] else 0.0
    whole = fuzz.token_sort_ratio(a, b) / 100
    # "kenneth l lay" vs "kenneth lay": the middle initial should not count against them.
    bare = fuzz.token_sort_ratio(_no_initials(a), _no_initials(b)) / 100
    return max(whole, bare)


def _no_initials(key: str) -> str:
    return " ".join(w for w in words(key) if len(w) > 1)


def email_address_in(text: str) -> str | None:
    found = _EMAIL_IN.search(text)
    return found.group(0).lower() if found else None


def local_part(address: str) -> str:
    return address.split("@", 1)[0].lower()


def local_words(local: str) -> list[str]:
    """'maria.lopez' -> ['maria', 'lopez']; digits and separators dropped."""
    parts = (_NOT_LETTERS.sub("", part) for part in _PARTS.split(local.lower()))
    return [p for p in parts if p]


def name_of_local(local: str) -> str | None:
    """The name an address spells out in full ('maria.lopez' -> 'maria lopez'), if any."""
    parts = local_words(local)
    if len(parts) >= 2 and sum(len(p) > 1 for p in parts) >= 2:
        return " ".join(parts)
    return None


def local_part_score(local: str, key: str) -> tuple[float, str]:
    """How well an address's local part (or a label like 'lay-k') fits a full name key, and
    the pattern that fitted ('first.last', 'f.last', ...); (0, '') when none does."""
    names = [w for w in words(key) if len(w) > 1]
    if len(names) < 2:
        return 0.0, ""
    first, last = names[0], names[-1]
    parts = local_words(local)
    joined = "".join(parts)
    if len(last) < MIN_SURNAME or NOBODY.intersection(parts) or NOBODY.intersection(names):
        return 0.0, ""
    full_forms = {first + last: "first.last", last + first: "last.first"}
    initial_forms = {
        first[0] + last: "f.last",
        last + first[0]: "last.f",
        first + last[0]: "first.l",
        last[0] + first: "l.first",
    }
    if joined in full_forms:
        return 0.9, full_forms[joined]
    if joined in initial_forms and len(joined) > 3:
        return 0.6, initial_forms[joined]
    middle = "".join(parts[:1] + parts[-1:]) if len(parts) >= 3 else ""
    if middle in full_forms:  # "kenneth.l.lay"
        return 0.85, "first.m.last"
    if parts == [last] and len(last) >= 4:
        return 0.35, "last"
    return 0.0, ""


def custodian_key(label: str) -> str:
    """A custodian label as a name: 'lay-k' (surname-initial, as mail archives name their
    folders) stays a local part to fit; 'Maria Lopez' is a name."""
    return name_key(label)


def blocking_keys(key: str) -> set[str]:
    """Words two names must share one of to be compared at all (their surnames, first names,
    and for one-word address forms like 'klay' the word less its initial)."""
    keys = {w for w in words(key) if len(w) >= MIN_SURNAME}
    if len(words(key)) == 1 and len(key) > MIN_SURNAME + 1:
        keys |= {key[1:], key[:-1]}
    return keys
