"""JSON Lines exports: one JSON object per line (message exporters, scripted extractions).

A mapping names JSON keys; nested objects are reached with dotted paths (``handle.id``), and
a path through a list gathers from every item (``attachments.filename``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import PurePath
from typing import BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.tabular.emit import Emitter
from dossier.formats.tabular.lines import Line, choose_encoding, read_lines
from dossier.formats.tabular.mapping import REQUIRED, Mapping, MappingError
from dossier.formats.tabular.rows import Lookup, Place
from dossier.model import ParseRecord, SourceFact

CHECKED_LINES = 50  # objects looked at to check a mapping before ingest


def parse_jsonl(stream: BinaryIO, filename: str, options: ParseOptions) -> Iterator[ParseRecord]:
    mapping = Mapping.from_settings(options.settings, "jsonl")
    lines, encoding = _lines(stream, mapping)
    yield SourceFact("encoding", encoding)
    yield SourceFact("mapping", mapping.as_text())
    emitter = Emitter(mapping, options.conversation or PurePath(filename).stem)
    for line in lines:
        if not line.text.strip():
            continue  # blank lines are layout
        place, text = _object_place(line, encoding)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield emitter.issue(f"not valid JSON ({exc})", line.text, place)
            continue
        if not isinstance(value, dict):
            yield emitter.issue("a JSON line that is not an object", line.text, place)
            continue
        yield emitter.row(_lookup(value), place, text, line.text)
    emitter.finish()


def check_jsonl(stream: BinaryIO, settings: dict[str, str]) -> None:
    """Check that the required fields the mapping names are keys of at least one of the first
    objects (else a MappingError listing the keys they have)."""
    mapping = Mapping.from_settings(settings, "jsonl")
    lines, _ = _lines(stream, mapping)
    objects: list[dict[str, object]] = []
    for line in lines:
        if len(objects) >= CHECKED_LINES:
            break
        try:
            value = json.loads(line.text)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            objects.append(value)
    keys = sorted({path for obj in objects for path in _paths(obj)})
    for field in (*REQUIRED, "sender"):
        path = mapping.columns.get(field)
        if path and objects and all(_lookup(obj)(path) is None for obj in objects):
            raise MappingError(
                f"No object among the file's first {len(objects)} has the key {path!r} "
                f"(given for the {field}). Its keys are: {', '.join(keys)}.",
                "use one of these keys (dotted for nested objects) in the mapping",
            )


def _lines(stream: BinaryIO, mapping: Mapping) -> tuple[Iterator[Line], str]:
    head = stream.read(4)
    encoding, bom = choose_encoding(head, mapping.encoding)
    return read_lines(stream, encoding, head[bom:], bom), encoding


def _object_place(line: Line, encoding: str) -> tuple[Place, str]:
    """Where the object itself sits: the line without the spaces around it."""
    text = line.text.strip()
    lead = line.text[: len(line.text) - len(line.text.lstrip())]
    start = line.byte_start + len(lead.encode(encoding, errors="replace"))
    end = start + len(text.encode(encoding, errors="replace"))
    return Place(line.number, line.number, start, end), text


def _lookup(obj: dict[str, object]) -> Lookup:
    def find(path: str) -> object:
        if path in obj:
            return obj[path]
        found = _walk(obj, path.split("."))
        return None if found == [] else found

    return find


def _walk(value: object, parts: list[str]) -> object:
    for i, part in enumerate(parts):
        if isinstance(value, list):
            if part.isdigit():
                value = value[int(part)] if int(part) < len(value) else None
                continue
            gathered = [_walk(item, parts[i:]) for item in value]
            return [g for g in gathered if g is not None]
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _paths(obj: dict[str, object], prefix: str = "") -> Iterator[str]:
    """Every key path in an object, for listing what a file holds."""
    for key, value in obj.items():
        path = prefix + key
        yield path
        if isinstance(value, dict):
            yield from _paths(value, path + ".")
