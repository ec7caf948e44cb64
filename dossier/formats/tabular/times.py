"""A table's time cells to instants: ISO 8601, epoch counts, Apple's clock, or a pattern.

A time that states its offset (``2024-03-14T09:00:00+01:00``, an epoch count, a row's
``utc_offset``) is an exact instant. One that does not is wall-clock time in the mapping's
``time_zone``, or in the case's zone when the mapping names none (the ingest applies it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dossier.timeutil import LocalToUtc, zone

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
# format -> (origin, units per second)
_COUNTS = {
    "epoch": (_EPOCH, 1),
    "epoch_ms": (_EPOCH, 1000),
    "epoch_us": (_EPOCH, 1_000_000),
    "apple": (_APPLE_EPOCH, 1),
    "apple_ns": (_APPLE_EPOCH, 1_000_000_000),
}
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
# A zone in brackets after the time, as phone extraction reports write it: "(UTC+1)".
_ZONE_SUFFIX = re.compile(r"\s*\((?:UTC|GMT)\s*([+-]\d{1,2}(?::?\d{2})?)?\)$", re.IGNORECASE)
_ISO_SECONDS = re.compile(r"[T ]\d{1,2}:\d{2}:\d{2}")
# Patterns tried on a time that does not fit the mapping, to suggest a time_format.
COMMON_PATTERNS = (
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p",
    "%d %b %Y %H:%M:%S",
)


class BadTime(ValueError):
    """A time cell that does not fit the time format; the row becomes an issue."""

    def __init__(self, message: str, cell: str = "") -> None:
        super().__init__(message)
        self.cell = cell  # the time as written, "" when the row has none


@dataclass(frozen=True, slots=True)
class ReadTime:
    local: datetime  # naive wall-clock time as written (UTC wall time for bare counts)
    utc: datetime | None  # the exact instant, when the cell or the mapping fixes it
    has_seconds: bool
    flags: tuple[str, ...] = ()


class TimeReader:
    def __init__(self, time_format: str, time_zone: str | None) -> None:
        self.format = time_format
        self.fixed_zone: timezone | None = None
        self.zone: LocalToUtc | None = None
        self.zone_info: ZoneInfo | None = None
        if time_zone:
            self.fixed_zone = parse_offset(time_zone)
            if self.fixed_zone is None:
                self.zone_info = zone(time_zone)
                self.zone = LocalToUtc(time_zone)
        self.pattern_seconds = "%S" in time_format or "%c" in time_format or "%X" in time_format

    def read(self, cell: object, offset_cell: str | None = None) -> ReadTime:
        if isinstance(cell, bool) or cell is None or cell == "":
            raise BadTime("no time in this row")
        if self.format in _COUNTS:
            return self._count(cell)
        text = str(cell).strip()
        suffix = _ZONE_SUFFIX.search(text) if "(" not in self.format else None
        if suffix:  # "14/06/2024 09:00:00(UTC+1)", as extraction reports write times
            text = text[: suffix.start()]
            offset_cell = offset_cell or suffix.group(1) or "UTC"
        if self.format == "iso":
            stamp = _iso(text)
            seconds = bool(_ISO_SECONDS.search(text))
        else:
            try:
                stamp = datetime.strptime(text, self.format)
            except ValueError:
                raise BadTime(
                    f"{text!r} does not fit the time format {self.format}", text
                ) from None
            seconds = self.pattern_seconds
        return self._place(stamp, seconds, offset_cell)

    def _count(self, cell: object) -> ReadTime:
        origin, per_second = _COUNTS[self.format]
        try:
            number = cell if isinstance(cell, int | float) else float(str(cell).strip())
        except (TypeError, ValueError):
            raise BadTime(f"{cell!r} is not a number ({self.format})", str(cell)) from None
        try:
            utc = origin + timedelta(seconds=number / per_second)
        except (OverflowError, ValueError):
            raise BadTime(f"{cell!r} is out of range for {self.format}", str(cell)) from None
        local = utc.astimezone(self.fixed_zone or self.zone_info or UTC)
        return ReadTime(local.replace(tzinfo=None), utc, True)

    def _place(self, stamp: datetime, seconds: bool, offset_cell: str | None) -> ReadTime:
        """A read time with its instant, when its offset or the mapping's zone fixes it."""
        if stamp.tzinfo is not None:
            return ReadTime(stamp.replace(tzinfo=None), stamp.astimezone(UTC), seconds)
        if offset_cell:
            offset = parse_offset(offset_cell)
            if offset is None:
                raise BadTime(f"{offset_cell!r} is not a UTC offset such as +02:00")
            return ReadTime(stamp, stamp.replace(tzinfo=offset).astimezone(UTC), seconds)
        if self.fixed_zone is not None:
            return ReadTime(stamp, stamp.replace(tzinfo=self.fixed_zone).astimezone(UTC), seconds)
        if self.zone is not None:
            epoch, flag = self.zone.convert(stamp)
            utc = datetime.fromtimestamp(epoch, UTC)
            return ReadTime(stamp, utc, seconds, (flag,) if flag else ())
        return ReadTime(stamp, None, seconds)  # the case's zone applies


def _iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise BadTime(f"{text!r} is not an ISO 8601 time", text) from None


def parse_offset(text: str) -> timezone | None:
    """``+02:00``, ``+0200``, ``-5``, ``UTC+1``, ``Z``, ``UTC`` -> a fixed zone; else None."""
    text = text.strip()
    if text.upper() in ("Z", "UTC", "GMT", "+00:00"):
        return UTC
    match = _OFFSET.match(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=18):
        return None
    return timezone(-delta if sign == "-" else delta)


def suggest_formats(samples: list[str]) -> list[str]:
    """The common patterns every sample fits, to name in an error."""
    fits = []
    for pattern in COMMON_PATTERNS:
        try:
            for sample in samples:
                datetime.strptime(_ZONE_SUFFIX.sub("", sample.strip()), pattern)
        except ValueError:
            continue
        fits.append(pattern)
    return fits
