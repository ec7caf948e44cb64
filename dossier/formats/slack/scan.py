"""The top-level elements of a JSON array, each with where it sits in the file.

A Slack day file is one JSON array of message objects, and every message must point back to
its own bytes. So the array is not decoded in one go: the file is read in chunks and scanned
for the extent of each top-level element, which is then decoded on its own. Only strings and
brackets matter to the scan: a string is skipped whole (brackets inside it do not count) and
depth is counted over the rest; json.loads judges each element afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

CHUNK = 1 << 20

# Skips everything up to the next bracket outside a string (whole strings are skipped, so
# brackets inside them do not count) and captures it; or captures the quote that opens a
# string going on past the buffer. Possessive, so a failed match never backtracks.
_NEXT = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+([\[\]{}"])', re.DOTALL)
_BLANK = b" \t\r\n"
_SEPARATORS = b", \t\r\n"
_BOM = b"\xef\xbb\xbf"

PieceKind = Literal[
    "element",  # an object or array inside the top-level array
    "stray",  # something else between the elements: a number, a string, a stray bracket
    "cut",  # the file ends inside an element: the rest of it is missing
    "unclosed",  # the file ends before the array's closing bracket
    "not-array",  # the file does not hold a JSON array at all
    "trailing",  # text after the array's closing bracket
]


@dataclass(frozen=True, slots=True)
class Piece:
    kind: PieceKind
    raw: bytes
    byte_start: int
    byte_end: int
    line_start: int
    line_end: int


class _Window:
    """The part of the stream still needed, addressed by file offsets, with line counting."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.data = b""
        self.base = 0  # file offset of data[0]
        self.eof = False
        self._line = 1  # the line number at file offset _line_at
        self._line_at = 0

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def more(self, keep_from: int) -> bool:
        """Read another chunk, forgetting what lies before file offset ``keep_from``."""
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        if keep_from > self.base:
            if keep_from > self._line_at:
                self.line(keep_from)  # count the lines about to be forgotten
            self.data = self.data[keep_from - self.base :]
            self.base = keep_from
        self.data += chunk
        return True

    def line(self, offset: int) -> int:
        """The 1-based line of a file offset; offsets must be asked in increasing order."""
        if offset > self._line_at:
            self._line += self.data.count(b"\n", self._line_at - self.base, offset - self.base)
            self._line_at = offset
        return self._line

    def text(self, start: int, end: int) -> bytes:
        return self.data[start - self.base : end - self.base]


class _Scanner:
    def __init__(self, stream: BinaryIO) -> None:
        self.window = _Window(stream)
        self.depth = 0
        self.opened = False  # the array's "[" has been read
        self.closed = False  # ... and its "]"
        self.pos = 0  # file offset where scanning resumes
        self.start = 0  # file offset where the current element (or the array) begins
        self.gap = 0  # file offset where the text between two elements begins

    def pieces(self) -> Iterator[Piece]:
        window = self.window
        if not self._starts_with_bracket():
            yield self._piece("not-array", 0, min(window.end, CHUNK))
            return
        while True:
            found = _NEXT.match(window.data, self.pos - window.base)
            if found is None or found.group(1) == b'"':
                if window.more(self._needed_from()):
                    continue
                yield from self._at_end()
                return
            at = window.base + found.start(1)
            self.pos = window.base + found.end()
            piece = self._token(found.group(1), at)
            if piece is not None:
                yield piece
                if piece.kind == "trailing":
                    return

    def _starts_with_bracket(self) -> bool:
        """Whether the first thing in the file (after a byte-order mark and blanks) is "["."""
        window = self.window
        while True:
            content = window.data.removeprefix(_BOM).lstrip(_BLANK)
            partial_bom = _BOM.startswith(window.data)  # the mark itself is still arriving
            if (content and not partial_bom) or not window.more(0):
                return content.startswith(b"[")

    def _needed_from(self) -> int:
        if self.depth >= 2:
            return self.start
        return self.gap if not self.closed else self.pos

    def _token(self, token: bytes, at: int) -> Piece | None:
        if not self.opened:  # the file starts with "[" (checked first): the array opens
            self.opened, self.depth, self.gap = True, 1, self.pos
            return None
        if self.closed:
            return self._piece("trailing", at, self.window.end)
        if self.depth == 1:
            return self._between(token, at)
        if token == b'"':
            return None
        if token in b"[{":
            self.depth += 1
        else:
            self.depth -= 1
        if self.depth == 1:
            self.gap = self.pos
            return self._piece("element", self.start, self.pos)
        return None

    def _between(self, token: bytes, at: int) -> Piece | None:
        """A token at the array's own level: an element begins, or the array ends."""
        if token not in b"[{]":  # a string, or a "}" that closes nothing: stray with its gap
            piece = self._stray_piece(self.gap, self.pos)
            self.gap = self.pos
            return piece
        stray = self._stray(at)
        if token == b"]":
            self.depth, self.closed = 0, True
        else:
            self.depth, self.start = 2, at
        return stray

    def _stray(self, until: int) -> Piece | None:
        """What lies between two elements besides commas and blanks, if anything."""
        between = self.window.text(self.gap, until)
        if not between.replace(b",", b"").strip(_BLANK):
            return None
        return self._stray_piece(self.gap, until)

    def _stray_piece(self, start: int, end: int) -> Piece:
        """A stray piece, without the commas and blanks around it."""
        text = self.window.text(start, end)
        lead = len(text) - len(text.lstrip(_SEPARATORS))
        trail = len(text) - len(text.rstrip(_SEPARATORS))
        return self._piece("stray", start + lead, end - trail)

    def _at_end(self) -> Iterator[Piece]:
        end = self.window.end
        if not self.opened:
            yield self._piece("not-array", 0, end)
        elif self.depth >= 2:
            yield self._piece("cut", self.start, end)
        elif not self.closed:
            stray = self._stray(end)
            if stray is not None:
                yield stray
            yield self._piece("unclosed", end, end)
        elif self.window.text(self.pos, end).strip(_BLANK):
            yield self._piece("trailing", self.pos, end)

    def _piece(self, kind: PieceKind, start: int, end: int) -> Piece:
        window = self.window
        first = window.line(start)
        last = window.line(max(start, end - 1))
        return Piece(kind, window.text(start, end), start, end, first, last)


def array_pieces(stream: BinaryIO) -> Iterator[Piece]:
    """The elements of the JSON array in ``stream`` (and whatever spoils it), in file order."""
    return _Scanner(stream).pieces()
