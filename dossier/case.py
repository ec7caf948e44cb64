"""A case: a folder holding the case database and the original files.

    CASE/
      case.sqlite        the database (open it in any SQLite tool)
      objects/ab/cd...   every original file over 256 KB, named by its SHA-256, never modified
                         (smaller originals are rows of the ``blobs`` table, by SHA-256)
      tmp/               files being written (moved into objects/ only when complete)

Originals are written to tmp/ and renamed into place, so a killed ingest never leaves a
half-written object under a real hash.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from dossier import __version__
from dossier.errors import CaseError, CaseExists, CaseNotFound, DossierError
from dossier.store.sqlite import SqliteStore
from dossier.timeutil import now_iso, zone

DB_NAME = "case.sqlite"
CHUNK = 1024 * 1024
# Originals up to this size are kept in the database rather than as files (see 0003_blobs.sql).
SMALL_OBJECT = 256 * 1024


class Case:
    def __init__(self, root: Path, store: SqliteStore) -> None:
        self.root = root
        self.store = store

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def create(
        cls, root: Path, *, title: str | None, tz: str, date_order: str | None = None
    ) -> Case:
        zone(tz)  # refuse an unknown zone before anything is written
        if date_order not in (None, "dmy", "mdy"):
            raise DossierError(
                f"Unknown date order {date_order!r}.", "use dmy (day first) or mdy (month first)"
            )
        if (root / DB_NAME).exists():
            raise CaseExists(
                f"There is already a case at {root}.",
                "open it with the other commands, or choose another folder",
            )
        if root.exists() and not root.is_dir():
            raise CaseExists(f"{root} exists and is not a folder.", "choose another path")
        root.mkdir(parents=True, exist_ok=True)
        (root / "objects").mkdir(exist_ok=True)
        (root / "tmp").mkdir(exist_ok=True)
        store = SqliteStore(root / DB_NAME)
        with store.transaction():
            store.set_meta("title", title or root.name)
            store.set_meta("tz", tz)
            store.set_meta("created_at", now_iso())
            store.set_meta("created_by", f"dossier {__version__}")
            if date_order:
                store.set_meta("date_order", date_order)
        return cls(root, store)

    @classmethod
    def open(cls, root: Path) -> Case:
        if not (root / DB_NAME).is_file():
            raise CaseNotFound(
                f"No case at {root}.",
                f"create one first: dossier init {root} --tz Europe/London",
            )
        (root / "objects").mkdir(exist_ok=True)
        (root / "tmp").mkdir(exist_ok=True)
        try:
            store = SqliteStore(root / DB_NAME)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            raise CaseError(
                f"{root / DB_NAME} is not a readable case database ({exc}).",
                "restore it from a backup; the originals in objects/ are untouched",
            ) from None
        return cls(root, store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- settings ------------------------------------------------------------------------

    @property
    def tz(self) -> str:
        return self.store.get_meta("tz") or "UTC"

    @property
    def title(self) -> str:
        return self.store.get_meta("title") or self.root.name

    @property
    def date_order(self) -> str | None:
        return self.store.get_meta("date_order")

    # --- original files ------------------------------------------------------------------

    def object_path(self, sha256: str) -> Path:
        """Where a large original lives on disk (small ones are in the database: see
        ``open_object``)."""
        return self.root / "objects" / sha256[:2] / sha256[2:]

    def has_object(self, sha256: str) -> bool:
        return self.store.has_blob(sha256) or self.object_path(sha256).is_file()

    def open_object(self, sha256: str) -> BinaryIO:
        """The stored original with this hash, for reading."""
        data = self.store.get_blob(sha256)
        if data is not None:
            return io.BytesIO(data)
        return open(self.object_path(sha256), "rb")

    def read_object(self, sha256: str) -> bytes:
        with self.open_object(sha256) as stream:
            return stream.read()

    def store_object(
        self, stream: BinaryIO, on_bytes: Callable[[int], None] | None = None
    ) -> tuple[str, int]:
        """Keep a stream's bytes under their SHA-256; returns (sha256, size).

        Files up to SMALL_OBJECT bytes go into the database (one row), larger ones into
        objects/ (written to tmp/ and renamed into place once complete).
        """
        head = _read_up_to(stream, SMALL_OBJECT + 1)
        if len(head) <= SMALL_OBJECT:
            sha = hashlib.sha256(head).hexdigest()
            self.store.put_blob(sha, head)
            if on_bytes:
                on_bytes(len(head))
            return sha, len(head)
        return self._store_file(head, stream, on_bytes)

    def _store_file(
        self, head: bytes, stream: BinaryIO, on_bytes: Callable[[int], None] | None
    ) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp", prefix="incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                chunk = head
                while chunk:
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
                    chunk = stream.read(CHUNK)
                # No fsync per file: the database does not fsync each commit either (WAL,
                # synchronous=NORMAL); after a crash, running the ingest again rewrites any
                # original that is missing, because every file is kept before it is looked up.
            sha = digest.hexdigest()
            final = self.object_path(sha)
            if final.exists():
                os.unlink(tmp_name)
            else:
                final.parent.mkdir(exist_ok=True)
                os.chmod(tmp_name, 0o444)
                os.replace(tmp_name, final)
            return sha, size
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def clean_tmp(self) -> None:
        """Remove leftovers of an interrupted ingest."""
        shutil.rmtree(self.root / "tmp", ignore_errors=True)
        (self.root / "tmp").mkdir(exist_ok=True)


def _read_up_to(stream: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes, fewer only at the end of the stream (reads may come up short)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)
