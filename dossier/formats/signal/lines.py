"""A binary stream as numbered lines with their byte offsets, read in chunks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, NamedTuple

from dossier.model import ParseIssue, ParseRecord

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


class NotAMessage(ValueError):
    """A line that is JSON, but not a message of the layout being read."""


# Turns one decoded JSON line into a record: (item, line, byte start, byte end) -> record.
ReadItem = Callable[[Any, Line, int, int], ParseRecord]


def json_line_records(stream: BinaryIO | Prefixed, read: ReadItem) -> Iterator[ParseRecord]:
    """One record per line holding a JSON object (JSON Lines, or an array written one object
    a line): what ``read`` makes of it, or a ParseIssue with the raw line when it is broken
    JSON, not UTF-8, or not a message (``read`` raises NotAMessage). Reading goes on after."""
    for line in lines(stream):
        start, end = object_span(line)
        raw = line.raw[start - line.start : end - line.start]
        if raw in (b"", b"[", b"]"):
            continue  # an empty line, or an array's brackets
        try:
            record = read(json.loads(raw.decode("utf-8")), line, start, end)
        except (UnicodeDecodeError, json.JSONDecodeError, NotAMessage) as exc:
            yield ParseIssue(
                f"line {line.number}: not a Signal message ({_why(exc)})",
                raw.decode("utf-8", "replace"),
                line.number,
                line.number,
                start,
            )
            continue
        yield record


def _why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"broken JSON: {exc.msg} at column {exc.colno}; a cut or damaged file?"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return str(exc)


def object_span(line: Line) -> tuple[int, int]:
    """Where the line's JSON object sits: from ``{`` to just past ``}`` — no BOM, no spaces,
    no comma between array elements."""
    raw = line.raw[: content_end(line.raw)]
    lead = len(UTF8_BOM) if line.number == 1 and raw.startswith(UTF8_BOM) else 0
    body = raw[lead:].rstrip()
    if body.endswith(b","):
        body = body[:-1].rstrip()
    first = lead + len(body) - len(body.lstrip())
    return line.start + first, line.start + lead + len(body)
