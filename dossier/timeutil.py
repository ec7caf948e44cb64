"""Wall-clock times from exports to UTC, with daylight-saving changes made visible.

Chat exports carry no offset. The zone comes from the case or the ingest option. A local time
that happens twice (clocks go back) or never (clocks go forward) is flagged, not silently
guessed: the first occurrence is taken for a repeated hour and the time is shifted forward by
the gap for a missing one, and the flag says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dossier.errors import DossierError

AMBIGUOUS = "dst-ambiguous"  # the local time happened twice; the earlier one was taken
NONEXISTENT = "dst-nonexistent"  # the local time never happened; shifted forward by the gap

_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``, or an error that says how to find a valid name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(z for z in available_timezones() if name.lower() in z.lower())[:5]
        hint = "use an IANA zone name such as Europe/London or America/New_York"
        if close:
            hint += f" (did you mean {', '.join(close)}?)"
        raise DossierError(f"Unknown time zone {name!r}.", hint) from None


class LocalToUtc:
    """Converts naive local times in one zone to UTC epoch seconds, fast.

    The UTC offset is looked up once per local day and cached, so millions of messages cost a
    dictionary lookup each. On a day when the clocks change, it is looked up per hour, and in
    the hour of the change every time exactly.
    """

    def __init__(self, tz_name: str) -> None:
        self.tz_name = tz_name
        self._zone = zone(tz_name)
        self._day_cache: dict[int, tuple[int, str]] = {}
        self._hour_cache: dict[int, tuple[int, str]] = {}
        # Neighbouring messages usually share their timestamp object (one per header text).
        self._last: datetime | None = None
        self._last_result: tuple[int, str] = (0, "")

    def convert(self, local: datetime) -> tuple[int, str]:
        """(UTC epoch seconds, flag) where flag is "" or AMBIGUOUS or NONEXISTENT."""
        if local is self._last:
            return self._last_result
        naive_seconds = (local - _EPOCH) // _SECOND
        day = naive_seconds // 86400
        cached = self._day_cache.get(day)
        if cached is None:
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            cached = self._day_cache[day] = self._steady_offset(start, 86399)
        if cached[1]:  # the clocks change that day: look at the hour
            hour = naive_seconds // 3600
            cached = self._hour_cache.get(hour)
            if cached is None:
                start = local.replace(minute=0, second=0, microsecond=0)
                cached = self._hour_cache[hour] = self._steady_offset(start, 3599)
        offset, flag = cached
        result = self._exact(local) if flag else (naive_seconds - offset, "")
        self._last, self._last_result = local, result
        return result

    def _steady_offset(self, start: datetime, span: int) -> tuple[int, str]:
        """The offset valid from ``start`` for ``span`` seconds, or a flag meaning 'not one
        offset: look closer'."""
        first = self._exact(start)
        last = self._exact(start + timedelta(seconds=span))
        start_naive = (start - _EPOCH) // _SECOND
        offset_first = start_naive - first[0]
        offset_last = start_naive + span - last[0]
        if first[1] or last[1] or offset_first != offset_last:
            return 0, "check"
        return offset_first, ""

    def _exact(self, local: datetime) -> tuple[int, str]:
        earlier = local.replace(tzinfo=self._zone, fold=0)
        later = local.replace(tzinfo=self._zone, fold=1)
        off_earlier = earlier.utcoffset()
        off_later = later.utcoffset()
        utc = earlier.astimezone(UTC)
        epoch = int(utc.timestamp())
        if off_earlier == off_later:
            return epoch, ""
        # Offsets differ: either the time is repeated (fold matters) or it does not exist.
        round_trip = utc.astimezone(self._zone).replace(tzinfo=None)
        if round_trip == local:
            return epoch, AMBIGUOUS
        # Non-existent: Python maps fold=0 using the offset before the gap, which lands the
        # instant after the gap, i.e. the clock time shifted forward by the gap.
        return epoch, NONEXISTENT


def iso_utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def tzinfo_for(name: str) -> tzinfo:
    """A zone name (Europe/London), or a fixed offset as emails state it (+02:00, -0500)."""
    sign = name[:1]
    if sign in "+-" and name[1:].replace(":", "").isdigit():
        digits = name[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        return timezone(delta if sign == "+" else -delta)
    return ZoneInfo(name)


def iso_local(epoch: int, tz_name: str) -> str:
    """ISO 8601 with the zone's offset at that instant, e.g. 2024-03-31T02:30:00+02:00."""
    return datetime.fromtimestamp(epoch, tzinfo_for(tz_name)).isoformat()


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
