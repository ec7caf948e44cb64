"""The files an ingest looks at: on disk, or members of an archive, as uniform entries."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dossier.errors import InputError
from dossier.formats.registry import is_export_root


@dataclass(frozen=True, slots=True)
class Entry:
    label: str  # how the user sees it: a path, or "export.zip!/_chat.txt"
    name: str  # the file's own name (basename)
    size: int
    opener: Callable[[], BinaryIO]
    path: str  # the path on disk it came from (the archive's, for members)
    member_name: str | None = None  # path inside the parent archive
    on_disk: bool = True  # members live inside a stored archive and are not stored again
    # Reads a file beside this one by a relative path, within what the user gave (see
    # ParseOptions.companion); None where nothing may be read.
    companion: Callable[[str], bytes | None] | None = None

    @property
    def location(self) -> str:
        """Where the file sits: its path inside the archive, or on disk."""
        return self.member_name or self.path


# A companion file (a Slack export's users.json) bigger than this is not read.
MAX_COMPANION_BYTES = 64 * 1024 * 1024


def file_entry(path: Path | str, root: Path | None = None) -> Entry:
    """An entry for a file on disk. Its size is read now; it may still vanish later.
    ``root`` is the folder the user gave: companions are read from inside it only."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
        size, regular = info.st_size, stat.S_ISREG(info.st_mode)
    except OSError:
        size, regular = 0, True  # gone or unreadable: opening it says why
    return Entry(
        label=name,
        name=os.path.basename(name),
        size=size,
        opener=(lambda: open(name, "rb")) if regular else lambda: _not_a_file(name),
        path=name,
        companion=_disk_companions(name, root),
    )


def _not_a_file(path: str) -> BinaryIO:
    # Reading a pipe or a device would wait forever (or never end).
    raise OSError(f"not a regular file (a pipe, socket or device) at {path!r}; not read")


def _disk_companions(path: str, root: Path | None) -> Callable[[str], bytes | None]:
    def read(relative: str) -> bytes | None:
        folder = os.path.dirname(path)
        wanted = Path(os.path.normpath(os.path.join(folder, relative)))
        try:
            wanted.relative_to(os.path.normpath(root if root is not None else folder))
        except ValueError:
            return None  # outside what the user gave
        try:
            if not wanted.is_file() or wanted.stat().st_size > MAX_COMPANION_BYTES:
                return None
            return wanted.read_bytes()
        except OSError:
            return None

    return read


def check_paths(paths: list[Path]) -> None:
    """Refuse the whole run, before anything is written, if a path given does not exist."""
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        raise InputError(
            f"Not found: {', '.join(missing)}.",
            "check the path (nothing was ingested)",
        )


def walk_groups(paths: list[Path]) -> Iterator[list[Entry]]:
    """Groups of files that belong together: each folder's files, or a single file.

    Files in one folder are a group because an unpacked export keeps the chat text and its
    media side by side; the chat's attachments are looked up among them. Order is sorted, so
    two runs over the same inputs read them in the same order (stable ids).
    """
    for path in paths:
        if path.is_dir():
            for root_group, group in _walk_folder(path):
                yield [file_entry(name, root_group) for name in group]
        else:
            yield [file_entry(path)]


def walk_paths(paths: list[Path]) -> Iterator[list[str]]:
    """The paths of ``walk_groups``'s files, group by group in the same order, without
    looking at each file (a quick first pass)."""
    for path in paths:
        if path.is_dir():
            for _, group in _walk_folder(path):
                yield group
        else:
            yield [str(path)]


def _walk_folder(root: Path) -> Iterator[tuple[Path, list[str]]]:
    """(root, the paths of a group's files) for each group under root."""
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        if subfolders and is_export_root(files):
            # An export that keeps its media in subfolders (Telegram's photos/, files/):
            # the whole tree is one group, so the chat finds the files it names.
            yield root, list(_tree_files(folder))
            subfolders.clear()
            continue
        if files:
            yield root, [os.path.join(folder, name) for name in sorted(files)]


def _tree_files(top: str) -> Iterator[str]:
    for folder, subfolders, files in os.walk(top):
        subfolders.sort()
        for name in sorted(files):
            yield os.path.join(folder, name)


def total_size(paths: list[Path]) -> int:
    total = 0
    for group in walk_groups(paths):
        total += sum(entry.size for entry in group)
    return total
