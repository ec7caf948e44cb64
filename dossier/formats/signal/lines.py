"""A binary stream as numbered lines with their byte offsets, read in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

CHUNK = 1 << 20
UTF8_BOM = b"\xef\xbb\xbf"


class Line(NamedTuple):
    number: int  # 1-based
    start: int  # offset of the line's first byte
    raw: bytes  # the line's bytes, its line break included


class Prefixed:
    """A stream whose first bytes were already read (to recognise it): they come first."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        return self._rest.read(size)


def lines(stream: BinaryIO | Prefixed) -> Iterator[Line]:
    """Every line of ``stream`` in order; the last one may lack a line break."""
    number, offset, rest = 0, 0, b""
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for part in parts:
            number += 1
            raw = part + b"\n"
            yield Line(number, offset, raw)
            offset += len(raw)
    if rest:
        yield Line(number + 1, offset, rest)


def content_end(raw: bytes) -> int:
    """Length of a line without its line break (``\\n`` or ``\\r\\n``)."""
    if raw.endswith(b"\r\n"):
        return len(raw) - 2
    if raw.endswith(b"\n"):
        return len(raw) - 1
    return len(raw)
