"""Text matching for search: folding, whole-word phrase tests, the index's tokenizer.

``register`` installs the SQL functions the compiled queries call (``dossier_phrase``,
``dossier_contains``) on a connection.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from functools import lru_cache

from dossier.textnorm import fold

_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """``textnorm.fold`` with every run of white space (line breaks too) made one space."""
    return _WS.sub(" ", fold(text)).strip()


def _is_word_char(c: str) -> bool:
    if c.isascii():
        return c.isalnum()
    category = unicodedata.category(c)
    return category[0] in "LNM" or category == "Co"


def find_phrase(hay: str, needle: str, start: int = 0, prefix: bool = False) -> int:
    """Index of the first occurrence of ``needle`` in ``hay`` at or after ``start`` that does not
    cut a word: a word character at either end of ``needle`` must not continue in ``hay``
    (the end is free for a ``prefix``). -1 when there is none. Both already squashed."""
    if not needle:
        return -1
    check_start = _is_word_char(needle[0])
    check_end = _is_word_char(needle[-1]) and not prefix
    pos = hay.find(needle, start)
    while pos >= 0:
        end = pos + len(needle)
        if not (check_start and pos > 0 and _is_word_char(hay[pos - 1])) and not (
            check_end and end < len(hay) and _is_word_char(hay[end])
        ):
            return pos
        pos = hay.find(needle, pos + 1)
    return -1


def _phrase_match(text: str | None, needle: str | None) -> int:
    """``find_phrase`` on a ``body_search`` value. That is already ``search_text`` output, so
    ``fold`` reduces to squeezing spaces and case-folding (done here directly: hot path)."""
    if text is None or not needle:
        return 0
    return int(find_phrase(_WS.sub(" ", text).casefold(), needle) >= 0)


def _contains(text: str | None, needle: str | None, digits: str | None) -> int:
    if text is None:
        return 0
    if needle and needle in squash(text):
        return 1
    if digits:
        return int(digits in re.sub(r"\D", "", text))
    return 0


def register(conn: sqlite3.Connection) -> None:
    conn.create_function("dossier_phrase", 2, _phrase_match, deterministic=True)
    conn.create_function("dossier_contains", 3, _contains, deterministic=True)


_TOKENIZER_LOCK = threading.Lock()


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """The terms the index's tokenizer (unicode61, diacritics kept) makes of ``text``."""
    with _TOKENIZER_LOCK:
        db = _tokenizer_db()
        db.execute("DELETE FROM tok")
        db.execute("INSERT INTO tok(rowid, x) VALUES (1, ?)", (text,))
        return tuple(r[0] for r in db.execute("SELECT term FROM tok_terms ORDER BY offset"))


@lru_cache(maxsize=1)
def _tokenizer_db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    db.execute("CREATE VIRTUAL TABLE tok USING fts5(x, tokenize = 'unicode61 remove_diacritics 0')")
    db.execute("CREATE VIRTUAL TABLE tok_terms USING fts5vocab(tok, 'instance')")
    return db
