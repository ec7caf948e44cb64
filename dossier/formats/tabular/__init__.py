"""Generic tables: CSV and JSON Lines exports, read by a column mapping the user gives.

A CSV could hold anything, so these formats are never chosen from content alone: they read a
file when the user names them (``--format csv`` / ``--format jsonl``) with a mapping. Their
recognisers answer a low score, enough to accept a forced file, never enough to claim one.

Public API: ``CSV``, ``JSONL`` (``dossier.formats.base.MessageFormat`` objects), ``check_file``
(a mapping checked against a file before anything is written), ``MappingError``,
``read_mapping_file`` and ``settings_from_pairs``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from dossier.formats.base import ParseOptions, few_collections
from dossier.formats.tabular.csvformat import check_csv, parse_csv
from dossier.formats.tabular.jsonl import check_jsonl, parse_jsonl
from dossier.formats.tabular.mapping import (
    FIXED,
    Mapping,
    MappingError,
    read_mapping_file,
    settings_from_pairs,
)
from dossier.model import ParseRecord

__all__ = [
    "CSV",
    "FIXED",
    "JSONL",
    "TABLE_FORMATS",
    "Mapping",
    "MappingError",
    "TableFormat",
    "check_file",
    "read_mapping_file",
    "settings_from_pairs",
]

# Below the registry's threshold: a table is read only when the user asks for it.
_FORCED_ONLY = 0.1
PLATFORM = "tabular"  # one platform for both: the same account ids whichever file they are in

Parser = Callable[[BinaryIO, str, ParseOptions], Iterator[ParseRecord]]
Checker = Callable[[BinaryIO, dict[str, str]], list[str]]


class TableFormat:
    platform = PLATFORM
    companion_names: frozenset[str] = frozenset()

    def __init__(self, name: str, parser: Parser, checker: Checker) -> None:
        self.name = name
        self._parser = parser
        self.check = checker

    def sniff(self, head: bytes, filename: str) -> float:
        if not head:
            return 0.0
        text_like = b"\x00" not in head[:4096] or head.startswith((b"\xff\xfe", b"\xfe\xff"))
        return _FORCED_ONLY if text_like else 0.0

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        return few_collections(self._parser(stream, filename, options))


CSV = TableFormat("csv", parse_csv, check_csv)
JSONL = TableFormat("jsonl", parse_jsonl, check_jsonl)
TABLE_FORMATS = {CSV.name: CSV, JSONL.name: JSONL}


def check_file(format_name: str, stream: BinaryIO, settings: dict[str, str]) -> list[str]:
    """Check a mapping against a file's columns (CSV) or keys (JSONL) before ingest; returns
    them. Raises ``MappingError`` with what the file has when the mapping does not fit."""
    return TABLE_FORMATS[format_name].check(stream, settings)
