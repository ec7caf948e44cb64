"""Threads: every email of the case grouped by Message-ID / In-Reply-To / References.

Run at the end of an ingest, so a reply ingested today joins the thread of a message ingested
last week. A thread is a conversation; its uid comes from the thread's top Message-ID, so it
does not change when more of the thread arrives.

A new email is stored straight into the conversation its own headers point at (the top of its
References: ``lone_thread_uid``), and listed as unthreaded. Most emails are already where the
threading puts them, so it moves few (moving one rewrites its message row). When the new
emails are few beside the case, only the threads they can touch are made again: their own,
and every thread holding an email that shares a Message-ID with them (its own, one it replies
to or refers to, or a lost message both refer to) or a subject (for the subject fallback).
Threads are closed under those links, so threading that part alone gives what threading the
whole case would; the rest of the case is read one row at a time and not held.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from dossier.email.threads import (
    NO_SUBJECT,
    ThreadInput,
    link_ids,
    normalise_subject,
    thread_messages,
    thread_uid,
)
from dossier.ingest.report import NoProgress, Progress
from dossier.ingest.thread_groups import PROGRESS_EVERY, thread_in_groups
from dossier.store.sqlite import SqliteStore
from dossier.store.thread_links import ThreadRow
from dossier.timeutil import now_iso

# More new emails than this share of the case: thread the whole case at once (most of it would
# be touched anyway).
WHOLE_CASE_SHARE = 0.25
# Threading holds about 1.3 KB an email: up to this many are threaded in one piece; more, in
# groups that do not touch each other (``thread_groups``), a batch at a time.
IN_MEMORY_EMAILS = 50_000


def thread_case(store: SqliteStore, progress: Progress | None = None) -> int:
    """Put every new email in its thread's conversation, and regroup the threads they join;
    returns the number of threads in the case."""
    waiting = store.unthreaded_count()
    if waiting:
        _thread_waiting(store, waiting, progress or NoProgress())
        store.clear_unthreaded()
        store.drop_empty_conversations("email")
    return store.email_conversation_count()


def _thread_waiting(store: SqliteStore, waiting: int, progress: Progress) -> None:
    total = store.email_count()
    if waiting <= WHOLE_CASE_SHARE * total and waiting <= IN_MEMORY_EMAILS:
        # few beside the case: only the threads they can touch
        touched = _touched_conversations(store, store.unthreaded_emails(), total, progress)
        _thread(store, store.thread_inputs(sorted(touched)))
    elif total <= IN_MEMORY_EMAILS:
        _thread(store, store.thread_inputs())  # the whole case, in one piece
    else:
        thread_in_groups(store, _thread, progress)  # memory bounded, however big the case


def _touched_conversations(
    store: SqliteStore,
    new: Sequence[tuple[int, str, str, str, str, int, int]],
    total: int,
    progress: Progress,
) -> set[int]:
    """The new emails' conversations, and those with an email that shares a Message-ID or a
    subject with a new one."""
    ids = set().union(*(link_ids(row[1], row[2], row[3]) for row in new))
    subjects = {normalise_subject(row[4])[0] for row in new}
    touched = {row[6] for row in new}
    progress.begin("email threads: links", total, unit="email")
    for number, row in enumerate(store.email_links(), 1):
        if number % PROGRESS_EVERY == 0:
            progress.advance(PROGRESS_EVERY)
        message_id, in_reply_to, refs, subject, conversation = row
        if conversation in touched:
            continue
        if not ids.isdisjoint(link_ids(message_id, in_reply_to, refs)) or (
            normalise_subject(subject)[0] in subjects
        ):
            touched.add(conversation)
    progress.end()
    return touched


def _thread(store: SqliteStore, rows: Iterable[ThreadRow]) -> None:
    """Thread ``rows`` and put each in its thread's conversation."""
    # In message id order, whichever rows are asked for: where the order decides (a
    # Message-ID used twice, References that disagree) every way of threading decides alike.
    items = [
        ThreadInput(
            key=key,
            message_id=message_id,
            in_reply_to=_ids(in_reply_to),
            references=_ids(refs),
            subject=subject,
            sent_at=sent_at or None,
        )
        for key, message_id, in_reply_to, refs, subject, sent_at in sorted(rows)
    ]
    if not items:
        return
    by_key = {item.key: item for item in items}
    current = store.message_conversations(list(by_key))
    threads = thread_messages(items)
    # The root's own subject, as written (the thread's key subject is normalised).
    titles = [by_key[t.root_key].subject or t.subject or NO_SUBJECT for t in threads]
    uids = [thread_uid(t, {k: by_key[k].message_id for k in t.keys}) for t in threads]
    conversations = store.email_conversations(uids, titles, now_iso())
    moves = [
        (conversation, key)
        for thread, conversation in zip(threads, conversations, strict=True)
        for key in thread.keys
        if current.get(key) != conversation
    ]
    store.move_to_conversations(moves)
    # Its first message may be another now, or it was named after the first email stored.
    store.set_conversation_titles(list(zip(titles, conversations, strict=True)))


def _ids(text: str) -> tuple[str, ...]:
    # Interned: a reply carries the ids of the whole chain before it, so the same id appears
    # in many emails of a thread; held once, the whole case's references fit in less memory.
    return tuple(map(sys.intern, text.split()))
