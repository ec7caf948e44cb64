"""Reading a UTF-8 export as raw byte batches that end where a header-shaped line starts.

The UTF-8 fast path (``fastpath.py``) works on the bytes: the header regex runs over them,
positions are byte offsets for free, and only what a record holds is decoded. A batch ends
at the start of its last header-shaped line, so each of its segments is complete and the
lookahead the parser needs (the next header) is the first header of the next batch.

What the fast path declines (a whole batch, or the rest of one from a header on) is decoded
with ``surrogateescape`` and cut by the general ``segments.Cutter``. Cuts fall before an
ASCII byte (a header or a line start) or, inside a huge line, at a character boundary, so
decoding piece by piece gives the same text as one incremental decoder would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from dossier.formats.whatsapp import decode
from dossier.formats.whatsapp.grammar import HEADER_AFTER_NL_BYTES_RE


class RawBatch(NamedTuple):
    buf: bytes
    lo: int  # the batch is buf[lo:hi]; buf[lo - 1] is b"\n" when lo is at a line start
    hi: int
    base: int  # file offset of buf[0]
    matches: list[re.Match[bytes]]  # header-shaped lines starting in [lo, hi)
    complete: bool  # hi is a header-shaped line start or the end of the file

    def text(self) -> str:
        return self.buf[self.lo : self.hi].decode("utf-8", "surrogateescape")

    def at_line_start(self) -> bool:
        return self.buf[self.lo - 1] == 0x0A


def raw_batches(stream: BinaryIO, first: bytes, skip: int) -> Iterator[RawBatch]:
    """The UTF-8 stream (``first`` already read, ``skip`` BOM bytes) as batches, in order."""
    # A "\n" in front lets the after-newline regex find a header on the first line too.
    carry, base = b"\n" + first[skip:], skip - 1
    finditer = HEADER_AFTER_NL_BYTES_RE.finditer
    while True:
        more = stream.read(decode.chunk_size())
        buf = carry + more
        matches = list(finditer(buf))
        if not more:
            yield RawBatch(buf, 1, len(buf), base, matches, True)
            return
        hi, complete = _cut(buf, matches)
        if hi <= 1:
            carry = buf  # one line so far, not yet too long: read on
            continue
        yield RawBatch(buf, 1, hi, base, matches, complete)
        carry, base = buf[hi - 1 :], base + hi - 1


def _cut(buf: bytes, matches: list[re.Match[bytes]]) -> tuple[int, bool]:
    """Where the batch ends (popping a header that starts there), and whether it is complete."""
    if matches and matches[-1].start(1) > 1:
        return matches.pop().start(1), True
    # No later header (a long message): cut after the last line break, or mid-line when the
    # line itself is too long to hold.
    nl = buf.rfind(b"\n") + 1
    if nl > 1:
        return nl, False
    if len(buf) <= decode.max_carry():
        return 0, False
    hi = len(buf)
    for back in range(1, 4):  # not inside a character: its lead byte starts the next batch
        byte = buf[-back]
        if byte < 0x80:
            break
        if byte >= 0xC0:
            hi -= back
            break
    return hi, False
