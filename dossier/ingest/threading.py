"""Threads: every email of the case grouped by Message-ID / In-Reply-To / References.

Run at the end of an ingest, so a reply ingested today joins the thread of a message ingested
last week. A thread is a conversation; its uid comes from the thread's root, so it does not
change when more of the thread arrives.

New emails wait in the "unthreaded" conversation. When they are few beside the case, only the
threads they can touch are made again: the new emails, and every thread holding an email that
shares a Message-ID with them (its own, one it replies to or refers to, or a lost message both
refer to) or a subject (for the subject fallback). Threads are closed under those links, so
threading that part alone gives what threading the whole case would; the rest of the case is
read one row at a time and not held.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from dossier.email.threads import (
    ThreadInput,
    clean_id,
    normalise_subject,
    thread_messages,
    thread_uid,
)
from dossier.store.sqlite import SqliteStore
from dossier.timeutil import now_iso

# More new emails than this share of the case: thread the whole case at once (most of it would
# be touched anyway).
WHOLE_CASE_SHARE = 0.25

ThreadRow = tuple[int, str, str, str, str, int]  # see SqliteStore.thread_inputs


def thread_case(store: SqliteStore) -> int:
    """Assign every new email to its thread's conversation, and regroup the threads they
    join; returns the number of threads in the case."""
    from dossier.ingest.mail import UNTHREADED

    waiting = store.conversation_by_uid(UNTHREADED)
    if waiting is None:
        return store.email_conversation_count()
    new = list(store.thread_inputs([waiting]))
    if len(new) > WHOLE_CASE_SHARE * store.email_count():
        _thread(store, store.thread_inputs())
    else:
        touched = _touched_conversations(store, new, waiting)
        _thread(store, [*new, *store.thread_inputs(sorted(touched))])
    store.drop_empty_conversations("email")
    return store.email_conversation_count()


def _touched_conversations(store: SqliteStore, new: list[ThreadRow], waiting: int) -> set[int]:
    """The conversations with an email that shares a Message-ID or a subject with a new one."""
    ids = set().union(*(_link_ids(row[1], row[2], row[3]) for row in new))
    subjects = {normalise_subject(row[4])[0] for row in new}
    touched: set[int] = set()
    for message_id, in_reply_to, refs, subject, conversation in store.email_links():
        if conversation == waiting or conversation in touched:
            continue
        if not ids.isdisjoint(_link_ids(message_id, in_reply_to, refs)) or (
            normalise_subject(subject)[0] in subjects
        ):
            touched.add(conversation)
    return touched


def _link_ids(message_id: str, in_reply_to: str, refs: str) -> set[str]:
    """Every id an email may be linked by (a superset of what threading uses)."""
    found = {clean_id(token) for token in (*in_reply_to.split(), *refs.split())}
    found.add(clean_id(message_id))
    found.discard("")
    return found


def _thread(store: SqliteStore, rows: Iterable[ThreadRow]) -> None:
    """Thread ``rows`` and put each in its thread's conversation."""
    items = [
        ThreadInput(
            key=key,
            message_id=message_id,
            in_reply_to=_ids(in_reply_to),
            references=_ids(refs),
            subject=subject,
            sent_at=sent_at or None,
        )
        for key, message_id, in_reply_to, refs, subject, sent_at in rows
    ]
    if not items:
        return
    by_key = {item.key: item for item in items}
    current = store.message_conversations(list(by_key))
    threads = thread_messages(items)
    # The root's own subject, as written (the thread's key subject is normalised).
    titles = [by_key[t.root_key].subject or t.subject or "(no subject)" for t in threads]
    uids = [thread_uid(t, {k: by_key[k].message_id for k in t.keys}) for t in threads]
    conversations = store.email_conversations(uids, titles, now_iso())
    moves: list[tuple[int, int]] = []
    retitled: list[tuple[str, int]] = []
    for thread, title, conversation in zip(threads, titles, conversations, strict=True):
        moved = [(conversation, key) for key in thread.keys if current.get(key) != conversation]
        if moved:
            moves.extend(moved)
            retitled.append((title, conversation))  # its first message may be another now
    store.move_to_conversations(moves)
    store.set_conversation_titles(retitled)


def _ids(text: str) -> tuple[str, ...]:
    # Interned: a reply carries the ids of the whole chain before it, so the same id appears
    # in many emails of a thread; held once, the whole case's references fit in less memory.
    return tuple(map(sys.intern, text.split()))
