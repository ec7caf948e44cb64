"""A reading position in a big JSON file that knows its byte offset and line number.

Telegram exports can be hundreds of megabytes, so the file is never decoded whole. The text
is decoded chunk by chunk into a sliding buffer; single values (one message object, a chat's
name) are decoded with the standard library's C decoder (``raw_decode``), and the byte offset
and line of any buffer position are found by counting what lies between it and the last
position measured. Text behind that position is dropped as the buffer slides on.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, BinaryIO

CHUNK = 1 << 20
# A single value larger than this is not waited for: the file is taken to be broken there.
MAX_VALUE_CHARS = 64 << 20
# A decode error this close to the end of the buffer may only mean the value goes on in the
# next chunk.
_NEAR_END = 32

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_BOM = b"\xef\xbb\xbf"


class BrokenJson(Exception):
    """The JSON text cannot be read at ``index`` (a buffer position)."""

    def __init__(self, reason: str, index: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.index = index


def utf8_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogateescape"))


class JsonCursor:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        # Invalid bytes decode to lone surrogates, so offsets stay exact; messages holding
        # them are reported, not stored.
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.text = ""
        self.pos = 0
        self.eof = False
        # text[mark] sits at byte ``mark_byte`` on line ``mark_line`` of the file.
        self.mark = 0
        self.mark_byte = 0
        self.mark_line = 1
        first = stream.read(CHUNK)
        if first.startswith(_BOM):
            first = first[len(_BOM) :]
            self.mark_byte = len(_BOM)
        self._append(first)

    # --- the buffer ------------------------------------------------------------------------

    def _append(self, data: bytes) -> None:
        if not data:
            self.eof = True
            self.text += self.decoder.decode(b"", final=True)
            return
        self.text += self.decoder.decode(data)

    def fill(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.eof:
            return False
        self._append(self.stream.read(CHUNK))
        return True

    def release(self) -> None:
        """Drop the text before the mark (already measured), once there is enough of it."""
        if self.mark >= CHUNK:
            self.text = self.text[self.mark :]
            self.pos -= self.mark
            self.mark = 0

    def locate(self, index: int) -> tuple[int, int]:
        """(byte offset, line) of buffer position ``index``; positions only move forward."""
        if index > self.mark:
            seg = self.text[self.mark : index]
            self.mark_byte += utf8_len(seg)
            self.mark_line += seg.count("\n")
            self.mark = index
        return self.mark_byte, self.mark_line

    # --- reading ---------------------------------------------------------------------------

    def skip_space(self) -> int:
        """Move past white space; the position reached."""
        self.peek()
        return self.pos

    def peek(self) -> str:
        """The next character that is not white space ("" at the end of the file)."""
        text = self.text
        while True:
            if self.pos < len(text) and text[self.pos] not in " \t\n\r":
                return text[self.pos]  # the usual case: no space to skip
            found = _SPACE.match(text, self.pos)
            self.pos = found.end() if found else self.pos
            if self.pos < len(text) or not self.fill():
                return self.text[self.pos] if self.pos < len(self.text) else ""
            text = self.text

    def expect(self, chars: str) -> str:
        """Consume the next character, which must be one of ``chars``."""
        found = self.peek()
        if not found or found not in chars:
            what = "the end of the file" if not found else repr(found)
            wanted = " or ".join(repr(c) for c in chars)
            raise BrokenJson(f"expected {wanted} but found {what}", self.pos)
        self.pos += 1
        return found

    def value(self) -> tuple[Any, int, int]:
        """Decode the next value: (value, start, end) with buffer positions."""
        self.peek()
        start = self.pos
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, start)
            except json.JSONDecodeError as exc:
                if self._may_continue(exc.pos, exc.msg, start):
                    continue
                raise BrokenJson(_plain(exc), exc.pos) from None
            if end >= len(self.text) and self._more(start):
                continue  # a number may go on in the next chunk
            self.pos = end
            return value, start, end

    def _may_continue(self, at: int, message: str, start: int) -> bool:
        near_end = at >= len(self.text) - _NEAR_END or message.startswith("Unterminated")
        return near_end and self._more(start)

    def _more(self, start: int) -> bool:
        if self.eof or len(self.text) - start > MAX_VALUE_CHARS:
            return False
        # Read as much again as the value has taken so far, so a long value is not decoded
        # again once per chunk.
        wanted = len(self.text) + max(CHUNK, len(self.text) - start)
        while len(self.text) < wanted and self.fill():
            pass
        return True

    def search(self, pattern: re.Pattern[str], start: int) -> tuple[re.Match[str] | None, int]:
        """The next match of ``pattern`` at or after ``start``, reading on as needed, and how
        far the buffer moved meanwhile (subtract it from positions held before). Text before
        the search position is measured and dropped as the search goes, so memory stays
        bounded however far the next match is."""
        moved = 0
        while True:
            found = pattern.search(self.text, start)
            if found is not None and (found.end() < len(self.text) or self.eof):
                return found, moved
            if not self.fill():
                return None, moved
            keep = max(start, len(self.text) - CHUNK - 256)
            self.locate(keep)
            before = self.mark
            self.release()
            moved += before - self.mark
            start -= before - self.mark

    def raw(self, start: int, limit: int) -> str:
        """Up to ``limit`` characters from ``start`` (the raw text of a report)."""
        while len(self.text) - start < limit and self.fill():
            pass
        return self.text[start : start + limit]


def _plain(exc: json.JSONDecodeError) -> str:
    return exc.msg[:1].lower() + exc.msg[1:]
