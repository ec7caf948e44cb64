"""JWZ threading: synthetic edge cases, then the real linux-mips list and notmuch's fixtures."""

from __future__ import annotations

import email
import email.policy
import email.utils
import mailbox
import re
import time
from email.message import Message
from pathlib import Path

import pytest

from dossier.email.threads import (
    SUBJECT_WINDOW,
    Thread,
    ThreadInput,
    normalise_subject,
    thread_messages,
    thread_uid,
)
from tests.conftest import corpora

DAY = 24 * 3600


def _corpus() -> Path:
    return corpora() / "email"


CORPUS = _corpus()
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"email corpus not found at {CORPUS} (set DOSSIER_CORPORA)"
)


def msg(
    key: int,
    mid: str,
    subject: str = "s",
    at: int | None = None,
    irt: tuple[str, ...] = (),
    refs: tuple[str, ...] = (),
) -> ThreadInput:
    return ThreadInput(key, mid, irt, refs, subject, key * 60 if at is None else at)


def thread_of(threads: list[Thread], key: int) -> Thread:
    return next(t for t in threads if key in t.keys)


# --- synthetic cases -------------------------------------------------------------------------


def test_reply_joins_parent_and_keys_are_in_time_order() -> None:
    threads = thread_messages([msg(2, "b@x", "Re: plan", irt=("a@x",)), msg(1, "a@x", "plan")])
    assert len(threads) == 1
    assert threads[0].keys == (1, 2)
    assert threads[0].root_key == 1
    assert threads[0].subject == "plan"
    assert threads[0].parent_of == {1: None, 2: 1}


def test_self_reference_is_ignored() -> None:
    threads = thread_messages([msg(1, "a@x", irt=("a@x",), refs=("a@x",))])
    assert [t.keys for t in threads] == [(1,)]
    assert threads[0].parent_of == {1: None}


def test_reply_read_before_its_parent() -> None:
    items = [msg(3, "c@x", refs=("a@x", "b@x")), msg(2, "b@x", refs=("a@x",)), msg(1, "a@x")]
    threads = thread_messages(items)
    assert len(threads) == 1
    assert threads[0].parent_of == {1: None, 2: 1, 3: 2}


def test_missing_parent_becomes_a_phantom_that_holds_siblings_together() -> None:
    items = [msg(1, "b@x", irt=("lost@x",)), msg(2, "c@x", irt=("lost@x",))]
    threads = thread_messages(items)
    assert len(threads) == 1
    assert threads[0].parent_of == {1: None, 2: None}  # the phantom is not reported
    assert threads[0].origin_id == "lost@x"


def test_missing_middle_message_is_skipped_in_parents() -> None:
    threads = thread_messages([msg(1, "a@x"), msg(2, "c@x", refs=("a@x", "lost@x"))])
    assert threads[0].parent_of == {1: None, 2: 1}


def test_in_reply_to_loop_gives_one_thread_without_hanging() -> None:
    items = [msg(1, "a@x", irt=("b@x",)), msg(2, "b@x", irt=("a@x",))]
    threads = thread_messages(items)
    assert len(threads) == 1
    parents = threads[0].parent_of
    assert list(parents.values()).count(None) == 1  # exactly one top, so no cycle


def test_references_loop_gives_one_thread() -> None:
    items = [
        msg(1, "a@x", refs=("b@x", "c@x")),
        msg(2, "b@x", refs=("c@x", "a@x")),
        msg(3, "c@x", refs=("a@x", "b@x")),
    ]
    threads = thread_messages(items)
    assert len(threads) == 1
    assert list(threads[0].parent_of.values()).count(None) == 1


def test_same_subject_without_reply_marker_is_not_merged() -> None:
    threads = thread_messages([msg(1, "a@x", "Hello"), msg(2, "b@x", "Hello")])
    assert len(threads) == 2


def test_reply_subject_without_references_joins_by_subject() -> None:
    items = [msg(1, "a@x", "Budget 2024"), msg(2, "b@x", "RE: [team] Budget  2024")]
    threads = thread_messages(items)
    assert len(threads) == 1
    assert threads[0].parent_of == {1: None, 2: 1}


def test_reply_subject_outside_the_window_is_not_merged() -> None:
    items = [msg(1, "a@x", "Budget", at=0), msg(2, "b@x", "Re: Budget", at=SUBJECT_WINDOW + DAY)]
    assert len(thread_messages(items)) == 2


def test_reply_subject_does_not_join_a_later_thread() -> None:
    items = [msg(1, "a@x", "Re: Budget", at=0), msg(2, "b@x", "Budget", at=DAY)]
    assert len(thread_messages(items)) == 2


def test_reply_with_references_is_not_moved_by_subject() -> None:
    items = [msg(1, "a@x", "Budget"), msg(2, "b@x", "Re: Budget", irt=("other@x",))]
    assert len(thread_messages(items)) == 2


def test_duplicate_message_ids_stay_distinct_messages_in_one_thread() -> None:
    items = [msg(1, "a@x"), msg(2, "a@x"), msg(3, "b@x", irt=("a@x",))]
    threads = thread_messages(items)
    assert len(threads) == 1
    assert threads[0].keys == (1, 2, 3)
    assert threads[0].parent_of[3] == 1  # replies attach to the first copy


def test_messages_without_ids_are_threads_of_their_own() -> None:
    assert len(thread_messages([msg(1, ""), msg(2, "")])) == 2


def test_in_reply_to_prose_is_ignored() -> None:
    items = [msg(1, "a@x"), msg(2, "b@x", irt=("your message of Monday",), refs=("a@x",))]
    assert thread_messages(items)[0].parent_of == {1: None, 2: 1}


def test_long_chain_needs_no_recursion() -> None:
    n = 5000
    items = [msg(i, f"{i}@x", irt=(f"{i - 1}@x",) if i else ()) for i in range(n)]
    threads = thread_messages(list(reversed(items)))
    assert len(threads) == 1
    assert threads[0].keys == tuple(range(n))
    assert threads[0].parent_of[n - 1] == n - 2


def test_hundred_thousand_messages_are_fast() -> None:
    n = 100_000
    items = []
    for i in range(n):
        parent = (f"{(i * 7919) % i}@x",) if i % 5 else ()
        items.append(msg(i, f"{i}@x", "Re: s" if parent else f"s{i}", irt=parent, refs=parent))
    started = time.perf_counter()
    threads = thread_messages(items)
    assert time.perf_counter() - started < 5
    assert sum(len(t.keys) for t in threads) == n


def test_thread_uid_does_not_depend_on_input_order() -> None:
    items = [msg(1, "a@x"), msg(2, "b@x", irt=("a@x",)), msg(3, "c@x", irt=("b@x",))]
    ids = {i.key: i.message_id for i in items}
    first = thread_uid(thread_messages(items)[0], ids)
    again = thread_uid(thread_messages(list(reversed(items)))[0], ids)
    assert first == again
    # The uid holds when the lost first message turns up later (the phantom had its id).
    partial = thread_messages(items[1:])[0]
    assert thread_uid(partial, ids) == first


def test_thread_uid_without_message_ids_uses_keys() -> None:
    thread = thread_messages([msg(7, "")])[0]
    assert thread_uid(thread, {7: ""}) != thread_uid(thread_messages([msg(8, "")])[0], {8: ""})


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Re: hi", ("hi", True)),
        ("AW: SV: Fwd: hi", ("hi", True)),
        ("Re[2]: hi", ("hi", True)),
        ("[linux-mips] [PATCH 1/3] MIPS: fix", ("mips: fix", False)),
        ("Hello", ("hello", False)),
        ("Reply to all", ("reply to all", False)),
    ],
)
def test_normalise_subject(subject: str, expected: tuple[str, bool]) -> None:
    assert normalise_subject(subject) == expected


# --- real mail -------------------------------------------------------------------------------

_ID = re.compile(r"<([^<>\s]+)>")


def _ids(value: object) -> tuple[str, ...]:
    return tuple(_ID.findall(str(value))) if value else ()


def _input(key: int, message: Message) -> ThreadInput:
    ids = _ids(message.get("Message-ID"))
    date = message.get("Date")
    try:
        sent = int(email.utils.parsedate_to_datetime(str(date)).timestamp()) if date else None
    except (TypeError, ValueError):
        sent = None
    return ThreadInput(
        key=key,
        message_id=ids[0] if ids else "",
        in_reply_to=_ids(message.get("In-Reply-To")),
        references=_ids(message.get("References")),
        subject=str(message.get("Subject") or ""),
        sent_at=sent,
    )


def _read_folder(folder: Path) -> dict[str, ThreadInput]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    out = {}
    for key, path in enumerate(files):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
        out[path.name] = _input(key, parsed)
    return out


@needs_corpus
def test_linux_mips_replies_share_their_parents_thread() -> None:
    box = mailbox.mbox(CORPUS / "mailing-list" / "linux-mips-2019q4.mbox", create=False)
    items = [_input(key, message) for key, message in enumerate(box)]
    assert len(items) == 1500
    threads = thread_messages(items)
    thread_by_key = {k: n for n, t in enumerate(threads) for k in t.keys}
    keys_by_id: dict[str, list[int]] = {}
    for item in items:
        keys_by_id.setdefault(item.message_id, []).append(item.key)

    checked = 0
    for item in items:
        direct = (item.in_reply_to[:1] or item.references[-1:] or ("",))[0]
        checked += direct in keys_by_id
        for ref in item.in_reply_to + item.references:
            if ref in keys_by_id:
                assert {thread_by_key[k] for k in keys_by_id[ref]} == {thread_by_key[item.key]}
    assert checked == 1186  # MANIFEST: replies whose direct parent is in the file
    assert sum(len(t.keys) for t in threads) == 1500
    # 1,500 messages, 159 without threading headers, lots of patch series: a few hundred.
    print(f"linux-mips: {len(threads)} threads")
    assert 150 <= len(threads) <= 600


@needs_corpus
def test_notmuch_ghost_root_messages_share_one_thread() -> None:
    items = _read_folder(CORPUS / "fixtures" / "notmuch" / "threading" / "ghost-root")
    threads = thread_messages(list(items.values()))
    named = ["real-root", "child", "grand-child", "grand-child2", "great-grand-child"]
    family = {thread_of(threads, items[name].key).root_key for name in [*named, "fake-root"]}
    assert len(family) == 1
    thread = thread_of(threads, items["child"].key)
    assert thread.parent_of[items["child"].key] == items["real-root"].key
    assert thread.parent_of[items["great-grand-child"].key] == items["grand-child"].key
    # The RT ticket mails share a ghost root (the ticket id no message carries).
    rt = [k for k, v in items.items() if k.startswith("1532672447")]
    assert len({thread_of(threads, items[name].key).root_key for name in rt}) == 1


@needs_corpus
def test_notmuch_parent_priority_prefers_in_reply_to() -> None:
    folder = CORPUS / "fixtures" / "notmuch" / "threading" / "parent-priority"
    items = _read_folder(folder)
    threads = thread_messages(list(items.values()))
    assert len(threads) == 1
    parents = threads[0].parent_of
    # child: In-Reply-To names the root, References a misspelt id; grand-child: References
    # lists the root last but In-Reply-To names the child.
    assert parents[items["child"].key] == items["root"].key
    assert parents[items["grand-child"].key] == items["child"].key
    assert parents[items["root"].key] is None


@needs_corpus
def test_notmuch_in_reply_to_loop() -> None:
    items = _read_folder(CORPUS / "fixtures" / "notmuch" / "broken" / "loop")
    threads = thread_messages(list(items.values()))
    assert len(threads) == 1
    assert list(threads[0].parent_of.values()).count(None) == 1
