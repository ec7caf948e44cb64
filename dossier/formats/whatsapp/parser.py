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
from datetime import datetime
from typing import Any, BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import dates as D
from dossier.formats.whatsapp.decode import CHUNK_BYTES, blocks, byte_length, detect
from dossier.formats.whatsapp.emit import Emitter, Header
from dossier.formats.whatsapp.grammar import HEADER_RE, parse_time, signature
from dossier.formats.whatsapp.segments import Segment, TextStats, segments
from dossier.model import ParseIssue, ParseRecord, SourceFact

BUFFER_CHARS = 8 * 1024 * 1024
DECIDE_EVERY = 2048
MAX_STAMPS = 200_000
# A header more than this far outside its neighbours' time span (while they agree with each
# other) is text pasted into a message, not a message. Real and peer-made files shuffle
# timestamps by minutes (WhatsR) and up to ten days (chat-miner test_dateformat2), so only a
# jump of more than a month counts.
OUTLIER_SECONDS = 31 * 86400


class _Clock:
    """Date and time texts -> (timestamp seconds, datetime, has_seconds, flags), cached."""

    def __init__(self, order: str) -> None:
        self.order = order
        self.days: dict[str, int | None] = {}
        self.times: dict[str, tuple[int, int, int, int, bool, tuple[str, ...]] | None] = {}
        self.cache: dict[tuple[Any, ...], tuple[int, datetime, bool, tuple[str, ...]] | None] = {}

    def read(self, key: tuple[Any, ...]) -> tuple[int, datetime, bool, tuple[str, ...]] | None:
        date_text, time_text = key
        if date_text not in self.days:
            day = D.read_date_any(date_text, self.order)
            self.days[date_text] = None if day is None else day.toordinal()
        if time_text not in self.times:
            try:
                h, mi, s, has_s, flags = parse_time(time_text)
                self.times[time_text] = (h, mi, s, h * 3600 + mi * 60 + s, has_s, flags)
            except ValueError:
                self.times[time_text] = None
        ordinal, tm = self.days[date_text], self.times[time_text]
        if ordinal is None or tm is None:
            return None
        h, mi, s, secs, has_s, flags = tm
        dt = datetime.fromordinal(ordinal).replace(hour=h, minute=mi, second=s)
        if len(self.cache) > 500_000:
            self.cache.clear()
        info = (ordinal * 86400 + secs, dt, has_s, flags)
        self.cache[key] = info
        return info


def parse(stream: BinaryIO, filename: str, options: ParseOptions) -> Iterator[ParseRecord]:
    head = stream.read(CHUNK_BYTES)
    enc = detect(head)
    yield SourceFact("encoding", enc.name)
    byte_len = byte_length(enc)
    stats = TextStats()
    segs = segments(blocks(stream, enc, head), stats, byte_len)
    buffered: list[Segment] = []
    decision = None
    for decision_or_issue in _decide(segs, buffered, stream, options):
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
    segs: Iterator[Segment], buffered: list[Segment], stream: BinaryIO, options: ParseOptions
) -> Iterator[D.Decision | ParseIssue]:
    """Fill ``buffered`` until the date order is known; yield the decision (once)."""
    dates: set[str] = set()
    stamps: list[tuple[str, str]] = []
    size = 0
    for seg in segs:
        buffered.append(seg)
        size += len(seg.text)
        m = seg.match
        if m is None:
            continue
        date_text = m.group("date")
        dates.add(date_text)
        if len(stamps) < MAX_STAMPS:
            stamps.append((date_text, m.group("tm")))
        if len(buffered) % DECIDE_EVERY == 0:
            order = D.decide_by_values(dates)
            if order is not None:
                yield D.Decision(order, "file", "")
                return
        if size > BUFFER_CHARS:
            issue = _prescan(stream, dates)
            if issue is not None:
                yield issue
            break
    if dates:
        yield D.decide(dates, _seconds(stamps), options.date_order)


def _prescan(stream: BinaryIO, dates: set[str]) -> ParseIssue | None:
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
        raw = stream.read(CHUNK_BYTES)
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


def _reported_order(buffered: list[Segment], order: str) -> str:
    """The order as the file writes it (a 4-digit year in front makes "mdy" read "ymd")."""
    for seg in buffered:
        if seg.match is not None:
            fields = re.findall("[0-9]+", seg.match.group("date"))
            return D.adjusted(order, fields)
    return order


def _crlf_mode(buffered: list[Segment]) -> bool:
    """True when messages end with CRLF: then a header after a bare LF is message text."""
    crlf = lf = 0
    prev = ""
    for seg in buffered:
        if seg.match is not None and prev:
            if prev.endswith("\r\n"):
                crlf += 1
            elif prev.endswith("\n"):
                lf += 1
        prev = seg.text if seg.overflow is None else seg.overflow.tail
    return crlf > lf


def _judge(
    segs: Iterator[Segment], emitter: Emitter, order: str, trust_time: bool
) -> Iterator[ParseRecord]:
    """Decide which header-shaped lines start messages; hand messages to the emitter."""
    clock = _Clock(order)
    cache_get = clock.cache.get
    crlf_mode = emitter.crlf_mode
    prev: Header | None = None  # the last accepted header: the message being built
    pending: Header | None = None  # the header-shaped line waiting for its lookahead
    last_text = ""
    for seg in segs:
        m = seg.match
        info = None
        if m is not None:
            key = m.group("date", "tm")
            info = cache_get(key) or clock.read(key)
        if info is None or (crlf_mode and last_text and not last_text.endswith("\r\n")):
            # Not a header after all: the text continues whatever came before.
            if pending is not None:
                pending.add(seg)
            else:
                yield from emitter.preamble(seg)
            last_text = seg.text if seg.overflow is None else seg.overflow.tail
            continue
        last_text = seg.text if seg.overflow is None else seg.overflow.tail
        if pending is not None:
            if prev is None or not trust_time or _accept(prev.ts, pending.ts, info[0]):
                if prev is not None:
                    yield from emitter.message(prev)
                prev = pending
            else:
                prev.absorb(pending)
        pending = Header(seg, info)
    if pending is not None:
        if prev is None or not trust_time or _accept_last(prev, pending):
            if prev is not None:
                yield from emitter.message(prev)
            prev = pending
        else:
            prev.absorb(pending)
    if prev is not None:
        yield from emitter.message(prev)


def _accept(p: int, h: int, n: int) -> bool:
    if p <= h <= n:
        return True
    if p > n + OUTLIER_SECONDS:  # neighbours disagree (merged or shuffled export): trust it
        return True
    return p - OUTLIER_SECONDS <= h <= n + OUTLIER_SECONDS


def _accept_last(prev: Header, last: Header) -> bool:
    """The final header has no lookahead: doubt it only if it is both earlier and different."""
    if last.ts >= prev.ts - OUTLIER_SECONDS:
        return True
    return signature(last.match) == signature(prev.match)
