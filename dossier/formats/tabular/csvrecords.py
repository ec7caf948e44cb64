"""CSV records with their exact place in the file.

Python's csv module gives fields but not where a record sits, so records are assembled here
from lines (a quoted field may hold line breaks) and only then split into fields. The rules
are the csv module's: a quote opens a quoted field only at the start of a field, ``""`` inside
it is a quote, and a quote anywhere else is an ordinary character.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import NamedTuple

from dossier.formats.tabular.lines import Line

# A quoted field still open after this many lines is taken to be a stray quote: its first
# line is reported and the lines after it are read again as records of their own.
MAX_RECORD_LINES = 5000
# Fields may be long (a pasted document); the csv module's default limit is 128 K characters.
FIELD_LIMIT = 64 * 1024 * 1024


class Record(NamedTuple):
    fields: list[str] | None  # None when the record could not be split into fields
    text: str  # the record exactly as in the file (line breaks inside it kept)
    line_start: int
    line_end: int
    byte_start: int
    byte_end: int  # just past its last character (the line break after it excluded)
    undecodable: bool
    problem: str | None = None


def read_records(lines: Iterator[Line], delimiter: str) -> Iterator[Record]:
    """Every record of the file in order; blank lines between records are layout."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    source = _Pushback(lines)
    pending: list[Line] = []
    in_quotes = False
    while True:
        for line in source:
            if not pending and not line.text:
                continue
            in_quotes = _ends_inside_quotes(line.text, in_quotes, delimiter)
            pending.append(line)
            if in_quotes and line.ending and len(pending) < MAX_RECORD_LINES:
                continue
            if in_quotes:
                yield _unclosed(pending, source)
            else:
                yield _record(pending, delimiter)
            pending, in_quotes = [], False
        if not pending:
            return
        yield _unclosed(pending, source)  # the file ended inside a quoted field
        pending, in_quotes = [], False


def _unclosed(pending: list[Line], source: _Pushback) -> Record:
    """A quoted field that never closes: its first line is reported, the rest read again."""
    source.push_back(pending[1:])
    return _record(
        pending[:1],
        None,
        "a quoted field is never closed (a stray quote?); the lines after it were read as "
        "records of their own",
    )


def _record(lines: list[Line], delimiter: str | None, problem: str | None = None) -> Record:
    parts = [line.text + line.ending for line in lines[:-1]]
    parts.append(lines[-1].text)
    text = "".join(parts)
    fields = None
    if delimiter is not None:
        try:
            fields = next(csv.reader([text], delimiter=delimiter), [])
        except csv.Error as exc:
            problem = f"not a well-formed CSV record ({exc})"
    return Record(
        fields,
        text,
        lines[0].number,
        lines[-1].number,
        lines[0].byte_start,
        lines[-1].byte_end,
        any(line.undecodable for line in lines),
        problem,
    )


def _ends_inside_quotes(text: str, in_quotes: bool, delimiter: str) -> bool:
    """Whether a quoted field is still open at the end of ``text``."""
    if '"' not in text:
        return in_quotes
    at_field_start = not in_quotes
    i, n = 0, len(text)
    while i < n:
        if in_quotes:
            quote = text.find('"', i)
            if quote < 0:
                return True
            if text.startswith('""', quote):
                i = quote + 2
                continue
            in_quotes, at_field_start, i = False, False, quote + 1
        elif at_field_start and text[i] == '"':
            in_quotes, i = True, i + 1
        else:
            comma = text.find(delimiter, i)
            if comma < 0:
                return False
            at_field_start, i = True, comma + 1
    return in_quotes


class _Pushback:
    """An iterator of lines that can be given lines back to read again."""

    def __init__(self, lines: Iterator[Line]) -> None:
        self._lines = lines
        self._back: list[Line] = []

    def __iter__(self) -> _Pushback:
        return self

    def __next__(self) -> Line:
        if self._back:
            return self._back.pop()
        return next(self._lines)

    def push_back(self, lines: list[Line]) -> None:
        self._back.extend(reversed(lines))
