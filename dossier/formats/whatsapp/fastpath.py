"""The UTF-8 fast path: message records straight from a raw byte batch.

It takes a batch only when the general path would accept every header in it without doubt:
each header's date and time read, time never runs backwards (when time is trusted), no
CRLF rule, nothing over the size cap, and every byte decodes as strict UTF-8. Then each
segment is one message, its byte offsets are positions in the batch, and only the header
text, the author and the body are decoded. A batch it declines goes the general way, and
the records are the same either way (tests/test_whatsapp_fastpath.py compares them).

Every check is made before the first record is handed on (the batch is decoded once to
prove it is UTF-8), so a declined batch leaves the parser's state as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from datetime import datetime
from typing import Any

from dossier.formats.whatsapp import classify as C
from dossier.formats.whatsapp import segments
from dossier.formats.whatsapp.emit import DAY, TIME, Emitter, Header
from dossier.formats.whatsapp.grammar import HEADER_RE
from dossier.formats.whatsapp.judge import Clock, Judge
from dossier.formats.whatsapp.rawscan import RawBatch
from dossier.formats.whatsapp.segments import Cutter
from dossier.model import MessageRecord, ParseRecord

_new: Callable[..., Any] = tuple.__new__
# A header's (seconds, header text, local time, has_seconds, time flags, DAY, TIME).
Stamp = tuple[int, str, datetime, bool, tuple[str, ...], DAY, TIME]


def fast_records(judge: Judge, cutter: Cutter, raw: RawBatch) -> Iterator[ParseRecord] | None:
    """The records this batch completes, or None when the general path must take it."""
    prev, pending, emitter, ms = judge.prev, judge.pending, judge.emitter, raw.matches
    if (
        prev is None
        or pending is None
        or prev[5] is not None
        or pending[5] is not None
        or len(ms) < 2
        or not raw.complete
        or ms[0].start(1) != raw.lo
        or cutter.open is not None
        or emitter.first
        or emitter.crlf_mode
        or raw.hi - raw.lo > segments.MAX_MESSAGE_CHARS
    ):
        return None
    stamps = _stamps(judge, ms)
    if stamps is None or (judge.trust_time and not _in_order(prev, pending, stamps)):
        return None
    try:  # strict: a byte that is not UTF-8 sends the batch the general way
        raw.buf[raw.lo : raw.hi].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return _records(judge, raw, stamps, prev, pending)


def _records(
    judge: Judge, raw: RawBatch, stamps: list[Stamp], prev: Header, pending: Header
) -> Iterator[ParseRecord]:
    """Hand records on one by one: a batch-long list would outlive many GC passes."""
    emitter, ms = judge.emitter, raw.matches
    line = emitter.line + prev[4].count("\n") + pending[4].count("\n")
    yield from _emit(emitter, prev)
    yield from _emit(emitter, pending)
    line = yield from _messages(emitter, raw, stamps, line)
    _count(emitter, raw)
    emitter.line, emitter.byte = line, raw.base + ms[-2].start(1)
    judge.prev, judge.pending = _header(raw, stamps, -2), _header(raw, stamps, -1)
    judge.last_text = judge.pending[4]


def _emit(emitter: Emitter, h: Header) -> Iterator[ParseRecord]:
    yield emitter.message(h)
    if emitter.issues:
        yield from emitter.flush()


def _stamps(judge: Judge, ms: list[re.Match[bytes]]) -> list[Stamp] | None:
    """The stamp of each header, or None if any of them does not read as a date and time.

    Cached by the header's bytes for the batch: neighbours share a minute.
    """
    cache: dict[bytes, Stamp | bool] = {}  # per batch: a file-long one slows the GC down
    out: list[Stamp] = []
    for m in ms:
        hb = m.group(1)
        stamp = cache.get(hb)
        if stamp is None:
            stamp = cache[hb] = _stamp(judge.clock, m)
        if not isinstance(stamp, tuple):
            return None
        out.append(stamp)
    return out


def _stamp(clock: Clock, m: re.Match[bytes]) -> Stamp | bool:
    d, t = (text.decode("utf-8") for text in m.group(3, 7))
    day = clock.days[d] if d in clock.days else clock.day(d)
    tm = clock.times[t] if t in clock.times else clock.time(t)
    if day is None or tm is None:
        return False
    return (day[3] + tm[3], m.group(1).decode("utf-8"), day[4] + tm[6], tm[4], tm[5], day, tm)


def _in_order(prev: Header, pending: Header, stamps: list[Stamp]) -> bool:
    """Time never runs backwards from ``prev`` on: then ``accept`` takes every header."""
    last = prev[1]
    if pending[1] < last:
        return False
    last = pending[1]
    for stamp in stamps:
        now = stamp[0]
        if now < last:
            return False
        last = now
    return True


def _header(raw: RawBatch, stamps: list[Stamp], i: int) -> Header:
    """Header ``i`` of the batch in the general path's form (for the judge to hold)."""
    ms = raw.matches
    start = ms[i].start(1)
    end = raw.hi if i == -1 else ms[i + 1].start(1)
    text = raw.buf[start:end].decode("utf-8")
    m = HEADER_RE.match(text)
    assert m is not None  # the bytes regex matched the same text
    stamp = stamps[i]
    return [m, stamp[0], stamp[5], stamp[6], text, None]


def _messages(
    emitter: Emitter, raw: RawBatch, stamps: list[Stamp], line: int
) -> Generator[ParseRecord, None, int]:
    """Records for all headers but the last two (they wait for the next batch's lookahead).

    Mirrors ``Emitter.message`` for a segment that ends with a line break, without a
    ``Header`` list per message and with offsets read off the batch.
    """
    buf, base, ms = raw.buf, raw.base, raw.matches
    title, known, split = emitter.title, emitter.known, emitter.split
    find, count = buf.find, buf.count
    # Decoded once per batch: a chat has few authors.
    names: dict[bytes, str] = {}
    slow_first, slow_last, slow_prefixes, slow_exact = (
        C.SLOW_FIRST, C.SLOW_LAST, C.SLOW_PREFIXES, C.SLOW_EXACT
    )
    for k in range(len(ms) - 2):
        m, stamp = ms[k], stamps[k]
        s, r0 = m.start(1), m.end()
        e = ms[k + 1].start(1)
        ce = e - 1  # the segment ends with "\n"; the content without trailing line breaks
        if buf[ce - 1] in b"\r\n":
            ce = s + len(buf[s:e].rstrip(b"\r\n"))
        nl = find(b"\n", r0, ce)
        colon = find(b": ", r0, ce) if nl < 0 else -1
        name = None
        if colon > r0:
            nb = buf[r0:colon]
            name = names.get(nb)
            if name is None:
                name = names[nb] = nb.decode("utf-8")
        body = buf[colon + 2 : ce].decode("utf-8") if name in known else ""
        if (
            body
            and body[0] not in slow_first
            and body[-1] not in slow_last
            and not body.startswith(slow_prefixes)
            and (len(body) >= 48 or body.lower() not in slow_exact)
        ):
            sender, kind, edited = name, "text", False
            attachments: tuple[str, ...] = ()
        else:
            sender, kind, body, attachments, edited = split(buf[r0:ce].decode("utf-8"))
        line_end = line + count(b"\n", r0, ce)
        yield _new(
            MessageRecord,
            (title, sender, kind, body, stamp[1], stamp[2], stamp[3], line, line_end, base + s,
             base + ce, attachments, edited, stamp[4]),
        )
        line = line_end + count(b"\n", ce, e)
    return line


def _count(emitter: Emitter, raw: RawBatch) -> None:
    """What the general path counts while cutting (CRLF, LF, U+FEFF), for the batch."""
    stats, buf, lo, hi = emitter.stats, raw.buf, raw.lo, raw.hi
    stats.crlf += buf.count(b"\r\n", lo, hi)
    stats.lf += buf.count(b"\n", lo, hi)
    stats.feff += buf.count("\ufeff".encode(), lo, hi)
