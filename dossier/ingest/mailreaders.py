"""Read the emails of one big mailbox in worker processes, in order, while the writer stores.

A 5 GB mbox is one source: the read-ahead pool (``prefetch``, a job per file) cannot share it
out, so its emails were all read (MIME, addresses, dates, quoted text) by the writer, on one
core. Here the writer goes on splitting the mailbox into emails (the format's own parse) and
storing them; the reading of each email's bytes goes to two workers, a bounded window of
chunks ahead. The records come out in the order the format gave them, each email with
``parsed`` filled in by the same ``read_email`` the writer would have run. A chunk a worker
could not read is left for the writer to read itself, so what is stored, and any error it
reports, is the same as without workers.

A plain email (no attachment, no email inside) comes back with its rows worked out too
(``mailready``), which the writer stores in bulk (``mailboxbatch``); the others, read, are
stored the usual way.

Each worker has a pipe for its chunks and one for its results; chunk k goes to worker
k mod 2, and a receiving thread takes the results off in order, so a worker never waits to
hand one back. Nothing is shared between the processes but those pipes: stopping is killing
the workers, whatever they were doing (``multiprocessing.Pool`` could hang there).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import threading
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from types import TracebackType
from typing import TYPE_CHECKING

from dossier.email.dkim import KeyStore
from dossier.email.model import ParsedEmail
from dossier.ingest.prefetch import become_worker, widen
from dossier.model import EmailRecord, ParseRecord, SourceFact

if TYPE_CHECKING:
    from dossier.ingest.mailready import ReadyEmail

WORKERS = 2  # beside the writer: both cores of a 2-core laptop stay busy
CHUNK = 64  # emails per chunk: a round trip costs about as much as reading an email
WINDOW = 6  # chunks in flight at most: bounds memory (a few MB for usual emails)
START_AFTER = 64  # emails the writer reads itself first: a small mailbox never starts workers

Unquote = Callable[[bytes, dict[str, str]], bytes]  # (raw, the source's facts so far) -> bytes
# A chunk's emails as read (with their rows when plain); None: the writer reads them.
Read = list["ParsedEmail | ReadyEmail"] | None


def _read_chunk(
    records: list[EmailRecord], source_sha: str, keys: KeyStore | None
) -> list[ParsedEmail | ReadyEmail]:
    """Each email read from its record's bytes (as read: quoting undone), with its rows when
    it is plain."""
    from dossier.email.reader import read_email
    from dossier.ingest.mailready import is_plain, ready_email

    found: list[ParsedEmail | ReadyEmail] = []
    for record in records:
        assert record.raw is not None
        mail = read_email(record.raw)
        found.append(ready_email(mail, record, source_sha, keys) if is_plain(mail) else mail)
    return found


def _serve(
    chunks: Connection, results: Connection, source_sha: str, keys: KeyStore | None
) -> None:
    """Runs in a worker: read each chunk that comes, send back what was read, until the
    writer closes its end."""
    become_worker()
    while True:
        try:
            records = chunks.recv()
        except (EOFError, OSError):
            return
        try:
            found: Read = _read_chunk(records, source_sha, keys)
        except Exception:  # the writer reads the chunk itself and meets the error there
            found = None
        results.send(found)


class _Worker:
    def __init__(
        self,
        context: multiprocessing.context.ForkContext,
        source: tuple[str, KeyStore | None],  # the mailbox's hash; the DKIM key store
    ) -> None:
        chunks_in, self.chunks = context.Pipe(duplex=False)
        self.results, results_out = context.Pipe(duplex=False)
        for pipe in (self.chunks, self.results):
            widen(pipe)
        self.process = context.Process(
            target=_serve, args=(chunks_in, results_out, *source), daemon=True
        )
        try:
            self.process.start()
        except BaseException:  # no process: none of the pipes is needed
            self.chunks.close()
            self.results.close()
            raise
        finally:  # the worker has its own copies of these ends (or there is no worker)
            chunks_in.close()
            results_out.close()

    def stop(self) -> None:
        self.chunks.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.results.close()


class MailReaders:
    """Workers that read emails for ``read``; started only once a mailbox proves big.
    ``source_sha``: the mailbox's hash (emails' ids are made from it); ``keys``: the DKIM
    key store, if any."""

    def __init__(self, source_sha: str, keys: KeyStore | None = None) -> None:
        self._source = (source_sha, keys)
        self._workers: list[_Worker] = []
        self._failed = False  # no workers could be started: the writer reads everything
        self._sent = 0  # chunks handed out
        self._results: dict[int, Read] = {}  # chunks read, not yet taken
        self._received = 0  # chunks below this number are in _results (or were taken)
        self._stopping = False
        self._changed = threading.Condition()
        self._receiver: threading.Thread | None = None

    def __enter__(self) -> MailReaders:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for worker in self._workers:
            worker.stop()  # a receive under way ends: the other end is gone
        if self._receiver is not None:
            self._receiver.join()
        self._workers = []

    def read(self, records: Iterator[ParseRecord], unquote: Unquote) -> Iterator[ParseRecord]:
        """``records`` in order, each email that has bytes and no ``parsed`` read from
        ``unquote(raw, facts)``, ``facts`` being the source facts that came before it: its
        ``parsed`` is then a ``ParsedEmail``, or a ``ReadyEmail`` when a worker read it and
        it is plain."""
        facts: dict[str, str] = {}
        window: deque[tuple[list[ParseRecord], int | None]] = deque()
        chunk: list[ParseRecord] = []
        raws: list[EmailRecord] = []  # to be read: the records with their bytes as read
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
            raws.append(record._replace(raw=unquote(record.raw, facts)))
            if len(raws) >= CHUNK:
                window.append((chunk, self._submit(raws)))
                chunk, raws = [], []
                while len(window) > WINDOW:
                    yield from self._filled(*window.popleft())
        if raws:
            window.append((chunk, self._submit(raws)))
        elif chunk:
            window.append((chunk, None))
        while window:
            yield from self._filled(*window.popleft())

    def _submit(self, raws: list[EmailRecord]) -> int | None:
        """The chunk's number once a worker has it; None if none can take it."""
        if not self._workers and not self._failed:
            self._start()
        if self._failed:
            return None
        number = self._sent
        try:
            self._workers[number % len(self._workers)].chunks.send(raws)
        except (OSError, ValueError):  # the worker is gone: the writer reads from now on
            self._failed = True
            return None
        with self._changed:
            self._sent += 1
            self._changed.notify_all()
        return number

    def _start(self) -> None:
        try:
            context = multiprocessing.get_context("fork")
            self._workers = [_Worker(context, self._source) for _ in range(WORKERS)]
        except (OSError, ValueError):  # no fork here, or no room for processes
            for worker in self._workers:
                worker.stop()
            self._workers, self._failed = [], True
            return
        self._receiver = threading.Thread(target=self._receive_all, daemon=True)
        self._receiver.start()

    def _receive_all(self) -> None:
        """The receiving thread: each chunk's result, in order, from the worker that has it.
        However it ends, the writer stops waiting (and reads what is missing itself)."""
        number = 0
        try:
            while True:
                with self._changed:
                    while number >= self._sent and not self._stopping:
                        self._changed.wait()
                    if self._stopping:
                        return
                found: Read = self._workers[number % len(self._workers)].results.recv()
                with self._changed:
                    self._results[number] = found
                    self._received = number = number + 1
                    self._changed.notify_all()
        except Exception:  # a worker gone (EOFError, OSError), or a result cut short
            pass
        finally:
            with self._changed:
                self._stopping = self._failed = True  # nothing more is handed out
                self._changed.notify_all()

    def _result(self, number: int) -> Read:
        with self._changed:
            while number >= self._received and not self._stopping:
                self._changed.wait()
            return self._results.pop(number, None)

    def _filled(self, chunk: list[ParseRecord], number: int | None) -> Iterator[ParseRecord]:
        """The chunk's records, its emails read by a worker (as they were, if it failed)."""
        found = self._result(number) if number is not None else None
        parsed = iter(found) if found is not None else None
        for record in chunk:
            if parsed is not None and isinstance(record, EmailRecord) and _unread(record):
                record = record._replace(parsed=next(parsed))
            yield record


def _unread(record: ParseRecord) -> bool:
    return isinstance(record, EmailRecord) and record.raw is not None and record.parsed is None
