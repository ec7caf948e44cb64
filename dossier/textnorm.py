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
_DROP_INVISIBLE = str.maketrans("", "", _INVISIBLE)
# Unusual spaces (no-break, narrow no-break, figure, thin ...) read as a plain space.
_SPACES = str.maketrans({c: " " for c in "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u3000"})
_RUNS_OF_SPACE = re.compile(r"[ \t]+")
_ANY_WHITESPACE = re.compile(r"\s+")


def search_text(text: str) -> str:
    """The copy of ``text`` the search index and exact-phrase checks use.

    NFC-composed, invisible marks removed, odd spaces made plain, CRLF made LF. Case is kept;
    case-folding is the search's business. Letters, digits and punctuation are untouched, so an
    exact phrase stays exact.
    """
    if text.isascii():
        if "\r" not in text:
            return text
        return text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text.translate(_DROP_INVISIBLE).translate(_SPACES))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def fold(text: str) -> str:
    """Case-fold and squeeze spaces, for case-insensitive exact-phrase comparison."""
    return _RUNS_OF_SPACE.sub(" ", search_text(text)).casefold()


def match_text(kind: str, body: str) -> str:
    """What two copies of a message agree on, whatever phone exported them.

    Media are spelled differently on Android and iOS ("<Media omitted>", "<attached: ...>",
    "image omitted"), deleted markers differ by who deleted; so those kinds compare on the kind
    alone. Text compares on its words, case and spacing ignored.
    """
    if kind in ("media", "deleted", "view_once"):
        return f"<{kind}>"
    return _ANY_WHITESPACE.sub(" ", search_text(body)).strip().casefold()


def match_hash(kind: str, body: str) -> int:
    """A signed 64-bit hash of ``match_text`` (fits an SQLite INTEGER)."""
    digest = hashlib.blake2b(match_text(kind, body).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
