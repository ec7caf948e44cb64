"""Normalised copies of message text, for search and for matching copies of a message.

The stored body is never changed (evidence rule 2). These functions make the *separate*
copies: ``search_text`` is what the full-text index sees, ``match_text`` is what two exports
of the same chat are compared on.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Invisible format characters that exports scatter through text: bidi marks and embeddings,
# zero-width spaces/joiners, word joiner, BOM. They carry no words, so search ignores them.
_INVISIBLE = "".join(
    [
        "\u200b\u200c\u200d\u200e\u200f",
        "\u202a\u202b\u202c\u202d\u202e",
        "\u2060\u2061\u2062\u2063\u2064",
        "\u2066\u2067\u2068\u2069",
        "\ufeff\u00ad",
    ]
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
# Unusual spaces (no-break, narrow no-break, figure, thin ...) read as a plain space.
_SPACES_RE = re.compile("[\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u3000]")
_RUNS_OF_SPACE = re.compile(r"[ \t]+")
_ANY_WHITESPACE = re.compile(r"\s+")


def search_text(text: str) -> str:
    """The copy of ``text`` the search index and exact-phrase checks use.

    NFC-composed, invisible marks removed, odd spaces made plain, CRLF made LF. Case is kept;
    case-folding is the search's business. Letters, digits and punctuation are untouched, so an
    exact phrase stays exact.
    """
    # Most messages need nothing done; each step first checks, at C speed, whether it must.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():
        return text
    if _INVISIBLE_RE.search(text):
        text = _INVISIBLE_RE.sub("", text)
    if _SPACES_RE.search(text):
        text = _SPACES_RE.sub(" ", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def fold(text: str) -> str:
    """Case-fold and squeeze spaces, for case-insensitive exact-phrase comparison."""
    return _RUNS_OF_SPACE.sub(" ", search_text(text)).casefold()


def match_text(kind: str, body: str, searchable: str | None = None) -> str:
    """What two copies of a message agree on, whatever phone exported them.

    Media are spelled differently on Android and iOS ("<Media omitted>", "<attached: ...>",
    "image omitted"), deleted markers differ by who deleted; so those kinds compare on the kind
    alone. Text compares on its words, case and spacing ignored.
    """
    if kind in ("media", "deleted", "view_once"):
        return f"<{kind}>"
    text = search_text(body) if searchable is None else searchable
    return _ANY_WHITESPACE.sub(" ", text).strip().casefold()


def match_hash(kind: str, body: str, searchable: str | None = None) -> int:
    """A signed 64-bit hash of ``match_text`` (fits an SQLite INTEGER).

    ``searchable`` is ``search_text(body)`` when the caller has it already.
    """
    text = match_text(kind, body, searchable)
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
