"""Threads made again only where new emails land: the same threads as threading everything.

A later ingest re-threads only the new emails and the threads they can touch. Whatever order
the emails come in, and however they are split over runs, the case must end with the same
conversations as one ingest of everything.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest

from dossier.case import Case
from dossier.ingest import IngestOptions, ingest
from dossier.ingest import threading as threading_module
from dossier.store.sqlite import SqliteStore
from tests.conftest import corpora

DAY = 24 * 3600


def mail(
    n: int,
    subject: str,
    *,
    day: int,
    msg_id: str | None = None,
    reply_to: str | None = None,
    refs: str | None = None,
) -> str:
    lines = [
        f"From: p{n}@union.example",
        f"Subject: {subject}",
        f"Date: {day:02d} May 2024 09:00:00 +0000",
    ]
    if msg_id is not None:
        lines.append(f"Message-ID: <{msg_id}>")
    if reply_to:
        lines.append(f"In-Reply-To: <{reply_to}>")
    if refs:
        lines.append(f"References: {refs}")
    return "\n".join(lines) + f"\n\nMessage {n}.\n"


def threads_of(case_root: Path) -> dict[str, tuple[str, str]]:
    """Each email (by message uid): its conversation's uid and title."""
    with sqlite3.connect(case_root / "case.sqlite") as conn:
        rows = conn.execute(
            "SELECT m.uid, c.uid, c.title FROM messages m JOIN conversations c"
            " ON c.id = m.conversation_id WHERE m.kind = 'email' OR c.platform = 'email'"
        )
        return {uid: (conversation, title) for uid, conversation, title in rows}


def ingest_runs(root: Path, runs: list[list[Path]]) -> dict[str, tuple[str, str]]:
    with Case.create(root, title=None, tz="UTC") as case:
        for files in runs:
            ingest(case, files, IngestOptions())
    return threads_of(root)


def same_as_one_run(
    tmp_path: Path, runs: list[list[Path]], monkeypatch: pytest.MonkeyPatch
) -> dict[str, tuple[str, str]]:
    """Ingest ``runs`` one after another (later runs re-threading only what they touch), and
    all files in one run; both cases must hold the same threads."""
    monkeypatch.setattr(threading_module, "WHOLE_CASE_SHARE", 10.0)  # always the later way
    later = ingest_runs(tmp_path / "later", runs)
    monkeypatch.setattr(threading_module, "WHOLE_CASE_SHARE", 0.0)  # always everything
    whole = ingest_runs(tmp_path / "whole", [[f for files in runs for f in files]])
    assert later == whole
    return whole


def count_threaded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many emails each call of the threading held, as it goes."""
    sizes: list[int] = []
    real = threading_module._thread

    def counting(store: SqliteStore, rows: Iterable[threading_module.ThreadRow]) -> None:
        held = list(rows)
        sizes.append(len(held))
        real(store, held)

    monkeypatch.setattr(threading_module, "_thread", counting)
    return sizes


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def test_a_reply_joins_a_thread_stored_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path / "a", "1.eml", mail(1, "Budget", day=1, msg_id="b1@x"))
    other = write(tmp_path / "a", "2.eml", mail(2, "Picnic", day=1, msg_id="p1@x"))
    reply = write(tmp_path / "b", "3.eml", mail(3, "Re: Budget", day=2, msg_id="b2@x",
                                               reply_to="b1@x"))  # fmt: skip
    threads = same_as_one_run(tmp_path, [[first, other], [reply]], monkeypatch)
    assert len(set(threads.values())) == 2


def test_a_new_email_that_links_two_threads_makes_them_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two replies to a message nobody has, then the message itself (it refers to another
    # thread's root): everything ends in one thread.
    a = write(tmp_path / "a", "1.eml", mail(1, "Plan", day=1, msg_id="root@x"))
    b = write(tmp_path / "a", "2.eml", mail(2, "Re: Draft", day=3, msg_id="r1@x",
                                           reply_to="lost@x"))  # fmt: skip
    c = write(tmp_path / "a", "3.eml", mail(3, "Re: Draft", day=4, msg_id="r2@x",
                                           refs="<lost@x>"))  # fmt: skip
    lost = write(tmp_path / "b", "4.eml", mail(4, "Draft", day=2, msg_id="lost@x",
                                              refs="<root@x>"))  # fmt: skip
    threads = same_as_one_run(tmp_path, [[a, b, c], [lost]], monkeypatch)
    assert len(set(threads.values())) == 1


def test_subject_fallback_works_across_runs_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reply without references stored first, its thread's first message later; and a
    # later reply without references to a thread stored before.
    orphan = write(tmp_path / "a", "1.eml", mail(1, "Re: Rota", day=5, msg_id="o@x"))
    start = write(tmp_path / "b", "2.eml", mail(2, "Rota", day=4, msg_id="s@x"))
    late = write(tmp_path / "c", "3.eml", mail(3, "RE: rota", day=6, msg_id="l@x"))
    unrelated = write(tmp_path / "c", "4.eml", mail(4, "Rota", day=1 + 0, msg_id="u@x"))
    threads = same_as_one_run(tmp_path, [[orphan], [start], [late, unrelated]], monkeypatch)
    assert len(set(threads.values())) <= 2


def test_emails_without_message_ids_keep_threads_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = write(tmp_path / "a", "1.eml", mail(1, "Hello", day=1))
    two = write(tmp_path / "b", "2.eml", mail(2, "Hello", day=1))
    threads = same_as_one_run(tmp_path, [[one], [two]], monkeypatch)
    assert len(set(threads.values())) == 2


def test_a_later_run_of_only_known_emails_changes_no_thread(tmp_path: Path) -> None:
    first = write(tmp_path / "a", "1.eml", mail(1, "Budget", day=1, msg_id="b1@x"))
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, [first])
        before = threads_of(tmp_path / "case")
        summary = ingest(case, [first])
    assert threads_of(tmp_path / "case") == before and summary.threads == 0


def test_the_mailing_list_in_three_runs_threads_as_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """linux-mips, its messages dealt round-robin into three mboxes ingested one by one:
    replies often come before what they answer, threads span runs."""
    source = corpora() / "email" / "mailing-list" / "linux-mips-2019q4.mbox"
    if not source.is_file():
        pytest.skip(f"the mailing-list mbox is absent ({source}); set DOSSIER_CORPORA")
    messages = re.split(rb"(?m)^(?=From \S+ +\w{3} \w{3} )", source.read_bytes())
    messages = [m for m in messages if m.strip()]
    parts = []
    for k in range(3):
        path = tmp_path / "parts" / f"part{k}.mbox"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"".join(messages[k::3]))
        parts.append(path)
    threads = same_as_one_run(tmp_path, [[parts[2]], [parts[0]], [parts[1]]], monkeypatch)
    assert len(threads) >= 1_400 and len(set(threads.values())) < len(threads) // 2


def test_a_few_new_emails_rethread_only_what_they_touch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the usual settings, a reply added to a case of many threads threads only itself
    and its thread; the rest of the case is left as it was."""
    folder = tmp_path / "many"
    for n in range(40):
        write(folder, f"{n}.eml", mail(n, f"Topic {n}", day=1, msg_id=f"t{n}@x"))
    reply = write(tmp_path / "later", "r.eml", mail(99, "Re: Topic 7", day=2, msg_id="r@x",
                                                    reply_to="t7@x"))  # fmt: skip
    threaded = count_threaded(monkeypatch)
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, [folder])
        before = threads_of(tmp_path / "case")
        summary = ingest(case, [reply])
    after = threads_of(tmp_path / "case")
    assert threaded == [40, 2]  # everything the first time; then the reply and its parent
    assert summary.threads == 40
    joined = after.pop(next(uid for uid in after if uid not in before))
    assert (
        after == before
        and joined == before[next(u for u, t in before.items() if t[1] == "Topic 7")]
    )


def test_emails_of_a_run_stopped_before_threading_are_threaded_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run stopped after storing its emails (Ctrl-C during the threading) leaves each email
    in the thread its own headers name, listed as unthreaded; the next run, even one that adds
    nothing, threads them as one uninterrupted run would have."""
    folder = tmp_path / "a"
    # The reply comes first and names only its parent, which refers to the thread's root.
    write(folder, "1.eml", mail(1, "Re: Plan", day=3, msg_id="r@x", reply_to="p@x"))
    write(folder, "2.eml", mail(2, "Plan", day=2, msg_id="p@x", refs="<root@x>"))
    write(folder, "3.eml", mail(3, "Plan", day=1, msg_id="root@x"))
    whole = ingest_runs(tmp_path / "whole", [[folder]])

    def stopped(store: SqliteStore, progress: object = None) -> int:
        raise KeyboardInterrupt

    import dossier.ingest as ingest_module

    real = ingest_module.thread_case
    monkeypatch.setattr(ingest_module, "thread_case", stopped)
    root = tmp_path / "case"
    with Case.create(root, title=None, tz="UTC") as case, pytest.raises(KeyboardInterrupt):
        ingest(case, [folder])
    stored = threads_of(root)
    assert set(stored) == set(whole) and len(set(stored.values())) == 2  # 1.eml stands apart
    monkeypatch.setattr(ingest_module, "thread_case", real)
    with Case.open(root) as case:
        assert case.store.has_unthreaded()
        summary = ingest(case, [folder])  # nothing new to store
        assert not case.store.has_unthreaded()
    assert summary.messages_new == 0 and summary.threads == 1
    assert threads_of(root) == whole


def test_emails_an_older_version_left_waiting_are_threaded_after_the_upgrade(
    tmp_path: Path,
) -> None:
    """Before schema 7, new emails waited in a holding conversation ("email:unthreaded")
    until the end of the run; a case left so by an interrupted run is upgraded with them
    listed, and the next ingest threads them and drops the holding conversation."""
    folder = tmp_path / "a"
    write(folder, "1.eml", mail(1, "Plan", day=1, msg_id="root@x"))
    write(folder, "2.eml", mail(2, "Re: Plan", day=2, msg_id="r@x", reply_to="root@x"))
    whole = ingest_runs(tmp_path / "whole", [[folder]])
    root = tmp_path / "case"
    ingest_runs(root, [[folder]])
    with sqlite3.connect(root / "case.sqlite") as conn:  # as version 6 left it
        conn.execute(
            "INSERT INTO conversations(uid, platform, title, created_at)"
            " VALUES ('email:unthreaded', 'email', '(unthreaded)', 'x')"
        )
        conn.execute(
            "UPDATE messages SET conversation_id = (SELECT id FROM conversations"
            " WHERE uid = 'email:unthreaded')"
        )
        conn.execute("DROP TABLE unthreaded")
        conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    with Case.open(root) as case:
        assert case.store.has_unthreaded()
        summary = ingest(case, [folder])
    assert summary.threads == 1 and threads_of(root) == whole
