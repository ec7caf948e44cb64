"""A text file's lines with the exact bytes each came from, read in chunks.

Works for any encoding whose line break is one whole code unit (UTF-8, single-byte code
pages, UTF-16 and UTF-32 with or without a BOM), so byte offsets always point into the
original file even when the text is decoded from UTF-16.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from dossier.errors import InputError

CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# An encoding named without its byte order means the order its BOM states, else this one.
_PLAIN = {"utf-16": "utf-16-le", "utf-32": "utf-32-le", "utf-8-sig": "utf-8"}


class Line(NamedTuple):
    number: int  # 1-based
    text: str  # decoded, without its line break
    ending: str  # the line break as decoded: "\n", "\r\n" or "" (the file's last line)
    byte_start: int
    byte_end: int  # just past the text (the line break excluded)
    undecodable: bool  # bytes that are not valid in the encoding became U+FFFD


def choose_encoding(head: bytes, wanted: str | None) -> tuple[str, int]:
    """(codec name, BOM length) for a file starting with ``head``."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    name = (wanted or "utf-8").lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        raise InputError(
            f"{wanted!r} is not a text encoding Python knows.",
            "use a name such as utf-8, utf-16, cp1252 or latin-1 for encoding=",
        ) from None
    name = _PLAIN.get(name, name)
    if len("\n".encode(name)) != len("\r".encode(name)):
        raise InputError(f"The encoding {wanted!r} cannot be read line by line.")
    return name, 0


def read_lines(stream: BinaryIO, encoding: str, taken: bytes, start: int) -> Iterator[Line]:
    """Every line of a file whose bytes from ``start`` (after a BOM) begin with ``taken``
    (read already) and go on with the rest of ``stream``."""
    newline = "\n".encode(encoding)
    cr = "\r".encode(encoding)
    unit = len(newline)
    offset, number = start, 0
    pending = taken
    while True:
        chunk = stream.read(CHUNK)
        buffer = pending + chunk if pending else chunk
        pos = 0
        while (end := _find(buffer, newline, pos, unit)) >= 0:
            number += 1
            yield _line(buffer[pos:end], number, offset, encoding, cr, "\n")
            offset += end + unit - pos
            pos = end + unit
        pending = buffer[pos:]
        if not chunk:
            break
    if pending:
        yield _line(pending, number + 1, offset, encoding, cr, "")


def _find(buffer: bytes, newline: bytes, pos: int, unit: int) -> int:
    """The next line break at a code-unit boundary (UTF-16's "\\n\\0" can straddle two
    characters, e.g. U+0A00 followed by ...)."""
    base = pos
    while (found := buffer.find(newline, pos)) >= 0:
        if (found - base) % unit == 0:
            return found
        pos = found + 1
    return -1


def _line(raw: bytes, number: int, offset: int, encoding: str, cr: bytes, lf: str) -> Line:
    ending = lf
    if lf and raw.endswith(cr) and (len(raw) - len(cr)) % len(cr) == 0:
        raw = raw[: -len(cr)]
        ending = "\r\n"
    try:
        text = raw.decode(encoding)
        undecodable = False
    except UnicodeDecodeError:
        text = raw.decode(encoding, errors="replace")
        undecodable = True
    return Line(number, text, ending, offset, offset + len(raw), undecodable)
