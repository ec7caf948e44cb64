"""What a format module provides.

A *message format* recognises its input from the first bytes and the file name, and turns a
byte stream into parse records (``dossier.model.ParseRecord``). It never touches the case.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from dossier.model import ParseRecord

# How many bytes of a file recognisers get to look at.
HEAD_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Choices the user (or the case) makes for a parse.

    ``date_order`` is "dmy" or "mdy" (or None: decide from the file). It only decides files
    whose dates cannot decide for themselves; the parser records which way it went.
    ``conversation`` is the chat's title when the container knows it (from the export's
    file name), used when the content does not say.
    """

    date_order: str | None = None
    conversation: str | None = None
    # Where the source sits in what was given ("slack/general/2020-01-01.json"; the path
    # inside an archive for members), for formats whose layout carries meaning.
    location: str | None = None
    # Reads a file beside the source, by a path relative to the source's folder
    # ("../users.json"); None when there is no such file. Bounded to what was given: it never
    # reads outside the folder or archive the user supplied.
    companion: Callable[[str], bytes | None] | None = None
    # Format-specific choices from the user, e.g. a CSV's column mapping ("sender=From").
    settings: Mapping[str, str] = field(default_factory=dict)
    # Told (done, total) now and then by a format whose records do not say where they sit in
    # the file (a .pst: items read of all it holds), to show how far a long read is.
    progress: Callable[[int, int], None] | None = None


class MessageFormat(Protocol):
    name: str
    platform: str
    # Files that belong to an export of this format without holding messages themselves
    # (Slack's users.json): kept as companions, not reported as unrecognised.
    companion_names: frozenset[str]

    def sniff(self, head: bytes, filename: str) -> float:
        """How sure we are, 0.0 to 1.0, that this is our format."""
        ...

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        """Yield records in file order. Must stream: never hold the whole file in memory."""
        ...


# Parsers make millions of short-lived tuples and strings, none of them in reference cycles,
# yet each few hundred allocations wake the cyclic garbage collector (about a tenth of the
# parse time on a big export). While records stream out, it is woken far less often.
_FEW_COLLECTIONS = 200_000


def relax_collector() -> None:
    """Raise the cyclic collector's first threshold for good (in a process that only reads)."""
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, _FEW_COLLECTIONS), second, third)


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Raise the cyclic collector's first threshold for a bulk job; restore it after."""
    before = gc.get_threshold()
    relax_collector()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def few_collections(records: Iterator[ParseRecord]) -> Iterator[ParseRecord]:
    """Yield ``records`` with the collector relaxed (see ``relaxed_gc``)."""
    with relaxed_gc():
        yield from records
