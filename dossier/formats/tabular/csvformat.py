"""CSV (and TSV) exports: phone extraction reports, message exporters, spreadsheets."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.tabular.csvrecords import Record, read_records
from dossier.formats.tabular.emit import Emitter
from dossier.formats.tabular.lines import choose_encoding, read_lines
from dossier.formats.tabular.mapping import Mapping, MappingError
from dossier.formats.tabular.rows import Place
from dossier.model import ParseIssue, ParseRecord, SourceFact

_NUMBERED = re.compile(r"^#(\d+)$")
MAX_PREAMBLE = 2000  # characters of the lines above the header kept as a source fact


class Columns:
    """A header's column names, and the mapping's columns found among them."""

    def __init__(self, names: list[str], mapping: Mapping) -> None:
        self.names = names
        self.keys = _unique_keys(names)  # for the row's JSON: duplicate names made distinct
        self.index = {ref: self._find(ref) for ref in mapping.columns.values()}

    def _find(self, ref: str) -> int:
        numbered = _NUMBERED.match(ref.strip())
        if numbered and 1 <= int(numbered.group(1)) <= len(self.names):
            return int(numbered.group(1)) - 1
        exact = [i for i, name in enumerate(self.names) if name == ref]
        loose = [i for i, name in enumerate(self.names) if _loose(name) == _loose(ref)]
        for found in (exact, loose):
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise MappingError(
                    f"The file has {len(found)} columns called {ref!r}.",
                    f"name the one you mean by its number, e.g. #{found[0] + 1}",
                )
        listed = ", ".join(repr(name) for name in self.names)
        raise MappingError(
            f"The file has no column {ref!r}. Its columns are: {listed}.",
            "use one of these names (or #N for the N-th column) in the mapping; if the "
            "names are on a later row, give --map header_row=N",
        )


def parse_csv(stream: BinaryIO, filename: str, options: ParseOptions) -> Iterator[ParseRecord]:
    mapping = Mapping.from_settings(options.settings, "csv")
    records, encoding = _records(stream, mapping)
    yield SourceFact("encoding", encoding)
    yield SourceFact("mapping", mapping.as_text())
    columns, records, preamble = _header(records, mapping)
    if preamble:
        yield SourceFact("preamble", preamble[:MAX_PREAMBLE])
    if columns is None:
        return
    emitter = Emitter(mapping, options.conversation or PurePath(filename).stem)
    for record in records:
        yield from _row(record, columns, emitter)
    emitter.finish()


def _records(stream: BinaryIO, mapping: Mapping) -> tuple[Iterator[Record], str]:
    head = stream.read(4)
    encoding, bom = choose_encoding(head, mapping.encoding)
    lines = read_lines(stream, encoding, head[bom:], bom)
    return read_records(lines, mapping.delimiter), encoding


def _header(
    records: Iterator[Record], mapping: Mapping
) -> tuple[Columns | None, Iterator[Record], str]:
    """(the columns, the data records, the text above the header); no columns for a file
    with no records."""
    preamble = [r.text for r in itertools.islice(records, max(mapping.header_row - 1, 0))]
    above = "\n".join(preamble)
    if mapping.header_row == 0:
        first = next(records, None)
        if first is None:
            return None, records, above
        width = len(first.fields or [])
        columns = Columns([f"#{i + 1}" for i in range(width)], mapping)
        return columns, itertools.chain([first], records), above
    header = next(records, None)
    if header is None:
        return None, records, above
    if header.fields is None:
        raise MappingError(
            f"Row {mapping.header_row} (line {header.line_start}), taken as the header, is not "
            f"a CSV record: {header.problem}.",
            "give header_row= for the row that holds the column names",
        )
    return Columns(header.fields, mapping), records, above


def _row(record: Record, columns: Columns, emitter: Emitter) -> Iterator[ParseRecord]:
    place = Place(record.line_start, record.line_end, record.byte_start, record.byte_end)
    fields = record.fields
    if fields is None:
        yield emitter.issue(record.problem or "not a CSV record", record.text, place)
        return
    if len(fields) != len(columns.names):
        yield emitter.issue(
            f"this row has {len(fields)} column(s) where the header has {len(columns.names)}",
            record.text,
            place,
        )
        return
    structure = json.dumps(dict(zip(columns.keys, fields, strict=True)), ensure_ascii=False)
    index = columns.index
    yield emitter.row(lambda ref: fields[index[ref]], place, structure, record.text)
    if record.undecodable:
        yield ParseIssue(
            "some bytes of this row are not valid in the file's encoding; they read as U+FFFD "
            "(give encoding= if the file is not UTF-8)",
            record.text,
            record.line_start,
            record.line_end,
            record.byte_start,
        )


def _loose(name: str) -> str:
    return " ".join(name.split()).casefold()


def _unique_keys(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    keys = []
    for number, name in enumerate(names, 1):
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name} (#{number})")
    return keys
