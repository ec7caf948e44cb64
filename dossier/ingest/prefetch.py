"""Read small email files in worker processes while the main process writes the case.

A folder of thousands of .eml or Maildir files is parse-bound (reading MIME, addresses, dates),
and the writing is bound by SQLite: parsing them in forked workers, a bounded window ahead of
the writer, keeps both cores busy. A worker returns the bytes it read with their hash: a file
that holds one plain email comes back with its rows ready (``mailready``), stored from exactly
those bytes; any other file comes back as its records, which the loader uses only if the hash
is that of the original it stored (a file that changed in between is read again).
"""

from __future__ import annotations

import hashlib
import importlib
import multiprocessing
import multiprocessing.context
import os
import signal
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import NamedTuple

from dossier.email.dkim import KeyStore
from dossier.ingest.mailready import ReadyFile
from dossier.model import EmailRecord, ParseRecord

WORKERS = 2  # beside the writer: both cores of a 2-core laptop stay busy
CHUNK = 32  # files per task: a round trip to a worker costs about as much as reading a file
WINDOW = 16  # chunks read ahead of the writer at most: bounds memory
MIN_FILES = 64  # fewer files are not worth the workers
MAX_BYTES = 4 * 1024 * 1024  # bigger files are parsed in-process, as they come
READY_MAX_BYTES = 256 * 1024  # files kept as rows of the case (dossier.case.SMALL_OBJECT)
PREFETCHED_FORMATS = ("eml",)


class Prepared(NamedTuple):
    sha256: str  # of the bytes the worker read
    data: bytes  # those bytes, when ``ready`` (the writer keeps them as the original)
    records: list[ParseRecord] | None  # the file's records, emails read (when not ``ready``)
    ready: ReadyFile | None  # the rows of a one-email file


_keys: KeyStore | None = None  # the DKIM key store, in each worker


def _start_worker(keys: KeyStore | None) -> None:
    global _keys
    _keys = keys


def _import_worker_modules() -> None:
    for name in ("dossier.email.reader", "dossier.formats.registry"):
        importlib.import_module(name)


def _prepare_chunk(jobs: list[tuple[str, str]]) -> list[Prepared | None]:
    return [_prepare(path, format_name) for path, format_name in jobs]


def _prepare(path: str, format_name: str) -> Prepared | None:
    """Runs in a worker: the file's rows, or its records with every email already read."""
    import io

    from dossier.email.reader import read_email
    from dossier.formats.base import ParseOptions
    from dossier.formats.registry import format_named
    from dossier.ingest.mailready import ready_file

    try:
        with open(path, "rb") as stream:
            data = stream.read()
        sha = hashlib.sha256(data).hexdigest()
        fmt = format_named(format_name)
        records: list[ParseRecord] = []
        for record in fmt.parse(io.BytesIO(data), path.rsplit("/", 1)[-1], ParseOptions()):
            if isinstance(record, EmailRecord) and record.parsed is None and record.raw:
                record = record._replace(parsed=read_email(record.raw))
            records.append(record)
        ready = ready_file(records, sha, path, _keys) if len(data) <= READY_MAX_BYTES else None
        if ready is not None:
            return Prepared(sha, data, None, ready)
        return Prepared(sha, b"", records, None)
    except Exception:  # the writer then reads the file itself and reports what is wrong
        return None


class MailPrefetch:
    """Parses the given files, in order, a window ahead of the writer.

    Worker n of k reads chunks n, n + k, n + 2k ... of the jobs (it has the list from the
    fork) and sends each back down its own pipe, in order. The writer reads the pipes in the
    main thread, taking what is ready as it goes, at most WINDOW chunks ahead; a worker waits
    while its pipe is full. No thread, no task queue: the writer only ever waits on the
    worker that holds the chunk it needs, so nothing can deadlock.
    """

    def __init__(self, jobs: Sequence[tuple[str, str]], keys: KeyStore | None = None) -> None:
        self._jobs = list(jobs)  # (path, format name)
        self._index = {path: n for n, (path, _) in enumerate(self._jobs)}
        self._chunks = (len(self._jobs) + CHUNK - 1) // CHUNK
        self._ready: dict[int, list[Prepared | None]] = {}  # chunks read, not yet used
        self._chunk: tuple[int, list[Prepared | None]] | None = None  # the one being used
        _import_worker_modules()  # before the fork: each worker would import them again
        context = multiprocessing.get_context("fork")
        count = max(1, min(WORKERS, os.cpu_count() or 1, self._chunks))
        self._workers = [_Worker(context, n, count, self._jobs, keys) for n in range(count)]

    def result(self, path: str) -> Prepared | None:
        """What a worker made of ``path`` (None if it is not one of the jobs, or failed)."""
        number = self._index.get(path)
        if number is None or not self._workers:
            return None
        chunk = number // CHUNK
        if self._chunk is None or self._chunk[0] != chunk:
            self._chunk = (chunk, self._wait(chunk))
        self._take_ready(chunk)
        found = self._chunk[1]
        return found[number % CHUNK] if number % CHUNK < len(found) else None

    def get(self, path: str, sha256: str) -> list[ParseRecord] | None:
        """The records of ``path`` if its parse is of the bytes with ``sha256``."""
        prepared = self.result(path)
        if prepared is None or prepared.sha256 != sha256:
            return None
        return prepared.records

    def _wait(self, chunk: int) -> list[Prepared | None]:
        """Chunk ``chunk``'s results; earlier chunks are dropped (the writer is past them)."""
        for done in [n for n in self._ready if n < chunk]:
            del self._ready[done]
        if chunk not in self._ready:
            worker = self._workers[chunk % len(self._workers)]
            while worker.next_chunk <= chunk:
                number, found = worker.receive()
                if number == chunk:
                    return found
        return self._ready.pop(chunk, [])

    def _take_ready(self, current: int) -> None:
        """Read whatever the workers have finished, up to WINDOW chunks ahead: they go on
        with the next chunk instead of waiting for the writer to ask."""
        for worker in self._workers:
            while len(self._ready) < WINDOW and worker.has_result():
                number, found = worker.receive()
                if number > current:
                    self._ready[number] = found

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []


class _Worker:
    """One forked process and the pipe its results come back on."""

    def __init__(
        self,
        context: multiprocessing.context.ForkContext,
        number: int,
        count: int,
        jobs: list[tuple[str, str]],
        keys: KeyStore | None,
    ) -> None:
        self.next_chunk = number  # the chunk its next result is for
        self.step = count
        self.total = (len(jobs) + CHUNK - 1) // CHUNK
        self.pipe, child = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve, args=(child, jobs, number, count, keys), daemon=True
        )
        self.process.start()
        child.close()

    def has_result(self) -> bool:
        return self.next_chunk < self.total and self.pipe.poll()

    def receive(self) -> tuple[int, list[Prepared | None]]:
        """(chunk number, its results): [] when the worker is gone (the writer then reads
        those files itself)."""
        number = self.next_chunk
        self.next_chunk += self.step
        try:
            found: list[Prepared | None] = self.pipe.recv()
        except Exception:  # gone (EOFError), or died half-way through a result
            self.next_chunk = self.total  # nothing more will come
            return number, []
        return number, found

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.pipe.close()


def _serve(
    pipe: Connection, jobs: list[tuple[str, str]], number: int, count: int, keys: KeyStore | None
) -> None:
    """Runs in a worker: chunks number, number + count, ... of ``jobs``, in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's: it stops us
    _start_worker(keys)
    for chunk in range(number, (len(jobs) + CHUNK - 1) // CHUNK, count):
        pipe.send(_prepare_chunk(jobs[chunk * CHUNK : (chunk + 1) * CHUNK]))
    pipe.close()
