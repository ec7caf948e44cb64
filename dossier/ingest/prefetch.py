"""Read small email files in a worker process while the main process writes the case.

A folder of thousands of .eml or Maildir files is parse-bound (Python's email parsing), and
the writing is bound by SQLite: parsing them in a forked worker, a bounded window ahead of the
writer, keeps both cores busy. The worker also hashes what it read; the writer uses a parse
only if that hash is the hash of the original it stored, so a file that changed in between is
read again from the case's copy.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Sequence
from multiprocessing.pool import AsyncResult, Pool

from dossier.model import EmailRecord, ParseRecord

WINDOW = 256  # files parsed ahead of the writer at most: bounds memory
MIN_FILES = 64  # fewer files are not worth a worker
MAX_BYTES = 4 * 1024 * 1024  # bigger files are parsed in-process, as they come
PREFETCHED_FORMATS = ("eml",)

Prepared = tuple[str, list[ParseRecord]]  # (sha256 of the bytes read, records)


def _prepare(path: str, format_name: str) -> Prepared | None:
    """Runs in the worker: the file's records with every email already read."""
    import io

    from dossier.email.reader import read_email
    from dossier.formats.base import ParseOptions
    from dossier.formats.registry import format_named

    try:
        with open(path, "rb") as stream:
            data = stream.read()
        fmt = format_named(format_name)
        records: list[ParseRecord] = []
        for record in fmt.parse(io.BytesIO(data), path.rsplit("/", 1)[-1], ParseOptions()):
            if isinstance(record, EmailRecord) and record.parsed is None and record.raw:
                record = record._replace(parsed=read_email(record.raw))
            records.append(record)
        return hashlib.sha256(data).hexdigest(), records
    except Exception:  # the writer then reads the file itself and reports what is wrong
        return None


class MailPrefetch:
    """Parses the given files, in order, a window ahead of ``get``."""

    def __init__(self, jobs: Sequence[tuple[str, str]]) -> None:
        self._jobs = list(jobs)  # (path, format name)
        self._index = {path: n for n, (path, _) in enumerate(self._jobs)}
        self._pending: dict[int, AsyncResult[Prepared | None]] = {}
        self._next = 0
        self._pool: Pool | None = multiprocessing.get_context("fork").Pool(1)

    def get(self, path: str, sha256: str) -> list[ParseRecord] | None:
        """The records of ``path`` if its parse is of the bytes with ``sha256``."""
        number = self._index.get(path)
        if number is None or self._pool is None:
            return None
        for skipped in [n for n in self._pending if n < number]:
            del self._pending[skipped]  # files the writer did not need (already in the case)
        self._next = max(self._next, number)
        self._fill(number + WINDOW)
        pending = self._pending.pop(number, None)
        if pending is None:
            return None
        prepared = pending.get()
        if prepared is None or prepared[0] != sha256:
            return None
        return prepared[1]

    def _fill(self, until: int) -> None:
        assert self._pool is not None
        while self._next < min(until, len(self._jobs)):
            path, name = self._jobs[self._next]
            self._pending[self._next] = self._pool.apply_async(_prepare, (path, name))
            self._next += 1

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
