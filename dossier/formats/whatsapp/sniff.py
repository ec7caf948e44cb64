"""Recognising a WhatsApp export from its first bytes and its name."""

from __future__ import annotations

from dossier.formats.signal import signal_text_marks
from dossier.formats.whatsapp.decode import detect
from dossier.formats.whatsapp.grammar import HEADER_AFTER_NL_RE, HEADER_RE
from dossier.formats.whatsapp.names import conversation_title_from_filename

SNIFF_LINES = 200
# A Signal text export in WhatsApp's bracketed shape is left to the Signal format.
SIGNAL_LOOKALIKE = 0.5
# Strings only WhatsApp writes; they lift a bracketed file above look-alikes (Signal's text
# export uses the same "[date, time] Name: text" shape).
_WHATSAPP_MARKS = (
    "end-to-end",
    "Ende-zu-Ende",
    "<Media omitted>",
    "\u200e",
    "omitted>",
    "WhatsApp",
)


def _may_hold_header(head: bytes) -> bool:
    """False when no line of the head can be a header line, found with one search instead
    of 200 tries, and before the encoding is guessed (slow for a non-UTF-8 head). The header's
    non-ASCII characters (U+00A0, U+202F, marks) are found in UTF-8 or in a single-byte page
    (as Latin-1 reads U+00A0); UTF-16 text is decoded as such first."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:4096].count(0) * 3 >= len(head[:4096]):
        return True  # UTF-16/32: the full recogniser decides
    if HEADER_AFTER_NL_RE.search("\n" + head.decode("utf-8", "replace")):
        return True
    return (
        not head.isascii() and HEADER_AFTER_NL_RE.search("\n" + head.decode("latin-1")) is not None
    )


def sniff(head: bytes, filename: str) -> float:
    """0..1: how many of the first lines are WhatsApp header lines, and where they start."""
    if not head or not _may_hold_header(head):
        return 0.0
    enc = detect(head)
    text = head[enc.bom_bytes :].decode(enc.codec, "replace")
    lines = [ln for ln in text.split("\n")[:SNIFF_LINES] if ln.strip()]
    if not lines:
        return 0.0
    hits = [HEADER_RE.match(ln) for ln in lines]
    count = sum(1 for h in hits if h is not None)
    if not count:
        return 0.0
    ratio = count / len(lines)
    first = hits[0]
    if first is not None and first.group("ob") and signal_text_marks(text, filename):
        return SIGNAL_LOOKALIKE
    score = (0.75 if first is not None else 0.3) + 0.15 * ratio
    if first is not None and not first.group("ob"):
        score += 0.05  # the Android " - " layout is WhatsApp's alone
    name_hit = conversation_title_from_filename(filename) is not None
    if name_hit or filename.endswith("_chat.txt") or any(m in text for m in _WHATSAPP_MARKS):
        score += 0.05
    return round(min(score, 1.0), 3)
