"""Generic tables: CSV and JSON Lines exports, read by a column mapping the user gives.

A CSV could hold anything, so these formats are never chosen from content alone: they read a
file when the user names them (``--format csv`` / ``--format jsonl``) with a mapping. Their
recognisers answer a low score, enough to accept a forced file, never enough to claim one.

Public API: ``CSV``, ``JSONL`` (``dossier.formats.base.MessageFormat`` objects), ``check_file``
(a mapping checked against a file before anything is written), ``MappingError``,
``read_mapping_file`` and ``settings_from_pairs``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from dossier.formats.base import ParseOptions, few_collections
from dossier.formats.tabular.csvformat import parse_csv
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
# Bytes no text file holds (NUL and the other C0 controls but tab, LF, FF and CR).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")
# Files beside a table that are its media, never tables themselves.
_MEDIA_EXTENSIONS = frozenset(
    (  # noqa: SIM905
        "jpg jpeg png gif heic heif webp bmp tif tiff mp4 mov m4v 3gp avi mkv webm opus ogg oga "
        "m4a mp3 aac amr wav caf pdf doc docx xls xlsx ppt pptx vcf zip"
    ).split()
)
PLATFORM = "tabular"  # one platform for both: the same account ids whichever file they are in

Parser = Callable[[BinaryIO, str, ParseOptions], Iterator[ParseRecord]]
Checker = Callable[[BinaryIO, dict[str, str]], None]
# Records read to check a mapping before ingest: enough to meet a wrong time format.
CHECKED_RECORDS = 50


class TableFormat:
    platform = PLATFORM
    companion_names: frozenset[str] = frozenset()

    def __init__(self, name: str, parser: Parser, checker: Checker | None = None) -> None:
        self.name = name
        self._parser = parser
        self._checker = checker

    def sniff(self, head: bytes, filename: str) -> float:
        """Any text file, so that a forced format reads it; media beside it stay files."""
        if not head or filename.rsplit(".", 1)[-1].lower() in _MEDIA_EXTENSIONS:
            return 0.0
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text: NULs are expected
            return _FORCED_ONLY
        return 0.0 if _CONTROL_BYTES.search(head[:4096]) else _FORCED_ONLY

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        return few_collections(self._parser(stream, filename, options))

    def check(self, stream: BinaryIO, settings: dict[str, str]) -> None:
        """Check a mapping against a file before anything is stored: its columns (CSV) or keys
        (JSONL), and that its first times fit the time format. Raises ``MappingError`` saying
        what the file has when the mapping does not fit. ``stream`` must be seekable."""
        if self._checker is not None:
            self._checker(stream, settings)
            stream.seek(0)
        records = self.parse(stream, "", ParseOptions(settings=settings))
        for _ in itertools.islice(records, CHECKED_RECORDS):
            pass


CSV = TableFormat("csv", parse_csv)
JSONL = TableFormat("jsonl", parse_jsonl, check_jsonl)
TABLE_FORMATS = {CSV.name: CSV, JSONL.name: JSONL}


def check_file(format_name: str, stream: BinaryIO, settings: dict[str, str]) -> None:
    """Check a mapping against a file before ingest (see ``TableFormat.check``)."""
    TABLE_FORMATS[format_name].check(stream, settings)
