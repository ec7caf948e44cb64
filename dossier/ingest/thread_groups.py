"""Threading a big case in parts, so that its memory stays bounded.

Threading holds what it threads (ids, references, subjects, the JWZ table: about 1.3 KB an
email), so a million emails threaded at once would need well over a gigabyte. But a thread
never crosses the links threading follows: a Message-ID two emails share (their own, one
replied to, one referred to, a lost one both name) and, for the subject fallback, the
normalised subject of a reply that names no other message. The case is split along them into
groups closed under those links (the connected components of a union-find over the emails),
and the groups are threaded a batch at a time. Each group is threaded as a whole, in the
order the whole case would be, so the threads are the ones threading everything gives.

Finding the groups holds about 33 bytes an email (four arrays); the links themselves (a
64-bit hash of each id and subject, with the email's number) go to a scratch database, where
they are sorted so that the emails sharing one come together. A hash that two different ids
happened to share would only put two groups into one batch, which changes nothing.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator

from dossier.email.threads import ThreadInput, link_ids, may_join_by_subject, normalise_subject
from dossier.ingest.report import Progress
from dossier.store.sqlite import SqliteStore
from dossier.store.thread_links import ThreadRow

ThreadBatch = Callable[[SqliteStore, Iterable[ThreadRow]], None]  # threads one batch of rows

BATCH_EMAILS = 20_000  # emails threaded at once (a bigger group is threaded alone)
PROGRESS_EVERY = 10_000  # emails read between two moves of the progress bar
# A link row's flag. The emails sharing a link are joined if any of their rows says so: an id
# always does; a subject only for an email the subject fallback may place.
_JOINS, _JOINS_IF_ANOTHER_DOES = 1, 0


def thread_in_groups(store: SqliteStore, thread: ThreadBatch, progress: Progress) -> None:
    """Thread every group of the case that holds an email waiting to be threaded;
    ``thread`` threads one batch of rows (``threading._thread``)."""
    keys = array("q")  # email number -> its message id
    waiting = bytearray()  # email number -> 1 if it waits to be threaded
    progress.begin("email threads: links", store.email_count(), unit="email")
    with store.link_scratch() as scratch:
        scratch.add(_links(store.thread_links(), keys, waiting, progress))
        groups = _Groups(len(keys))
        groups.join_linked(scratch.sorted_links())
    progress.end()
    batches = groups.batches(keys, waiting)
    progress.begin("email threads", groups.to_thread, unit="email")
    for batch in batches:
        thread(store, store.thread_inputs_of(batch))
        progress.advance(len(batch))
    progress.end()


def _links(
    rows: Iterable[tuple[int, str, str, str, str, int]],
    keys: array[int],
    waiting: bytearray,
    progress: Progress,
) -> Iterator[tuple[int, int, int]]:
    """(link, email number, flag) for every id an email may be threaded by, and its subject."""
    for key, message_id, in_reply_to, refs, subject, unthreaded in rows:
        number = len(keys)
        if number % PROGRESS_EVERY == 0 and number:
            progress.advance(PROGRESS_EVERY)
        keys.append(key)
        waiting.append(1 if unthreaded else 0)
        for link in link_ids(message_id, in_reply_to, refs):
            yield hash(link), number, _JOINS
        normalised, _ = normalise_subject(subject)
        if normalised:
            item = ThreadInput(key, message_id, tuple(in_reply_to.split()), tuple(refs.split()),
                               subject)  # fmt: skip
            flag = _JOINS if may_join_by_subject(item) else _JOINS_IF_ANOTHER_DOES
            yield hash(("subject", normalised)), number, flag


class _Groups:
    """A union-find over the emails (by number); each group's root is its smallest number."""

    def __init__(self, size: int) -> None:
        self.up = array("q", range(size))
        self.to_thread = 0  # emails in the groups ``batches`` gives (known once it is called)

    def find(self, node: int) -> int:
        up = self.up
        while up[node] != node:
            up[node] = up[up[node]]  # path halving keeps later finds short
            node = up[node]
        return node

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.up[max(ra, rb)] = min(ra, rb)

    def join_linked(self, rows: Iterable[tuple[int, int, int]]) -> None:
        """Join the emails of each link: always for an id; for a subject, only when one of
        them may be placed by it (else the subject links nothing)."""
        current: int | None = None
        members: list[int] = []
        joins = False
        for link, number, flag in rows:
            if link != current:
                self._join(members, joins)
                current, members, joins = link, [], False
            members.append(number)
            joins = joins or flag == _JOINS
        self._join(members, joins)

    def _join(self, members: list[int], joins: bool) -> None:
        if joins:
            first = members[0]
            for other in members[1:]:
                self.union(first, other)

    def batches(self, keys: array[int], waiting: bytearray) -> Iterator[list[int]]:
        """The message ids of the groups holding a waiting email, whole groups at a time, in
        batches of about ``BATCH_EMAILS``. (Not a generator itself: ``to_thread`` is set
        when it returns.)"""
        size = len(self.up)
        first = array("q", [-1]) * size  # a group's root -> its first member
        after = array("q", [-1]) * size  # member -> the next member of its group
        touched = bytearray(size)  # a group's root -> 1 if it holds a waiting email
        for number in reversed(range(size)):
            root = self.find(number)
            after[number] = first[root]
            first[root] = number
            if waiting[number]:
                touched[root] = 1
        self.to_thread = sum(1 for number in range(size) if touched[self.find(number)])
        return self._batches(keys, first, after, touched)

    def _batches(
        self, keys: array[int], first: array[int], after: array[int], touched: bytearray
    ) -> Iterator[list[int]]:
        batch: list[int] = []
        for root in range(len(first)):
            if not touched[root]:
                continue  # threaded before, and nothing new can reach it
            member = first[root]
            while member != -1:
                batch.append(keys[member])
                member = after[member]
            if len(batch) >= BATCH_EMAILS:
                yield batch
                batch = []
        if batch:
            yield batch
