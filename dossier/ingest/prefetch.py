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
import os
from collections.abc import Sequence
from multiprocessing.pool import AsyncResult, Pool
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
    """Parses the given files, in order, a window ahead of the writer."""

    def __init__(self, jobs: Sequence[tuple[str, str]], keys: KeyStore | None = None) -> None:
        self._jobs = list(jobs)  # (path, format name)
        self._index = {path: n for n, (path, _) in enumerate(self._jobs)}
        self._pending: dict[int, AsyncResult[list[Prepared | None]]] = {}
        self._chunk: tuple[int, list[Prepared | None]] | None = None  # the one being read
        self._next = 0  # the next chunk to hand to a worker
        _import_worker_modules()  # before the fork: each worker would import them again
        context = multiprocessing.get_context("fork")
        workers = min(WORKERS, os.cpu_count() or 1)
        self._pool: Pool | None = context.Pool(workers, _start_worker, (keys,))

    def result(self, path: str) -> Prepared | None:
        """What a worker made of ``path`` (None if it is not one of the jobs, or failed)."""
        number = self._index.get(path)
        if number is None or self._pool is None:
            return None
        chunk = number // CHUNK
        if self._chunk is None or self._chunk[0] != chunk:
            self._chunk = self._wait(chunk)
        found = self._chunk[1]
        return found[number % CHUNK] if number % CHUNK < len(found) else None

    def get(self, path: str, sha256: str) -> list[ParseRecord] | None:
        """The records of ``path`` if its parse is of the bytes with ``sha256``."""
        prepared = self.result(path)
        if prepared is None or prepared.sha256 != sha256:
            return None
        return prepared.records

    def _wait(self, chunk: int) -> tuple[int, list[Prepared | None]]:
        for skipped in [n for n in self._pending if n < chunk]:
            del self._pending[skipped]  # files the writer did not need (already in the case)
        self._next = max(self._next, chunk)
        self._fill(chunk + WINDOW)
        pending = self._pending.pop(chunk, None)
        try:
            return chunk, pending.get() if pending is not None else []
        except Exception:  # e.g. a result that could not be sent back: read those files here
            return chunk, []

    def _fill(self, until: int) -> None:
        assert self._pool is not None
        chunks = (len(self._jobs) + CHUNK - 1) // CHUNK
        while self._next < min(until, chunks):
            start = self._next * CHUNK
            jobs = self._jobs[start : start + CHUNK]
            self._pending[self._next] = self._pool.apply_async(_prepare_chunk, (jobs,))
            self._next += 1

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
