"""Recognising Signal's text and JSON Lines exports from their first bytes and their name.

The text export's ``[2019-05-29, 15:04] Aya: text`` looks like an iOS WhatsApp export. What
tells them apart: WhatsApp on iOS always writes seconds, so ``[yyyy-mm-dd, HH:MM]`` (comma, no
seconds) is Signal's; sigexport's own marks (the ``chat.md`` name, two spaces ending each
message, ``./media/`` links, a ``(- Name: emoji -)`` reactions line) are Signal's in any date
layout; and WhatsApp's own strings (its encryption notice, ``<Media omitted>``, U+200E) are
never in a Signal export.
"""

from __future__ import annotations

import re

from dossier.formats.signal.common import ATTACHMENT_LINK, REACTIONS_LINE
from dossier.formats.signal.lines import UTF8_BOM
from dossier.formats.signal.text import HEADER

SNIFF_LINES = 200
MARKDOWN_NAMES = frozenset({"chat.md", "index.md"})
# Strings only WhatsApp writes (the same list WhatsApp's recogniser gives a bonus for).
WHATSAPP_MARKS = ("end-to-end", "Ende-zu-Ende", "omitted>", "\u200e", "WhatsApp")
# The JSON Lines object sigexport writes starts with these keys, in this order.
JSONL_START = re.compile(rb'\s*\{"date": "[^"]*", "sender": ')
JSONL_KEYS = (b'"body": ', b'"quote": ', b'"reactions": ', b'"attachments": ')

# How sure we are of a text export: Signal's header shape plus one of its marks must beat the
# best a bracketed WhatsApp export can score (0.95).
CONFIDENT = 0.97
SHAPE_ONLY = 0.6


def _text(head: bytes) -> str:
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
    return head.decode("utf-8", "replace")


def signal_text_marks(text: str, filename: str) -> bool:
    """Whether the text carries something only a Signal text export writes."""
    lines = text.split("\n")[:SNIFF_LINES]
    headers = [m for m in map(HEADER.match, lines) if m is not None]
    if not headers or any(mark in text for mark in WHATSAPP_MARKS):
        return False
    if all(m["comma"] and len(m["time"]) == 5 for m in headers):
        return True  # [yyyy-mm-dd, HH:MM]: no WhatsApp export is written so
    if filename in MARKDOWN_NAMES:
        return True
    two_spaces = sum(1 for ln in lines if ln.rstrip("\r").endswith("  "))
    if two_spaces * 2 >= len(headers):
        return True  # sigexport ends every message with a Markdown line break
    return bool(ATTACHMENT_LINK.search(text) or REACTIONS_LINE.search(text))


def sniff_text(head: bytes, filename: str) -> float:
    text = _text(head)
    first = next((ln for ln in text.split("\n", SNIFF_LINES)[:SNIFF_LINES] if ln.strip()), None)
    if first is None or HEADER.match(first) is None:
        return 0.0
    return CONFIDENT if signal_text_marks(text, filename) else SHAPE_ONLY


def sniff_jsonl(head: bytes, filename: str) -> float:
    body = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    if not JSONL_START.match(body):
        return 0.0
    first = body.split(b"\n", 1)[0]
    found = sum(1 for key in JSONL_KEYS if key in first)
    if found >= 2 or (filename == "data.json" and found >= 1):
        return 0.95
    return 0.5
