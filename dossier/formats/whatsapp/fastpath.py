"""The UTF-8 fast path: message records straight from a raw byte batch.

It takes the headers of a batch, from the first, for as long as the general path would
accept each of them without doubt: its date and time read and time never runs backwards
(when time is trusted), and in a CRLF file it follows a CRLF; nothing is over the size cap.
Then each segment is one message, its byte offsets are positions in the batch, and only the
header text, the author and the body are decoded (strictly: that is the UTF-8 check).

Where it stops (a header it cannot take, or a message that is not UTF-8) it hands the
parser's state over as the general path would leave it there, and returns the rest of the
batch for the general path. The records are the same either way
(tests/test_whatsapp_fastpath.py compares them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from datetime import datetime
from typing import Any

from dossier.formats.whatsapp import classify as C
from dossier.formats.whatsapp import segments
from dossier.formats.whatsapp.emit import DAY, TIME, Emitter, Header
from dossier.formats.whatsapp.grammar import HEADER_RE
from dossier.formats.whatsapp.judge import Judge
from dossier.formats.whatsapp.rawscan import RawBatch
from dossier.formats.whatsapp.segments import Cutter, TextStats
from dossier.model import MessageRecord, ParseRecord

_new: Callable[..., Any] = tuple.__new__
_MISSING: Any = object()
_FEFF = "\ufeff".encode()
# A header's (seconds, header text, local time, has_seconds, time flags, DAY, TIME).
Stamp = tuple[int, str, datetime, bool, tuple[str, ...], DAY, TIME]
# Records, then the rest of the batch for the general path (None: nothing is left).
Records = Generator[ParseRecord, None, RawBatch | None]


def fast_records(judge: Judge, cutter: Cutter, raw: RawBatch) -> Records | None:
    """The records of this batch, or None when the general path must take all of it."""
    prev, pending, emitter, ms = judge.prev, judge.pending, judge.emitter, raw.matches
    if (
        prev is None
        or pending is None
        or prev[5] is not None
        or pending[5] is not None
        or (judge.trust_time and pending[1] < prev[1])
        or len(ms) < 2
        or not raw.complete
        or ms[0].start(1) != raw.lo
        or cutter.open is not None
        or emitter.first
        or (emitter.crlf_mode and not judge.last_text.endswith("\r\n"))
        or raw.hi - raw.lo > segments.MAX_MESSAGE_CHARS
    ):
        return None
    if emitter.crlf_mode:
        ms = ms[: _after_crlf(raw)]
    stamps = _stamps(judge, ms, pending[1])
    if len(stamps) < 2:
        return None
    return _records(judge, raw, stamps, prev, pending)


def _records(
    judge: Judge, raw: RawBatch, stamps: list[Stamp], prev: Header, pending: Header
) -> Records:
    """Hand records on one by one: a batch-long list would outlive many GC passes."""
    emitter = judge.emitter
    line = emitter.line + prev[4].count("\n") + pending[4].count("\n")
    yield from _emit(emitter, prev)
    yield from _emit(emitter, pending)
    k, line = yield from _messages(emitter, raw, stamps, line)
    return _hand_over(judge, raw, stamps, k, line)


def _emit(emitter: Emitter, h: Header) -> Generator[ParseRecord, None, None]:
    yield emitter.message(h)
    if emitter.issues:
        yield from emitter.flush()


def _after_crlf(raw: RawBatch) -> int:
    """How many headers from the first follow a CRLF: in a CRLF file (the iOS rule), a header
    after a bare LF is message text, so the fast path stops there."""
    buf = raw.buf
    for i, m in enumerate(raw.matches):
        if i and buf[m.start() - 1] != 0x0D:  # m.start() is the "\n" before the header
            return i
    return len(raw.matches)


def _stamps(judge: Judge, ms: list[re.Match[bytes]], last: int) -> list[Stamp]:
    """The stamps of the headers up to the first one the fast path cannot take.

    That is a header whose date or time does not read or, when time is trusted, one earlier
    than the header before it (``last``: the seconds of the judge's pending header).
    """
    clock, trust_time = judge.clock, judge.trust_time
    days_get, times_get = clock.raw_days.get, clock.raw_times.get
    out: list[Stamp] = []
    hb_before = b""
    stamp: Stamp | None = None
    for m in ms:
        hb = m.group(1)
        if hb != hb_before:  # neighbours often share a minute: then the stamp is the same
            db, tb = m.group(3, 7)
            day = days_get(db, _MISSING)
            if day is _MISSING:
                day = clock.raw_day(db)
            tm = times_get(tb, _MISSING)
            if tm is _MISSING:
                tm = clock.raw_time(tb)
            if day is None or tm is None:
                break
            secs = day[3] + tm[3]
            if trust_time and secs < last:
                break
            stamp, hb_before, last = (
                (secs, hb.decode("utf-8"), day[4] + tm[6], tm[4], tm[5], day, tm),
                hb,
                secs,
            )
        out.append(stamp)  # type: ignore[arg-type]  # set on the first header
    return out


def _messages(
    emitter: Emitter, raw: RawBatch, stamps: list[Stamp], line: int
) -> Generator[ParseRecord, None, tuple[int, int]]:
    """Records for all stamped headers but the last two (the lookahead of the last decides).

    Mirrors ``Emitter.message`` for a segment that ends with a line break, without a
    ``Header`` list per message and with offsets read off the batch. Returns the index of
    the first header whose message it did not make, and that message's first line.
    """
    buf, base, ms = raw.buf, raw.base, raw.matches
    title, known, split = emitter.title, emitter.known, emitter.split
    find, count = buf.find, buf.count
    # Decoded once per batch: a chat has few authors.
    names: dict[bytes, str] = {}
    slow_first, slow_last, slow_prefixes, slow_exact = (
        C.SLOW_FIRST,
        C.SLOW_LAST,
        C.SLOW_PREFIXES,
        C.SLOW_EXACT,
    )
    prefix_first = C.SLOW_PREFIX_FIRST
    plain_lines = C.plain_lines
    end = k = len(stamps) - 2
    e = ms[0].start(1)
    try:
        for k in range(end):
            s, r0, e, stamp = e, ms[k].end(), ms[k + 1].start(1), stamps[k]
            ce, gap = e - 1, 1  # the segment ends with "\n": content, then line breaks
            if buf[ce - 1] in b"\r\n":
                ce = s + len(buf[s:e].rstrip(b"\r\n"))
                gap = count(b"\n", ce, e)
            nl = find(b"\n", r0, ce)
            colon = find(b": ", r0, ce if nl < 0 else nl)  # on the first line, as ``split``
            name = None
            if colon > r0:
                nb = buf[r0:colon]
                name = names.get(nb)
                if name is None:
                    name = names[nb] = str(nb, "utf-8")
            # str(b, "utf-8") is bytes.decode without the method lookup (it is hot here).
            body = str(buf[colon + 2 : ce], "utf-8") if name in known else ""
            if body and (
                plain_lines(body)
                if nl >= 0
                else (
                    body[0] not in slow_first
                    and body[-1] not in slow_last
                    and (body[0] not in prefix_first or not body.startswith(slow_prefixes))
                    and (len(body) >= 48 or body.lower() not in slow_exact)
                )
            ):
                sender, kind, edited = name, "text", False
                attachments: tuple[str, ...] = ()
            else:
                sender, kind, body, attachments, edited = split(str(buf[r0:ce], "utf-8"))
            line_end = line if nl < 0 else line + count(b"\n", nl, ce)
            yield _new(
                MessageRecord,
                (
                    title,
                    sender,
                    kind,
                    body,
                    stamp[1],
                    stamp[2],
                    stamp[3],
                    line,
                    line_end,
                    base + s,
                    base + ce,
                    attachments,
                    edited,
                    stamp[4],
                    None,
                    None,
                ),
            )
            line = line_end + gap
        k = end
    except UnicodeDecodeError:
        pass  # message k is not UTF-8: the general path takes over from there
    return k, line


def _hand_over(
    judge: Judge, raw: RawBatch, stamps: list[Stamp], k: int, line: int
) -> RawBatch | None:
    """Leave the state as the general path would after header k + 1; return what is left."""
    emitter, ms = judge.emitter, raw.matches
    rest = k + 2
    cut = ms[rest].start(1) if rest < len(ms) else raw.hi
    _count(emitter.stats, raw.buf, raw.lo, cut)
    emitter.line, emitter.byte = line, raw.base + ms[k].start(1)
    judge.prev = _header(raw, stamps, k, emitter.stats)
    judge.pending = _header(raw, stamps, k + 1, emitter.stats)
    judge.last_text = judge.pending[4]
    if cut == raw.hi:
        return None
    return RawBatch(raw.buf, cut, raw.hi, raw.base, ms[rest:], raw.complete)


def _header(raw: RawBatch, stamps: list[Stamp], i: int, stats: TextStats) -> Header:
    """Header ``i`` of the batch in the general path's form (for the judge to hold)."""
    ms = raw.matches
    start = ms[i].start(1)
    end = ms[i + 1].start(1) if i + 1 < len(ms) else raw.hi
    chunk = raw.buf[start:end]
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:  # decoded as the general path does, and noted as it notes
        text = chunk.decode("utf-8", "surrogateescape")
        stats.bad = True
    m = HEADER_RE.match(text)
    assert m is not None  # the bytes regex matched the same text
    stamp = stamps[i]
    return [m, stamp[0], stamp[5], stamp[6], text, None]


def _count(stats: TextStats, buf: bytes, lo: int, hi: int) -> None:
    """What the general path counts while cutting (CRLF, LF, U+FEFF), for ``buf[lo:hi]``."""
    # A one-byte find is several times faster than counting a longer pattern: count only
    # where there can be something to count.
    if buf.find(b"\r", lo, hi) >= 0:
        stats.crlf += buf.count(b"\r\n", lo, hi)
    stats.lf += buf.count(b"\n", lo, hi)
    if buf.find(_FEFF[0], lo, hi) >= 0:
        stats.feff += buf.count(_FEFF, lo, hi)
