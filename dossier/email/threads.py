"""Email threads: Jamie Zawinski's algorithm (RFC 5256 THREAD=REFERENCES), iteratively.

Pure: ``thread_messages`` takes what the caller read from each message's headers and returns
threads; nothing here touches files or the case store.

How a thread is built (https://www.jwz.org/doc/threading.html):

1. Every Message-ID gets a container. A referenced message that is not in the input gets an
   empty ("phantom") container, so replies to a lost message still meet in one thread.
2. The References chain links each id under the one before it, unless that id already has a
   parent or the link would close a loop. The message itself goes under its parent, which is
   In-Reply-To when it names a message id, else the last reference. In-Reply-To wins, as in
   notmuch: mailers reorder or truncate References, but In-Reply-To names what was answered.
3. A second message with an id already taken (list copies, re-sent mail) gets a container of
   its own: it is a distinct message with its own bytes. It joins the thread of the first copy.
4. Phantoms are skipped when parents are reported (``parent_of`` names the nearest real
   ancestor); a phantom root with several children leaves them as several top-level messages
   of one thread.
5. Subject fallback, only for a message with no References or In-Reply-To at all and a reply
   subject ("Re: budget"): it joins the thread whose first message has the same normalised
   subject and started within ``SUBJECT_WINDOW`` seconds before it. Two unrelated "Hello" mails
   never merge, and neither does an old "Re: budget" with this year's "budget".

Everything is a loop or a table walk, never recursion, so a 5,000-reply chain is fine, and
the work is about linear in the number of messages and references.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

NO_SUBJECT = "(no subject)"  # a thread's title when its first message has none
SUBJECT_WINDOW = 30 * 24 * 3600  # a reply by subject only is trusted within 30 days

_NO_PARENT = -1

# One leading "[list tag]" or reply/forward marker (English, German, Nordic, Dutch), with an
# optional counter as in "Re[2]:" or "AW(3):". Applied repeatedly.
_TAG = re.compile(r"\s*\[[^\]]*\]\s*")
_REPLY = re.compile(r"\s*(?:re|fwd?|aw|sv|wg|vs|antw)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.I)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ThreadInput:
    key: int  # the caller's message id
    message_id: str  # "" if none; angle brackets optional
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subject: str = ""
    sent_at: int | None = None  # epoch seconds


@dataclass(frozen=True, slots=True)
class Thread:
    root_key: int  # the earliest real message of the thread
    keys: tuple[int, ...]  # time order (undated messages last, then by key)
    subject: str  # normalised subject of the root
    parent_of: dict[int, int | None] = field(default_factory=dict)
    # Message-ID at the top of the tree, phantom or real: it stays the same when replies
    # arrive later or the lost first message turns up, so it anchors ``thread_uid``.
    origin_id: str = ""


@functools.lru_cache(maxsize=1 << 16)  # a case repeats its subjects ("Re: budget") many times
def normalise_subject(subject: str) -> tuple[str, bool]:
    """The subject without list tags and reply markers, casefolded; and whether it was a reply."""
    text = subject
    reply = False
    while True:
        match = _TAG.match(text) or _REPLY.match(text)
        if match is None or match.end() == 0:
            break
        reply = reply or match.re is _REPLY
        text = text[match.end() :]
    return _SPACE.sub(" ", text).strip().casefold(), reply


def thread_uid(thread: Thread, message_ids_by_key: Mapping[int, str]) -> str:
    """A stable id for a thread: the same whatever order the messages were read in."""
    anchor = thread.origin_id
    if not anchor:
        ids = [message_ids_by_key.get(k, "") for k in thread.keys]
        anchor = min((clean_id(i) for i in ids if clean_id(i)), default="")
    if not anchor:
        # No Message-ID anywhere: the caller's keys are stable between runs (DESIGN rule 5).
        anchor = f"key:{min(thread.keys)}"
    return _uid_of(anchor)


def lone_thread_uid(key: int, message_id: str, in_reply_to: str, references: str) -> str:
    """``thread_uid`` of one message threaded on its own (ids as stored: separated by spaces).
    It names the message's thread until the case is threaded, and most messages keep it: the
    top of a message's own References is usually its thread's top."""
    own = clean_id(message_id)
    item = ThreadInput(key, message_id, tuple(in_reply_to.split()), tuple(references.split()))
    chain = _chain(item, own)
    return _uid_of(chain[0] if chain else own or f"key:{key}")


def link_ids(message_id: str, in_reply_to: str, references: str) -> set[str]:
    """Every id a message may be threaded by (ids as stored: separated by spaces); a superset
    of what threading uses, as In-Reply-To prose is kept."""
    found = {clean_id(token) for token in (*in_reply_to.split(), *references.split())}
    found.add(clean_id(message_id))
    found.discard("")
    return found


def may_join_by_subject(item: ThreadInput) -> bool:
    """Whether the subject fallback (step 5 above) may place this message: a reply subject
    and no reference to any other message."""
    return normalise_subject(item.subject)[1] and not _chain(item, clean_id(item.message_id))


def _uid_of(anchor: str) -> str:
    return "t" + hashlib.sha256(anchor.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def thread_messages(items: Sequence[ThreadInput]) -> list[Thread]:
    """Group messages into threads; each thread lists its messages in time order."""
    table = _Table()
    chains = [table.add(item, index) for index, item in enumerate(items)]
    top, real_parent = table.resolve()
    groups = _UnionFind(len(table.parent))
    for dup, first in table.duplicates:
        groups.union(top[dup], top[first])
    subject_parent = _merge_by_subject(items, chains, table, top, groups)
    return _build_threads(items, table, top, real_parent, subject_parent, groups)


def clean_id(raw: str) -> str:
    """A Message-ID as compared: without spaces and angle brackets."""
    return raw.strip().strip("<>").strip()


def _order(item: ThreadInput) -> tuple[bool, int, int]:
    return (item.sent_at is None, item.sent_at or 0, item.key)


def _chain(item: ThreadInput, own_id: str) -> list[str]:
    """Ancestor ids, oldest first, ending with the parent. Self-references are dropped."""
    seen: dict[str, None] = {}
    for raw in item.references:
        ref = clean_id(raw)
        if ref and ref != own_id:
            seen.setdefault(ref, None)
    # In-Reply-To often carries prose ("your message of ..."): only a real id counts.
    replied = next((r for r in map(clean_id, item.in_reply_to) if "@" in r), "")
    if replied and replied != own_id:
        seen.pop(replied, None)
        seen[replied] = None
    return list(seen)


class _Table:
    """Containers held in parallel lists (fast for 100k messages): id, message, parent."""

    def __init__(self) -> None:
        self.by_id: dict[str, int] = {}
        self.ids: list[str] = []
        self.message: list[int] = []  # index into the input, or -1 for a phantom
        self.parent: list[int] = []
        self.children: list[int] = []  # count only; lists are built once at the end
        self.duplicates: list[tuple[int, int]] = []  # (copy's container, first container)

    def _new(self, msg_id: str, message: int) -> int:
        self.ids.append(msg_id)
        self.message.append(message)
        self.parent.append(_NO_PARENT)
        self.children.append(0)
        return len(self.ids) - 1

    def container(self, msg_id: str) -> int:
        found = self.by_id.get(msg_id)
        if found is None:
            found = self.by_id[msg_id] = self._new(msg_id, -1)
        return found

    def add(self, item: ThreadInput, message: int) -> list[str]:
        """Place one message and link its ancestors; returns its chain of ancestor ids."""
        own_id = clean_id(item.message_id)
        index = self._place(own_id)
        self.message[index] = message
        chain = _chain(item, own_id)
        conts = [self.container(ref) for ref in chain]
        for older, newer in itertools.pairwise(conts):
            if self.parent[newer] == _NO_PARENT:
                self.link(newer, older)
        if conts:
            self.reparent(index, conts[-1])
        return chain

    def _place(self, own_id: str) -> int:
        if not own_id:
            return self._new("", -1)
        found = self.by_id.get(own_id)
        if found is None:
            return self.container(own_id)
        if self.message[found] == -1:
            return found  # a phantom made by an earlier reply: fill it
        copy = self._new(own_id, -1)
        self.duplicates.append((copy, found))
        return copy

    def would_loop(self, child: int, parent: int) -> bool:
        if child == parent:
            return True
        if self.children[child] == 0:
            return False  # a leaf cannot be an ancestor of anything
        node = parent
        while node != _NO_PARENT:
            if node == child:
                return True
            node = self.parent[node]
        return False

    def link(self, child: int, parent: int) -> None:
        if not self.would_loop(child, parent):
            self.parent[child] = parent
            self.children[parent] += 1

    def reparent(self, child: int, parent: int) -> None:
        """The message's own headers name its parent: they override a link guessed earlier."""
        old = self.parent[child]
        if old == parent or self.would_loop(child, parent):
            return
        if old != _NO_PARENT:
            self.children[old] -= 1
        self.parent[child] = _NO_PARENT
        self.link(child, parent)

    def resolve(self) -> tuple[list[int], list[int]]:
        """For each container: the top of its tree, and its nearest real (non-phantom) ancestor."""
        size = len(self.parent)
        kids: list[list[int]] = [[] for _ in range(size)]
        for node, par in enumerate(self.parent):
            if par != _NO_PARENT:
                kids[par].append(node)
        top = [_NO_PARENT] * size
        real_parent = [_NO_PARENT] * size
        for root in range(size):
            if self.parent[root] == _NO_PARENT:
                self._walk(root, kids, top, real_parent)
        return top, real_parent

    def _walk(self, root: int, kids: list[list[int]], top: list[int], real: list[int]) -> None:
        top[root] = root
        stack = [root]
        while stack:
            node = stack.pop()
            nearest = node if self.message[node] != -1 else real[node]
            for child in kids[node]:
                top[child] = root
                real[child] = nearest
                stack.append(child)


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.up = list(range(size))

    def find(self, node: int) -> int:
        root = node
        while self.up[root] != root:
            root = self.up[root]
        while self.up[node] != root:  # path compression keeps later finds short
            self.up[node], node = root, self.up[node]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.up[max(ra, rb)] = min(ra, rb)


def _header_threads(items: Sequence[ThreadInput], table: _Table, top: list[int]) -> dict[int, int]:
    """Each tree top -> index of its earliest message (trees built from headers only)."""
    first: dict[int, int] = {}
    for cont, msg in enumerate(table.message):
        if msg == -1:
            continue
        t = top[cont]
        if t not in first or _order(items[msg]) < _order(items[first[t]]):
            first[t] = msg
    return first


def _merge_by_subject(
    items: Sequence[ThreadInput],
    chains: list[list[str]],
    table: _Table,
    top: list[int],
    groups: _UnionFind,
) -> dict[int, int]:
    """Join reference-less replies to the thread they answer by subject; their new parents."""
    first = _header_threads(items, table, top)
    starts: dict[str, list[tuple[int, int]]] = {}
    for t, msg in first.items():
        subject, _ = normalise_subject(items[msg].subject)
        when = items[msg].sent_at
        if subject and when is not None:
            starts.setdefault(subject, []).append((when, t))
    for entries in starts.values():
        entries.sort()
    new_parent: dict[int, int] = {}
    for cont, msg in enumerate(table.message):
        if msg == -1 or chains[msg] or table.parent[cont] != _NO_PARENT:
            continue
        target = _subject_target(items[msg], starts, top[cont])
        if target is not None:
            groups.union(top[cont], target)
            new_parent[msg] = first[target]
    return new_parent


def _subject_target(
    item: ThreadInput, starts: Mapping[str, list[tuple[int, int]]], own_top: int
) -> int | None:
    subject, reply = normalise_subject(item.subject)
    if not reply or not subject or item.sent_at is None:
        return None
    entries = starts.get(subject, [])
    # The latest thread that started at or before this reply, within the window.
    pos = bisect.bisect_right(entries, item.sent_at, key=lambda entry: entry[0])
    for when, t in reversed(entries[:pos]):
        if item.sent_at - when > SUBJECT_WINDOW:
            return None
        if t != own_top:
            return t
    return None


def _build_threads(
    items: Sequence[ThreadInput],
    table: _Table,
    top: list[int],
    real_parent: list[int],
    subject_parent: Mapping[int, int],
    groups: _UnionFind,
) -> list[Thread]:
    members: dict[int, list[int]] = {}
    for cont, msg in enumerate(table.message):
        if msg != -1:
            members.setdefault(groups.find(top[cont]), []).append(cont)
    parent_msg = {
        table.message[c]: table.message[p] if p != _NO_PARENT else -1
        for c, p in enumerate(real_parent)
        if table.message[c] != -1
    }
    parent_msg.update(subject_parent)
    threads = []
    for conts in members.values():
        conts.sort(key=lambda c: _order(items[table.message[c]]))
        msgs = [table.message[c] for c in conts]
        origin = table.ids[top[conts[0]]]
        threads.append((_order(items[msgs[0]]), _make_thread(items, msgs, parent_msg, origin)))
    threads.sort(key=lambda pair: pair[0])
    return [thread for _, thread in threads]


def _make_thread(
    items: Sequence[ThreadInput], msgs: list[int], parent_msg: Mapping[int, int], origin: str
) -> Thread:
    subject = next((s for m in msgs if (s := normalise_subject(items[m].subject)[0])), "")
    parents = {
        items[m].key: items[parent_msg[m]].key if parent_msg[m] != -1 else None for m in msgs
    }
    return Thread(
        root_key=items[msgs[0]].key,
        keys=tuple(items[m].key for m in msgs),
        subject=subject,
        parent_of=parents,
        origin_id=origin,
    )
