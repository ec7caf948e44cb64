"""Recognise and read a run's files in worker processes while the main process writes.

A folder of thousands of .eml or Maildir files is parse-bound (recognising each file, reading
MIME, addresses, dates), and the writing is bound by SQLite: doing the reading in forked
workers, a bounded window ahead of the writer, keeps both cores busy. A worker first says what
each file is (a format's name, ``ZIP``, or ``NOTHING``), as ``registry.recognise`` would from
its head. An email file it also reads, and returns the bytes it read with their hash: a file
that holds one plain email comes back with its rows ready (``mailready``), stored from exactly
those bytes; any other comes back as its records, which the loader uses only if the hash is
that of the original it stored (a file that changed in between is read again).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import multiprocessing
import multiprocessing.context
import os
import signal
import sqlite3
import stat
import threading
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from typing import BinaryIO, NamedTuple

from dossier.email.dkim import KeyStore
from dossier.formats.base import relax_collector
from dossier.ingest.mailready import ReadyFile
from dossier.model import EmailRecord, ParseRecord, SourceFact

WORKERS = 2  # beside the writer: both cores of a 2-core laptop stay busy
CHUNK = 32  # files per task: a round trip to a worker costs about as much as reading a file
WINDOW = 16  # chunks read ahead of the writer at most: bounds memory
MIN_FILES = 64  # fewer files are not worth the workers
MAX_BYTES = 4 * 1024 * 1024  # bigger files are parsed in-process, as they come
READY_MAX_BYTES = 256 * 1024  # files kept as rows of the case (dossier.case.SMALL_OBJECT)
WORKER_NICENESS = 10  # see become_worker
PIPE_BYTES = 1024 * 1024  # asked of the system for each worker's pipe
PREFETCHED_FORMATS = ("eml",)
ZIP = "zip"  # what a worker says of an archive
NOTHING = ""  # ... and of a file in no format it knows


class Prepared(NamedTuple):
    kind: str  # what the file is: a format's name, ZIP or NOTHING
    sha256: str  # of the bytes the worker read ("" when it read only the head)
    data: bytes  # those bytes, when ``ready`` (the writer keeps them as the original)
    records: list[ParseRecord] | None  # the file's records, emails read (when not ``ready``)
    ready: ReadyFile | None  # the rows of a one-email file


_keys: KeyStore | None = None  # the DKIM key store, in each worker
_case_db: str | None = None  # the case's database, in each worker (read only)
_known: sqlite3.Connection | None = None  # ... opened there when first needed


def _start_worker(keys: KeyStore | None, case_db: str | None) -> None:
    global _keys, _case_db, _known
    _keys, _case_db, _known = keys, case_db, None


def _in_case(sha256: str) -> bool:
    """Runs in a worker: whether the case already holds a file with these bytes (as of the
    chunk's start). Reading such a file again is wasted: the writer only records where it was
    found. Any doubt (no case given, a database that cannot be read): False, and it is read."""
    if _known is None:
        return False
    try:
        found = _known.execute("SELECT 1 FROM sources WHERE sha256 = ?", (sha256,))
        return found.fetchone() is not None
    except sqlite3.Error:
        return False


@contextlib.contextmanager
def _reading_the_case() -> Iterator[None]:
    """One read transaction for a chunk's lookups: taking the database's read lock for each
    file would cost more than the lookup. Not held longer, so the writer's checkpoints can
    go on."""
    global _known
    if _case_db is None:
        yield
        return
    try:
        if _known is None:
            _known = sqlite3.connect(
                f"file:{_case_db}?mode=ro", uri=True, timeout=0.1, isolation_level=None
            )
        _known.execute("BEGIN")
    except sqlite3.Error:
        _known = None  # (the files are read, as without a case)
    try:
        yield
    finally:
        if _known is not None:
            with contextlib.suppress(sqlite3.Error):
                _known.execute("COMMIT")


def _import_worker_modules() -> None:
    for name in ("dossier.email.reader", "dossier.formats.registry", "dossier.ingest.mailready"):
        importlib.import_module(name)


def _prepare_chunk(jobs: list[tuple[str, str]]) -> list[Prepared | None]:
    with _reading_the_case():
        return [_prepare(path, forced) for path, forced in jobs]


def _prepare(path: str, forced: str) -> Prepared | None:
    """Runs in a worker: what the file is; for an email file, its rows, or its records with
    every email already read. ``forced``: the format the user named ("" for none)."""
    from dossier.formats.base import HEAD_SIZE

    try:
        with _open_regular(path) as stream:
            data = stream.read(HEAD_SIZE)
            name = path.rsplit("/", 1)[-1]
            kind = file_kind(data, name, forced)
            if kind not in PREFETCHED_FORMATS or os.fstat(stream.fileno()).st_size > MAX_BYTES:
                return Prepared(kind, "", b"", None, None)  # the writer reads it as it goes
            if len(data) == HEAD_SIZE:
                data += stream.read()
        return _read_mail_file(data, kind, name, path)
    except Exception:  # the writer then reads the file itself and reports what is wrong
        return None


def file_kind(head: bytes, name: str, forced: str | None) -> str:
    """What a file is, from its head and name: a format's name, ZIP or NOTHING. ``forced``:
    the format the user named (then only whether the file can be in it)."""
    from dossier.formats.archive import is_zip
    from dossier.formats.registry import format_named, recognise

    if is_zip(head):
        return ZIP
    if forced:
        fmt = format_named(forced)
        return fmt.name if head and fmt.sniff(head, name) > 0 else NOTHING
    found = recognise(head, name)
    return found.name if found is not None else NOTHING


def _read_mail_file(data: bytes, kind: str, name: str, path: str) -> Prepared:
    """A mail file's records, every email read; or its rows, when it holds one plain email."""
    import io

    from dossier.email.reader import read_email
    from dossier.formats.base import ParseOptions
    from dossier.formats.registry import format_named
    from dossier.ingest.mail import unquoted
    from dossier.ingest.mailready import ready_file

    sha = hashlib.sha256(data).hexdigest()
    if _in_case(sha):
        return Prepared(kind, sha, b"", None, None)  # the writer finds it stored
    records: list[ParseRecord] = []
    facts: dict[str, str] = {}
    for record in format_named(kind).parse(io.BytesIO(data), name, ParseOptions()):
        if isinstance(record, SourceFact):
            facts[record.key] = record.value
        elif isinstance(record, EmailRecord) and record.parsed is None and record.raw:
            record = record._replace(parsed=read_email(unquoted(record.raw, facts)))
        records.append(record)
    ready = ready_file(records, sha, path, _keys) if len(data) <= READY_MAX_BYTES else None
    if ready is not None:
        return Prepared(kind, sha, data, None, ready)
    return Prepared(kind, sha, b"", records, None)


def widen(pipe: Connection) -> None:
    """Give the pipe room for a whole chunk's results (Linux: up to 1 MB). With the default
    64 KB a worker waits on every chunk until the writer's receiving thread, which shares the
    interpreter with the busy writer, has read it all; with room it goes on at once."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):
        pass  # not Linux, or a lower limit: the default size works, only slower


def _open_regular(path: str) -> BinaryIO:
    """The file open for reading; raises if it is not a regular file (without waiting on a
    pipe, as a plain open would)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path}: not a regular file")
    return os.fdopen(fd, "rb")


class MailPrefetch:
    """Recognises the given files, and reads the email files, in order, a window ahead of
    the writer. Each job is (path, the format the user named or "").

    Worker n of k reads chunks n, n + k, n + 2k ... of the jobs (it has the list from the
    fork) and sends each back down its own pipe, in order. A receiving thread takes the
    chunks off the pipes in order as soon as they come, at most WINDOW ahead of the writer,
    so that the workers go on while the writer is busy in SQLite (which lets go of the
    interpreter while it works); a worker waits only while the window is full.
    """

    def __init__(
        self,
        jobs: Sequence[tuple[str, str]],
        keys: KeyStore | None = None,
        case_db: str | None = None,
    ) -> None:
        self._jobs = list(jobs)  # (path, the format the user named or "")
        self._index = {path: n for n, (path, _) in enumerate(self._jobs)}
        self._chunks = (len(self._jobs) + CHUNK - 1) // CHUNK
        self._ready: dict[int, list[Prepared | None]] = {}  # chunks received, not yet used
        self._received = 0  # chunks below this number have been received (or given up)
        self._wanted = 0  # the chunk the writer is at: chunks below it are dropped
        self._stopping = False
        self._changed = threading.Condition()
        self._chunk: tuple[int, list[Prepared | None]] | None = None  # the one being used
        _import_worker_modules()  # before the fork: each worker would import them again
        context = multiprocessing.get_context("fork")
        count = max(1, min(WORKERS, os.cpu_count() or 1, self._chunks))
        self._workers = [
            _Worker(context, n, count, self._jobs, (keys, case_db)) for n in range(count)
        ]
        self._receiver = threading.Thread(target=self._receive_all, daemon=True)
        self._receiver.start()

    def result(self, path: str) -> Prepared | None:
        """What a worker made of ``path`` (None if it is not one of the jobs, or failed)."""
        number = self._index.get(path)
        if number is None or not self._workers:
            return None
        chunk = number // CHUNK
        if self._chunk is None or self._chunk[0] != chunk:
            self._chunk = (chunk, self._wait(chunk))
        found = self._chunk[1]
        return found[number % CHUNK] if number % CHUNK < len(found) else None

    def get(self, path: str, sha256: str) -> list[ParseRecord] | None:
        """The records of ``path`` if its parse is of the bytes with ``sha256``."""
        prepared = self.result(path)
        if prepared is None or prepared.sha256 != sha256:
            return None
        return prepared.records

    def _wait(self, chunk: int) -> list[Prepared | None]:
        """Chunk ``chunk``'s results ([] if the writer is past it, or its worker failed);
        earlier chunks are dropped (the writer is past them)."""
        with self._changed:
            if chunk < self._wanted:
                return []
            self._wanted = chunk
            for done in [n for n in self._ready if n < chunk]:
                del self._ready[done]
            self._changed.notify_all()  # room in the window
            while self._received <= chunk and not self._stopping:
                self._changed.wait()
            return self._ready.pop(chunk, [])

    def _receive_all(self) -> None:
        """The receiving thread: every chunk, in order, from the worker that has it. However
        it ends, the writer stops waiting on it (and reads what is missing itself)."""
        try:
            for chunk in range(self._chunks):
                with self._changed:
                    while chunk - self._wanted >= WINDOW and not self._stopping:
                        self._changed.wait()  # the writer is far behind: let the workers wait
                    if self._stopping:
                        return
                found = self._workers[chunk % len(self._workers)].receive()
                with self._changed:
                    if chunk >= self._wanted:
                        self._ready[chunk] = found
                    self._received = chunk + 1
                    self._changed.notify_all()
        except Exception:  # only speed is lost: the writer reads the rest itself
            pass
        finally:
            with self._changed:
                self._received = self._chunks
                self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for worker in self._workers:
            worker.stop()  # a receive under way ends: the pipe's other end is gone
        self._receiver.join()
        for worker in self._workers:
            worker.pipe.close()
        self._workers = []


class _Worker:
    """One forked process and the pipe its results come back on."""

    def __init__(
        self,
        context: multiprocessing.context.ForkContext,
        number: int,
        count: int,
        jobs: list[tuple[str, str]],
        settings: tuple[KeyStore | None, str | None],  # (DKIM key store, case database)
    ) -> None:
        self.gone = False
        self.pipe, child = context.Pipe(duplex=False)
        widen(self.pipe)
        self.process = context.Process(
            target=_serve, args=(child, jobs, number, count, settings), daemon=True
        )
        self.process.start()
        child.close()

    def receive(self) -> list[Prepared | None]:
        """Its next chunk's results: [] when the worker is gone (the writer then reads those
        files itself)."""
        if self.gone:
            return []
        try:
            found: list[Prepared | None] = self.pipe.recv()
        except Exception:  # gone (EOFError, OSError once closed), or died half-way through
            self.gone = True
            return []
        return found

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def become_worker() -> None:
    """Runs first in a forked worker (here, and in ``mailreaders``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's: it stops us
    # Run at a lower priority than the writer: it is the slower side, and with the two
    # workers there are three busy processes on two cores. The workers then take what the
    # writer leaves, and are still ahead of it.
    with contextlib.suppress(OSError):  # not allowed here: equal shares work, only slower
        os.nice(WORKER_NICENESS)
    gc.freeze()  # what the writer had when it forked is never collected here: skip scanning it
    relax_collector()  # few cycles are made here: collect them rarely


def _serve(
    pipe: Connection,
    jobs: list[tuple[str, str]],
    number: int,
    count: int,
    settings: tuple[KeyStore | None, str | None],
) -> None:
    """Runs in a worker: chunks number, number + count, ... of ``jobs``, in order."""
    become_worker()
    _start_worker(*settings)
    for chunk in range(number, (len(jobs) + CHUNK - 1) // CHUNK, count):
        pipe.send(_prepare_chunk(jobs[chunk * CHUNK : (chunk + 1) * CHUNK]))
    pipe.close()
