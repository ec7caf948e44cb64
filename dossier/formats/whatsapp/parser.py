"""The streaming WhatsApp parser: segments -> decided headers -> message records.

Phases:
1. Buffer segments until the date order is decided by the values (usually in the first few
   hundred lines). If the buffer grows past ``BUFFER_CHARS`` the rest of the stream is
   pre-scanned for dates (seek, scan, seek back) so memory stays bounded.
2. Judge every header-shaped line with a one-line lookahead (``accept``) and emit the message
   that the previous accepted header started.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import dates as D
from dossier.formats.whatsapp import decode
from dossier.formats.whatsapp.decode import blocks, byte_length, detect
from dossier.formats.whatsapp.emit import DAY, TIME, Emitter, Header, absorb
from dossier.formats.whatsapp.grammar import HEADER_RE, parse_time, signature
from dossier.formats.whatsapp.segments import Segment, TextStats, batches
from dossier.model import ParseIssue, ParseRecord, SourceFact

BUFFER_CHARS = 8 * 1024 * 1024
DECIDE_AFTER = 256  # headers seen before the values may decide (a block holds thousands)
MAX_STAMPS = 200_000
# A header more than this far outside its neighbours' time span (while they agree with each
# other) is text pasted into a message, not a message. Real and peer-made files shuffle
# timestamps by minutes (WhatsR) and up to ten days (chat-miner test_dateformat2), so only a
# jump of more than a month counts.
OUTLIER_SECONDS = 31 * 86400


class _Clock:
    """Date and time texts -> parsed tuples, cached by text (few distinct values per file)."""

    def __init__(self, order: str) -> None:
        self.order = order
        self.days: dict[str, DAY | None] = {}
        self.times: dict[str, TIME | None] = {}

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


def parse(stream: BinaryIO, filename: str, options: ParseOptions) -> Iterator[ParseRecord]:
    head = stream.read(decode.CHUNK_BYTES)
    enc = detect(head)
    yield SourceFact("encoding", enc.name)
    byte_len = byte_length(enc)
    stats = TextStats()
    segs = batches(blocks(stream, enc, head), stats, byte_len)
    buffered: list[list[Segment]] = []
    decision = None
    for decision_or_issue in _decide(segs, buffered, stream, options, enc.codec):
        if isinstance(decision_or_issue, D.Decision):
            decision = decision_or_issue
        else:
            yield decision_or_issue
    emitter = Emitter(filename, options, enc.bom_bytes, byte_len, enc.unit, stats)
    if decision is not None:
        yield SourceFact("date_order", _reported_order(buffered, decision.order))
        yield SourceFact("date_order_basis", decision.basis)
        if decision.basis == "guess" or decision.reason:
            yield ParseIssue(reason=decision.reason, raw="", severity="warning")
        emitter.crlf_mode = _crlf_mode(buffered)
        emitter.order = decision.order
    order = D.ORDERS[0] if decision is None else decision.order
    # Time order only rejects header lines when we trust the dates: a guessed order can make
    # a real chat look shuffled (short-chat.txt read day-first).
    trust_time = decision is not None and decision.basis != "guess"
    yield from _judge(itertools.chain(buffered, segs), emitter, order, trust_time)
    buffered.clear()
    yield from emitter.finish()


def _decide(
    segs: Iterator[list[Segment]],
    buffered: list[list[Segment]],
    stream: BinaryIO,
    options: ParseOptions,
    codec: str,
) -> Iterator[D.Decision | ParseIssue]:
    """Fill ``buffered`` until the date order is known; yield the decision (once)."""
    dates: set[str] = set()
    stamps: list[tuple[str, str]] = []
    size = 0
    complete = True
    for batch in segs:
        buffered.append(batch)
        for m, text, _ in batch:
            size += len(text)
            if m is None:
                continue
            dates.add(m.group("date"))
            if len(stamps) < MAX_STAMPS:
                stamps.append((m.group("date"), m.group("tm")))
        if len(dates) > 0 and len(stamps) >= DECIDE_AFTER:
            order = D.decide_by_values(dates)
            if order is not None:
                yield D.Decision(order, "file", "")
                return
        if size > BUFFER_CHARS:
            issue = _prescan(stream, dates, codec)
            if issue is not None:
                complete = False
                yield issue
            break
    if dates:
        yield D.decide(dates, _seconds(stamps), options.date_order, complete)


def _prescan(stream: BinaryIO, dates: set[str], codec: str) -> ParseIssue | None:
    """Collect the dates of the rest of the stream, then return to where we were."""
    if not stream.seekable():
        return ParseIssue(
            reason="date order undecided after 8 MB and the input cannot be re-read; "
            "decided from the first part only",
            raw="",
            severity="warning",
        )
    where = stream.tell()
    while True:
        raw = stream.read(decode.CHUNK_BYTES)
        if not raw:
            break
        # A fresh decoder may mangle one character at chunk edges: harmless for dates.
        text = raw.decode("utf-8", "replace")
        dates.update(m.group("date") for m in HEADER_RE.finditer(text))
        if D.decide_by_values(dates) is not None:
            break
    stream.seek(where)
    return None


def _seconds(stamps: list[tuple[str, str]]) -> list[tuple[str, int]]:
    out = []
    for date_text, time_text in stamps:
        try:
            h, mi, s, _, _ = parse_time(time_text)
        except ValueError:
            continue
        out.append((date_text, h * 3600 + mi * 60 + s))
    return out


def _reported_order(buffered: list[list[Segment]], order: str) -> str:
    """The order as the file writes it (a 4-digit year in front makes "mdy" read "ymd")."""
    for m, _, _ in itertools.chain.from_iterable(buffered):
        if m is not None:
            return D.adjusted(order, re.findall("[0-9]+", m.group("date")))
    return order


def _crlf_mode(buffered: list[list[Segment]]) -> bool:
    """True when messages end with CRLF: then a header after a bare LF is message text."""
    crlf = lf = 0
    prev = ""
    for m, text, over in itertools.chain.from_iterable(buffered):
        if m is not None and prev:
            if prev.endswith("\r\n"):
                crlf += 1
            elif prev.endswith("\n"):
                lf += 1
        prev = text if over is None else over.tail
    return crlf > lf


def _judge(
    segs: Iterator[list[Segment]], emitter: Emitter, order: str, trust_time: bool
) -> Iterator[ParseRecord]:
    """Decide which header-shaped lines start messages; hand messages to the emitter.

    The hot loop of the parser: locals only, cached date/time lookups, one list per header.
    """
    clock = _Clock(order)
    days_get, times_get = clock.days.get, clock.times.get
    crlf_mode = emitter.crlf_mode
    message, issues = emitter.message, emitter.issues
    missing = _MISSING
    prev: Header | None = None  # the last accepted header: the message being built
    pending: Header | None = None  # the header-shaped line waiting for its lookahead
    last_text = ""
    for batch in segs:
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
                elif not trust_time or _accept(prev[1], pending[1], ts):
                    yield message(prev)
                    if issues:
                        yield from emitter.flush()
                    prev = pending
                else:
                    absorb(prev, pending[4], pending[5])
            pending = [m, ts, day, tm, text, over]
    if pending is not None:
        if prev is None or not trust_time or _accept_last(prev, pending):
            if prev is not None:
                yield message(prev)
            prev = pending
        else:
            absorb(prev, pending[4], pending[5])
    if prev is not None:
        yield message(prev)
    yield from emitter.flush()


_MISSING: Any = object()


def _accept(p: int, h: int, n: int) -> bool:
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
