"""Search snippets: a window of the message around the words found, marked."""

from __future__ import annotations

import re
import sqlite3

from dossier.store.search_text import find_phrase

SNIPPET_CHARS = 160
_WS = re.compile(r"\s+")


def head(body: str) -> str:
    flat = _WS.sub(" ", body).strip()
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def fts_snippet(
    conn: sqlite3.Connection, fts: str, message_id: int, marks: tuple[str, str]
) -> str | None:
    row = conn.execute(
        "SELECT snippet(messages_fts, 0, ?, ?, '…', 24) FROM messages_fts "
        "WHERE messages_fts MATCH ? AND rowid = ?",
        (marks[0], marks[1], fts, message_id),
    ).fetchone()
    return None if row is None else _WS.sub(" ", str(row[0])).strip()


def _fold_map(text: str) -> tuple[str, list[int]]:
    """``_squash``-style folding of ``text`` (without the strip), with, for every folded
    character, the index of the character of ``text`` it came from."""
    out: list[str] = []
    origin: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space:
                out.append(" ")
                origin.append(i)
            in_space = True
            continue
        in_space = False
        folded = ch.casefold()
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def snippet(body: str, needles: list[tuple[str, bool]], marks: tuple[str, str]) -> str | None:
    """A window of ``body`` around the first literal occurrence of a needle, every occurrence
    in it wrapped in ``marks``; None when no needle occurs literally."""
    if not needles:
        return None
    hay, origin = _fold_map(body)
    spans: list[tuple[int, int]] = []
    for needle, prefix in needles:
        pos = find_phrase(hay, needle, 0, prefix)
        while pos >= 0:
            spans.append((origin[pos], origin[pos + len(needle) - 1] + 1))
            pos = find_phrase(hay, needle, pos + 1, prefix)
    if not spans:
        return None
    spans = _merge(spans)
    start = max(0, spans[0][0] - SNIPPET_CHARS // 4)
    end = min(len(body), max(start + SNIPPET_CHARS, spans[0][1]))
    parts, at = [], start
    for a, b in spans:
        if a < at or b > end:
            continue
        parts += [body[at:a], marks[0], body[a:b], marks[1]]
        at = b
    parts.append(body[at:end])
    text = _WS.sub(" ", "".join(parts)).strip()
    return ("…" if start > 0 else "") + text + ("…" if end < len(body) else "")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
