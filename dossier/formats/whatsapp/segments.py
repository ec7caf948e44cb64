"""Cutting decoded text into *segments*: a header-shaped line and the text up to the next one.

One compiled regex finds every header-shaped line start in a block of several MB; segments
are slices between matches. Whether a segment really starts a message is decided later
(``parser.py``); here nothing is judged. A segment that runs past a block is carried over
in pieces and joined once; beyond ``MAX_MESSAGE_CHARS`` its text is counted, not kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from dossier.formats.whatsapp.decode import BAD_CHARS_RE, Block
from dossier.formats.whatsapp.grammar import HEADER_AFTER_NL_RE, HEADER_RE

# Text kept for one message; a longer (pathological) message keeps its first part only and
# the parser reports the rest by byte range. Tests lower it.
MAX_MESSAGE_CHARS = 16 * 1024 * 1024
TAIL_CHARS = 256


class Overflow(NamedTuple):
    """The part of a segment beyond MAX_MESSAGE_CHARS that was counted but not kept."""

    chars: int
    nbytes: int
    newlines: int
    tail: str  # its last characters, to find where the content ends


# A segment: (header-shaped match or None for text before any header, its text from the
# header's first character to the next segment (line break included), overflow or None).
# Plain tuples, not a NamedTuple: a million of them are made per million messages.
Segment = tuple[re.Match[str] | None, str, Overflow | None]


class TextStats:
    """Counts made while cutting: line endings, U+FEFF, undecodable bytes."""

    def __init__(self) -> None:
        self.crlf = 0
        self.lf = 0
        self.feff = 0
        self.bad = False
        self.may_be_bad = True  # False when the decoder reported no undecodable byte


class _Open:
    """The segment still growing at the end of a block."""

    __slots__ = ("match", "nbytes", "newlines", "overflow_chars", "pieces", "size", "tail")

    def __init__(self, match: re.Match[str] | None) -> None:
        self.match = match
        self.pieces: list[str] = []
        self.size = 0
        self.overflow_chars = 0
        self.nbytes = 0
        self.newlines = 0
        self.tail = ""

    def add(self, piece: str, byte_len: Callable[[str], int]) -> None:
        if self.size + len(piece) <= MAX_MESSAGE_CHARS and not self.overflow_chars:
            self.pieces.append(piece)
            self.size += len(piece)
            return
        room = max(MAX_MESSAGE_CHARS - self.size, 0)
        if room:
            self.pieces.append(piece[:room])
            self.size += room
            piece = piece[room:]
        self.overflow_chars += len(piece)
        self.nbytes += byte_len(piece)
        self.newlines += piece.count("\n")
        self.tail = (self.tail + piece[-TAIL_CHARS:])[-TAIL_CHARS:]

    def close(self) -> Segment:
        text = self.pieces[0] if len(self.pieces) == 1 else "".join(self.pieces)
        self.pieces = []
        over = None
        if self.overflow_chars:
            over = Overflow(self.overflow_chars, self.nbytes, self.newlines, self.tail)
        return (self.match, text, over)


def _capped(seg: Segment, byte_len: Callable[[str], int]) -> Segment:
    if len(seg[1]) <= MAX_MESSAGE_CHARS:
        return seg
    capped = _Open(seg[0])
    capped.add(seg[1], byte_len)
    return capped.close()


class Cutter:
    """Cuts decoded blocks into segments; a segment still open at a block's end is carried."""

    def __init__(self, stats: TextStats, byte_len: Callable[[str], int]) -> None:
        self.stats = stats
        self.byte_len = byte_len
        self.open: _Open | None = None

    def cut(self, text: str, at_line_start: bool) -> list[Segment]:
        """The segments this block completes (the first may have no match)."""
        stats, byte_len = self.stats, self.byte_len
        stats.crlf += text.count("\r\n")
        stats.lf += text.count("\n")
        stats.feff += text.count("\ufeff")
        if not stats.bad and stats.may_be_bad and BAD_CHARS_RE.search(text):
            stats.bad = True
        # A mid-line piece (of a huge line) has no header at 0; later lines start after "\n".
        head = HEADER_RE.match(text) if at_line_start else None
        matches = list(HEADER_AFTER_NL_RE.finditer(text))
        if head is not None:
            matches.insert(0, head)
        open_seg = self.open
        if not matches:
            if open_seg is None:
                open_seg = self.open = _Open(None)
            open_seg.add(text, byte_len)
            return []
        starts = [m.start(1) for m in matches]
        batch: list[Segment] = []
        first = starts[0]
        if open_seg is not None:
            if first:
                open_seg.add(text[:first], byte_len)
            batch.append(open_seg.close())
        elif first:
            batch.append((None, text[:first], None))
        ends = starts[1:]
        batch += [(m, text[s:e], None) for m, s, e in zip(matches, starts, ends, strict=False)]
        if len(text) > MAX_MESSAGE_CHARS:  # a segment may be over the cap: cap it here too
            batch = [_capped(s, byte_len) for s in batch]
        self.open = _Open(matches[-1])
        self.open.add(text[starts[-1] :], byte_len)
        return batch

    def close(self) -> list[Segment]:
        """The segment still open, now complete (the next text starts a header line)."""
        open_seg, self.open = self.open, None
        return [] if open_seg is None else [open_seg.close()]


def batches(
    blocks: Iterable[Block], stats: TextStats, byte_len: Callable[[str], int]
) -> Iterator[list[Segment]]:
    """Yield the segments of each block as one list (the first may have no match)."""
    cutter = Cutter(stats, byte_len)
    for text, at_line_start in blocks:
        batch = cutter.cut(text, at_line_start)
        if batch:
            yield batch
    last = cutter.close()
    if last:
        yield last
