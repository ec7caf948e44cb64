"""Threads: every email of the case grouped by Message-ID / In-Reply-To / References.

Run once at the end of an ingest, over the whole case, so a reply ingested today joins the
thread of a message ingested last week. A thread is a conversation; its uid comes from the
thread's root, so it does not change when more of the thread arrives.
"""

from __future__ import annotations

from dossier.store.sqlite import SqliteStore
from dossier.timeutil import now_iso


def thread_case(store: SqliteStore) -> int:
    """Assign every email to its thread's conversation; returns the number of threads."""
    from dossier.email.threads import ThreadInput, thread_messages, thread_uid

    rows = store.thread_inputs()
    if not rows:
        return 0
    items = [
        ThreadInput(
            key=key,
            message_id=message_id,
            in_reply_to=tuple(in_reply_to.split()),
            references=tuple(refs.split()),
            subject=subject,
            sent_at=sent_at or None,
        )
        for key, message_id, in_reply_to, refs, subject, sent_at in rows
    ]
    ids_by_key = {key: message_id for key, message_id, *_ in rows}
    subjects = {row[0]: row[4] for row in rows}
    current = store.message_conversations([row[0] for row in rows])
    threads = thread_messages(items)
    for thread in threads:
        # The root's own subject, as written (the thread's key subject is normalised).
        title = subjects.get(thread.root_key) or thread.subject or "(no subject)"
        conversation = store.add_conversation(
            thread_uid(thread, ids_by_key), "email", title, now_iso()
        )
        moved = [key for key in thread.keys if current.get(key) != conversation]
        if moved:
            store.set_conversation(conversation, moved)
    store.drop_empty_conversations("email")
    return len(threads)
