"""What a message is: who wrote it (if anyone) and which kind it is.

Input is the text after the header (``rest``). Lookups go against a *stripped, lower-cased
copy*; ``body`` is always returned exactly as read.
"""

from __future__ import annotations

import re

from dossier.formats.whatsapp import locale_strings as L

_STRIP = L.INVISIBLE + " \u00a0\u202f\r\n\t"
_QUOTES = "\"“„«'‘‚"

_MEDIA = frozenset(L.MEDIA_OMITTED) | frozenset(L.IOS_OMITTED)
_DELETED = frozenset(L.DELETED)
_CALLS = frozenset(L.CALLS)
_LIVE = frozenset(L.LIVE_LOCATION)
_ATTACHED_PREFIX_RE = re.compile(
    r"<\s*(?:" + "|".join(L.ATTACHED_WORDS) + r")\s*:\s*([^<>\n]+?)\s*>", re.IGNORECASE
)
_ATTACHED_SUFFIXES = tuple(L.ATTACHED_SUFFIXES)
_EDITED_SUFFIXES = tuple(L.EDITED_SUFFIXES)
_DROP_INVISIBLE = {ord(ch): None for ch in L.INVISIBLE}
_SYSTEM_RE = re.compile("(?:" + "|".join(L.SYSTEM_PATTERNS) + ")", re.IGNORECASE)
# The patterns that start with fixed words: safe to test against a body whose author is unknown
# (an iOS group name "writing" the encryption notice), unlike ".* added .+".
_STRICT = [p for p in L.SYSTEM_PATTERNS if not p.startswith(".*")]
# The others, without their ".*": on a single line ".*X" matches at the start exactly when X
# matches somewhere, and a search skips to each space instead of backtracking 56 ".*"s.
_ANYWHERE = [p.removeprefix(".*") for p in L.SYSTEM_PATTERNS if p.startswith(".*")]
_SYSTEM_STRICT_RE = re.compile("(?:" + "|".join(_STRICT) + ")", re.IGNORECASE)
_SYSTEM_ANYWHERE_RE = re.compile("(?:" + "|".join(_ANYWHERE) + ")", re.IGNORECASE)
# On text where case changes nothing but ASCII letters (emoji, marks, CJK have no case),
# matching ignoring case is matching the lower-cased text against these lower-case patterns:
# no pattern letter folds to ASCII, and a caseless character folds only to itself. Plain
# literals let the regex engine reject a branch on its first character: several times faster.
_LOWER_STRICT_RE = re.compile("(?:" + "|".join(_STRICT) + ")")
_LOWER_ANYWHERE_RE = re.compile("(?:" + "|".join(_ANYWHERE) + ")")
assert all(
    p == p.lower() and not any(ch.upper().isascii() for ch in p if not ch.isascii())
    for p in L.SYSTEM_PATTERNS
)
assert all(p.startswith(".* ") for p in L.SYSTEM_PATTERNS if p.startswith(".*"))

# First/last characters (and prefixes) that send a body down the slow path; anything else is
# plain text. Keeps the hot path to a few C-level checks per message.
SLOW_FIRST = frozenset(L.INVISIBLE + "<")
SLOW_LAST = frozenset(">)")
SLOW_PREFIXES = L.POLL_PREFIXES + L.LOCATION_PREFIXES
SLOW_PREFIX_FIRST = frozenset(p[0] for p in SLOW_PREFIXES)  # one set lookup rules most out
SLOW_EXACT = _MEDIA | _DELETED | _CALLS | _LIVE | frozenset({"."})


# Edges of a multi-line body that ``plain_lines`` can vouch for: nothing stripped off the
# key, no attachment marker, no edited mark (both end in ")" or ">").
_PLAIN_FIRST = frozenset(_STRIP + "<")
_PLAIN_LAST = frozenset(_STRIP + ">")


def plain_lines(body: str) -> bool:
    """Whether a known author's multi-line body is plain text, cheaply (most are).

    True only where ``Emitter._authored`` would find kind "text", nothing attached and no
    edit: the first line is no (strict) system text, and the edges rule out every table.
    The key of such a body keeps an inner line break, so no whole-body table can hold it.
    """
    first = body[: body.find("\n")]
    return (
        body[0] not in _PLAIN_FIRST
        and body[-1] not in _PLAIN_LAST
        and first.rstrip(_STRIP)[-1:] not in (")", ">")
        and not body.startswith(SLOW_PREFIXES)
        and not is_system_text(first, strict=True)
    )


def _key(text: str) -> str:
    return text.strip(_STRIP).lower()


def is_system_text(text: str, strict: bool) -> bool:
    """Whether ``text`` (a whole system line, or a body) is one of WhatsApp's system texts."""
    stripped = text.strip(_STRIP)
    if "\n" in stripped:  # "." stops at a line break, a search would not: the plain way
        return (_SYSTEM_STRICT_RE if strict else _SYSTEM_RE).match(stripped) is not None
    if stripped.isascii() or _case_only_in_ascii(stripped):
        stripped = stripped.lower()
        starts, anywhere = _LOWER_STRICT_RE, _LOWER_ANYWHERE_RE
    else:
        starts, anywhere = _SYSTEM_STRICT_RE, _SYSTEM_ANYWHERE_RE
    if starts.match(stripped) is not None:
        return True
    return not strict and anywhere.search(stripped) is not None


def _case_only_in_ascii(text: str) -> bool:
    """Whether lower- and upper-casing ``text`` change its ASCII letters only.

    ``bytes.lower``/``upper`` touch ASCII letters only: equal results mean every other
    character is its own lower and upper case.
    """
    raw = text.encode("utf-8", "surrogatepass")
    return (
        text.lower().encode("utf-8", "surrogatepass") == raw.lower()
        and text.upper().encode("utf-8", "surrogatepass") == raw.upper()
    )


def body_kind(body: str) -> tuple[str, tuple[str, ...], bool]:
    """(kind, attachments, edited) of an authored body."""
    first = body.split("\n", 1)[0]
    key = _key(body)
    edited = False
    if key.endswith(_EDITED_SUFFIXES):  # one C call rules out the common case
        for suffix in _EDITED_SUFFIXES:
            if key.endswith(suffix):
                edited = True
                key = key[: -len(suffix)].strip(_STRIP)
                break
    if key in _DELETED:
        return "deleted", (), edited
    if key in _MEDIA:
        return "media", (), edited
    if key in _CALLS:
        return "call", (), edited
    if key in _LIVE:
        return "location", (), edited
    if body == ".":
        return "view_once", (), edited
    lead = body.lstrip(L.INVISIBLE)
    if lead.startswith(L.POLL_PREFIXES):
        return "poll", (), edited
    if lead.startswith(L.LOCATION_PREFIXES):
        return "location", (), edited
    name = attachment_name(first)
    if name:
        kind = "contact" if name.lower().endswith(".vcf") else "media"
        return kind, (name,), edited
    return "text", (), edited


def attachment_name(first_line: str) -> str | None:
    """The file name an attachment marker on a body's first line names, if any."""
    line = first_line.strip(_STRIP)
    m = _ATTACHED_PREFIX_RE.match(line)
    if m is not None:
        return m.group(1).strip(_STRIP)
    # Compare without invisible marks: "<\u200eattached>" is "<attached>".
    low = line.lower()
    if not low.isascii():
        low = low.translate(_DROP_INVISIBLE)
    if not low.endswith(_ATTACHED_SUFFIXES):  # one C call rules out the common case
        return None
    for suffix in _ATTACHED_SUFFIXES:
        if low.endswith(suffix):
            cut = line.rfind(suffix[0])
            name = line[:cut].strip(_STRIP)
            return name or None
    return None


def system_kind(text: str) -> str:
    """An authorless line is a system line, or a call line."""
    return "call" if _key(text) in _CALLS else "system"


def has_quote(name: str) -> bool:
    """A would-be author holding a quote mark is really a system line quoting a subject."""
    return any(q in name for q in _QUOTES)
