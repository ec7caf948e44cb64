"""Read the emails of one big mailbox in worker processes, in order, while the writer stores.

A 5 GB mbox is one source: the read-ahead pool (``prefetch``, a job per file) cannot share it
out, so its emails were all read (MIME, addresses, dates, quoted text) by the writer, on one
core. Here the writer goes on splitting the mailbox into emails (the format's own parse) and
storing them; the reading of each email's bytes goes to two workers, a bounded window of
chunks ahead. The records come out in the order the format gave them, each email with
``parsed`` filled in by the same ``read_email`` the writer would have run. A chunk a worker
could not read is left for the writer to read itself, so what is stored, and any error it
reports, is the same as without workers.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.pool import AsyncResult, Pool
from types import TracebackType

from dossier.email.model import ParsedEmail
from dossier.model import EmailRecord, ParseRecord, SourceFact

WORKERS = 2  # beside the writer: both cores of a 2-core laptop stay busy
CHUNK = 64  # emails per task: a round trip costs about as much as reading an email
WINDOW = 6  # chunks in flight at most: bounds memory (a few MB for usual emails)
START_AFTER = 256  # emails the writer reads itself first: a small mailbox never starts workers
WORKER_NICENESS = 10  # the writer is the slower side: see prefetch._yield_to_the_writer

Unquote = Callable[[bytes, dict[str, str]], bytes]  # (raw, the source's facts so far) -> bytes


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's: it stops us
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    gc.freeze()  # what the writer had at the fork is never collected here: skip scanning it
    gc.set_threshold(20_000, 20, 20)  # few cycles are made here: collect them rarely


def _read_chunk(raws: list[bytes]) -> list[ParsedEmail]:
    from dossier.email.reader import read_email

    return [read_email(raw) for raw in raws]


class MailReaders:
    """Workers that read emails for ``read``; started only once a mailbox proves big."""

    def __init__(self) -> None:
        self._pool: Pool | None = None
        self._failed = False

    def __enter__(self) -> MailReaders:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.terminate()  # nothing they still hold is needed: the writer is done
            self._pool.join()
            self._pool = None

    def read(self, records: Iterator[ParseRecord], unquote: Unquote) -> Iterator[ParseRecord]:
        """``records`` in order, each email that has bytes and no ``parsed`` read from
        ``unquote(raw, facts)``, ``facts`` being the source facts that came before it."""
        facts: dict[str, str] = {}
        window: deque[tuple[list[ParseRecord], AsyncResult[list[ParsedEmail]] | None]] = deque()
        chunk: list[ParseRecord] = []
        raws: list[bytes] = []
        seen = 0
        for record in records:
            if isinstance(record, SourceFact):
                facts[record.key] = record.value
            if seen < START_AFTER or not _unread(record):
                seen += _unread(record)
                if not window and not chunk:
                    yield record  # nothing waits before it: no need to hold it
                    continue
                chunk.append(record)
                continue
            assert isinstance(record, EmailRecord) and record.raw is not None
            chunk.append(record)
            raws.append(unquote(record.raw, facts))
            if len(raws) >= CHUNK:
                window.append((chunk, self._submit(raws)))
                chunk, raws = [], []
                while len(window) > WINDOW:
                    yield from _filled(*window.popleft())
        if raws:
            window.append((chunk, self._submit(raws)))
        elif chunk:
            window.append((chunk, None))
        while window:
            yield from _filled(*window.popleft())

    def _submit(self, raws: list[bytes]) -> AsyncResult[list[ParsedEmail]] | None:
        """The chunk handed to a worker; None if no worker can take it (the writer reads)."""
        if self._pool is None and not self._failed:
            try:
                self._pool = multiprocessing.get_context("fork").Pool(
                    WORKERS, initializer=_start_worker
                )
            except (OSError, ValueError):  # no fork here, or no room for processes
                self._failed = True
        if self._pool is None:
            return None
        return self._pool.apply_async(_read_chunk, (raws,))


def _unread(record: ParseRecord) -> bool:
    return isinstance(record, EmailRecord) and record.raw is not None and record.parsed is None


def _filled(
    chunk: list[ParseRecord], result: AsyncResult[list[ParsedEmail]] | None
) -> Iterator[ParseRecord]:
    """The chunk's records, its emails read by the worker (as they were, if it failed)."""
    try:
        parsed = iter(result.get()) if result is not None else None
    except Exception:  # the writer reads them, and meets any error itself
        parsed = None
    for record in chunk:
        if parsed is not None and isinstance(record, EmailRecord) and _unread(record):
            record = record._replace(parsed=next(parsed))
        yield record
