"""Which header-shaped lines start messages: every one is judged with a one-line lookahead.

A header-shaped line whose date or time cannot be read, or (in CRLF files) that follows a
bare LF, is message text. Otherwise, when the dates are trusted, a header far outside the
time span of its neighbours (which agree with each other) is text pasted into a message.
The judge keeps two headers: ``prev``, accepted, whose message is still being built, and
``pending``, waiting for the next header to be judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from dossier.formats.whatsapp import dates as D
from dossier.formats.whatsapp.emit import DAY, TIME, Emitter, Header, absorb
from dossier.formats.whatsapp.grammar import parse_time, signature
from dossier.formats.whatsapp.segments import Segment
from dossier.model import ParseRecord

# A header more than this far outside its neighbours' time span (while they agree with each
# other) is text pasted into a message, not a message. Real and peer-made files shuffle
# timestamps by minutes (WhatsR) and up to ten days (chat-miner test_dateformat2), so only a
# jump of more than a month counts.
OUTLIER_SECONDS = 31 * 86400


class Clock:
    """Date and time texts -> parsed tuples, cached by text (few distinct values per file)."""

    def __init__(self, order: str) -> None:
        self.order = order
        self.days: dict[str, DAY | None] = {}
        self.times: dict[str, TIME | None] = {}
        # The same by the UTF-8 bytes of the text, for the fast path (no decoding on a hit).
        self.raw_days: dict[bytes, DAY | None] = {}
        self.raw_times: dict[bytes, TIME | None] = {}

    def day(self, text: str) -> DAY | None:
        day = D.read_date_any(text, self.order)
        found: DAY | None = None
        if day is not None:
            midnight = datetime(day.year, day.month, day.day)
            found = (day.year, day.month, day.day, day.toordinal() * 86400, midnight)
        self.days[text] = found
        return found

    def time(self, text: str) -> TIME | None:
        try:
            h, mi, s, has_s, flags = parse_time(text)
            secs = h * 3600 + mi * 60 + s
            found: TIME | None = (h, mi, s, secs, has_s, flags, timedelta(seconds=secs))
        except ValueError:
            found = None
        self.times[text] = found
        return found

    def raw_day(self, raw: bytes) -> DAY | None:
        text = raw.decode("utf-8")
        found = self.raw_days[raw] = self.days[text] if text in self.days else self.day(text)
        return found

    def raw_time(self, raw: bytes) -> TIME | None:
        text = raw.decode("utf-8")
        found = self.raw_times[raw] = self.times[text] if text in self.times else self.time(text)
        return found


class Judge:
    def __init__(self, emitter: Emitter, order: str, trust_time: bool) -> None:
        self.emitter = emitter
        self.clock = Clock(order)
        # Time order only rejects header lines when we trust the dates: a guessed order can
        # make a real chat look shuffled (short-chat.txt read day-first).
        self.trust_time = trust_time
        self.prev: Header | None = None  # the last accepted header: the message being built
        self.pending: Header | None = None  # the header waiting for its lookahead
        self.last_text = ""

    def segments(self, batch: Iterable[Segment]) -> Iterator[ParseRecord]:
        """Judge the headers of these segments; yield the messages that become complete.

        The hot loop of the general path: locals only, cached date/time lookups, one list
        per header.
        """
        clock, emitter, trust_time = self.clock, self.emitter, self.trust_time
        days_get, times_get = clock.days.get, clock.times.get
        crlf_mode = emitter.crlf_mode
        message, issues = emitter.message, emitter.issues
        missing = _MISSING
        prev, pending, last_text = self.prev, self.pending, self.last_text
        for m, text, over in batch:
            day = tm = None
            if m is not None:
                date_text, time_text = m.group(3, 7)
                day = days_get(date_text, missing)
                if day is missing:
                    day = clock.day(date_text)
                tm = times_get(time_text, missing)
                if tm is missing:
                    tm = clock.time(time_text)
            if (
                day is None
                or tm is None
                or (crlf_mode and last_text and not last_text.endswith("\r\n"))
            ):
                # Not a header after all: the text continues whatever came before.
                if pending is not None:
                    absorb(pending, text, over)
                else:
                    yield from emitter.preamble(text, over)
                last_text = text if over is None else over.tail
                continue
            last_text = text if over is None else over.tail
            ts = day[3] + tm[3]
            if pending is not None:
                if prev is None:
                    prev = pending
                elif not trust_time or accept(prev[1], pending[1], ts):
                    yield message(prev)
                    if issues:
                        yield from emitter.flush()
                    prev = pending
                else:
                    absorb(prev, pending[4], pending[5])
            pending = [m, ts, day, tm, text, over]
        self.prev, self.pending, self.last_text = prev, pending, last_text

    def finish(self) -> Iterator[ParseRecord]:
        """The last header has no lookahead; then the last message is complete."""
        prev, last = self.prev, self.pending
        emitter = self.emitter
        if last is not None:
            if prev is None or not self.trust_time or _accept_last(prev, last):
                if prev is not None:
                    yield emitter.message(prev)
                prev = last
            else:
                absorb(prev, last[4], last[5])
        if prev is not None:
            yield emitter.message(prev)
        self.prev = self.pending = None
        yield from emitter.flush()


_MISSING: Any = object()


def accept(p: int, h: int, n: int) -> bool:
    """Whether a header at ``h`` seconds is a message, after ``p`` and before ``n``."""
    if p <= h <= n:
        return True
    if p > n + OUTLIER_SECONDS:  # neighbours disagree (merged or shuffled export): trust it
        return True
    return p - OUTLIER_SECONDS <= h <= n + OUTLIER_SECONDS


def _accept_last(prev: Header, last: Header) -> bool:
    """The final header has no lookahead: doubt it only if it is both earlier and different."""
    if last[1] >= prev[1] - OUTLIER_SECONDS:
        return True
    return bool(signature(last[0]) == signature(prev[0]))
