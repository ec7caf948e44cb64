"""Rows to records: a message, or an issue carrying the row as written and why.

A time format that fits no row is the mapping's fault, not the rows': when the first few
times all fail, reading stops with an error that shows a time and suggests formats that fit it.
"""

from __future__ import annotations

from dossier.formats.tabular.mapping import Mapping, MappingError
from dossier.formats.tabular.rows import Lookup, Place, RowReader
from dossier.formats.tabular.times import BadTime, suggest_formats
from dossier.model import MessageRecord, ParseIssue

# This many times in a row failing, before any time was read, means the format is wrong.
WRONG_FORMAT_AFTER = 5


class Emitter:
    def __init__(self, mapping: Mapping, default_title: str) -> None:
        self.mapping = mapping
        self.reader = RowReader(mapping, default_title)
        self._failed_times: list[str] = []
        self._read_a_time = False

    def row(
        self, lookup: Lookup, place: Place, structure: str, raw: str
    ) -> MessageRecord | ParseIssue:
        try:
            record = self.reader.message(lookup, place, structure)
        except BadTime as exc:
            self._time_failed(exc)
            return self.issue(f"the time cannot be read: {exc}", raw, place)
        self._read_a_time = True
        return record

    def issue(self, reason: str, raw: str, place: Place) -> ParseIssue:
        return ParseIssue(
            reason=reason,
            raw=raw,
            line_start=place.line_start,
            line_end=place.line_end,
            byte_start=place.byte_start,
        )

    def finish(self) -> None:
        """At the end of the file: no time read at all is a wrong format too."""
        if self._failed_times and not self._read_a_time:
            self._wrong_format()

    def _time_failed(self, exc: BadTime) -> None:
        if self._read_a_time or not exc.cell:
            return
        self._failed_times.append(exc.cell)
        if len(self._failed_times) >= WRONG_FORMAT_AFTER:
            self._wrong_format()

    def _wrong_format(self) -> None:
        samples = self._failed_times
        column = self.mapping.columns.get("time", "time")
        fits = suggest_formats(samples)
        if fits:
            hint = "give --map time_format=" + " or ".join(repr(f) for f in fits[:3])
        else:
            hint = (
                "give --map time_format=PATTERN that fits them (%d/%m/%Y %H:%M:%S, epoch, "
                "epoch_ms ...; see docs/tabular.md)"
            )
        raise MappingError(
            f"The times in {column!r} do not fit the time format {self.mapping.time_format!r} "
            f"(e.g. {samples[0]!r}).",
            hint,
        )
