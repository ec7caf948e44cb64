"""The streaming WhatsApp parser: segments -> decided headers -> message records.

Phases:
1. Buffer segments until the date order is decided by the values (usually in the first few
   hundred lines). If the buffer grows past ``BUFFER_CHARS`` the rest of the stream is
   pre-scanned for dates (seek, scan, seek back) so memory stays bounded.
2. Judge every header-shaped line with a one-line lookahead (``judge.py``) and emit the
   message that the previous accepted header started.

UTF-8 input (nearly every export) is read as raw bytes: most batches then go through the
fast path (``fastpath.py``), which builds records from the bytes up to where it cannot; what
it leaves is decoded and takes the general path, as every other encoding does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import BinaryIO

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import dates as D
from dossier.formats.whatsapp import decode
from dossier.formats.whatsapp.decode import blocks, byte_length, detect
from dossier.formats.whatsapp.emit import Emitter
from dossier.formats.whatsapp.fastpath import fast_records
from dossier.formats.whatsapp.grammar import HEADER_RE, parse_time
from dossier.formats.whatsapp.judge import Judge
from dossier.formats.whatsapp.rawscan import RawBatch, raw_batches
from dossier.formats.whatsapp.segments import Cutter, Segment, TextStats, batches
from dossier.model import ParseIssue, ParseRecord, SourceFact

BUFFER_CHARS = 8 * 1024 * 1024
DECIDE_AFTER = 256  # headers seen before the values may decide (a block holds thousands)
MAX_STAMPS = 200_000

# UTF-8 input is read as raw bytes (``rawscan``) so the fast path can take it; tests turn
# this off to compare with the general reader.
RAW_UTF8 = True

# What the reader hands on: segments (the general path) or raw UTF-8 bytes (the fast path,
# which decodes and cuts them itself when it cannot take a batch).
Batch = list[Segment] | RawBatch


def parse(stream: BinaryIO, filename: str, options: ParseOptions) -> Iterator[ParseRecord]:
    head = stream.read(decode.CHUNK_BYTES)
    enc = detect(head)
    yield SourceFact("encoding", enc.name)
    byte_len = byte_length(enc)
    stats = TextStats()
    cutter = Cutter(stats, byte_len)
    source: Iterator[Batch]
    if enc.codec == "utf-8" and RAW_UTF8:
        source = raw_batches(stream, head, enc.bom_bytes)
    else:
        source = batches(blocks(stream, enc, head), stats, byte_len)
    buffered: list[list[Segment]] = []
    decision = None
    segs = (_segments(batch, cutter) for batch in source)
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
    judge = Judge(emitter, order, trust_time=decision is not None and decision.basis != "guess")
    for done in buffered:
        yield from judge.segments(done)
    buffered.clear()
    for raw_or_segs in source:  # on from where the decision stopped reading
        left: Batch | None = raw_or_segs
        if isinstance(raw_or_segs, RawBatch):
            records = fast_records(judge, cutter, raw_or_segs)
            if records is not None:
                left = yield from records  # what it left for the general path, if anything
        if left is not None:
            yield from judge.segments(_segments(left, cutter))
    yield from judge.segments(cutter.close())
    yield from judge.finish()
    yield from emitter.finish()


def _segments(batch: Batch, cutter: Cutter) -> list[Segment]:
    if not isinstance(batch, RawBatch):
        return batch
    segs = cutter.cut(batch.text(), batch.at_line_start()) if batch.hi > batch.lo else []
    return segs + cutter.close() if batch.complete else segs


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
