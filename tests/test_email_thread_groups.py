"""A big case is threaded in groups that do not touch each other, a batch at a time, so that
threading a million emails does not need a gigabyte: the threads must be exactly the ones
threading the whole case at once gives, and no batch may hold more than it has to."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from dossier.case import Case
from dossier.ingest import IngestOptions, ingest
from dossier.ingest import thread_groups as groups_module
from dossier.ingest import threading as threading_module
from dossier.ingest.report import Progress
from dossier.store.sqlite import SqliteStore
from tests.conftest import corpora
from tests.test_email_threads_later import count_threaded, ingest_runs, mail, threads_of, write


def in_groups(monkeypatch: pytest.MonkeyPatch, batch: int) -> list[int]:
    """Thread every run in groups, ``batch`` emails at a time; returns the batch sizes."""
    monkeypatch.setattr(threading_module, "IN_MEMORY_EMAILS", 0)
    monkeypatch.setattr(groups_module, "BATCH_EMAILS", batch)
    return count_threaded(monkeypatch)


def at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading_module, "IN_MEMORY_EMAILS", 10**9)
    monkeypatch.setattr(threading_module, "WHOLE_CASE_SHARE", 0.0)
    monkeypatch.setattr(threading_module, "_thread", _real_thread)


_real_thread = threading_module._thread


def compare(
    tmp_path: Path, runs: list[list[Path]], monkeypatch: pytest.MonkeyPatch, batch: int = 1
) -> tuple[dict[str, tuple[str, str]], list[int]]:
    at_once(monkeypatch)
    whole = ingest_runs(tmp_path / "whole", [[f for files in runs for f in files]])
    sizes = in_groups(monkeypatch, batch)
    grouped = ingest_runs(tmp_path / "grouped", runs)
    assert grouped == whole
    assert not list((tmp_path / "grouped" / "tmp").glob("threads-*"))  # the scratch is gone
    return whole, sizes


def tricky_folder(folder: Path) -> list[Path]:
    """Chains, a lost parent, a Message-ID used twice, reference-less replies joined by
    subject, In-Reply-To prose, emails with no Message-ID, References that loop."""
    return [
        write(folder, "01.eml", mail(1, "Budget", day=1, msg_id="b1@x")),
        write(folder, "02.eml", mail(2, "Re: Budget", day=2, msg_id="b2@x", reply_to="b1@x")),
        write(folder, "03.eml", mail(3, "Re: Budget", day=3, msg_id="b3@x",
                                     refs="<b1@x> <b2@x>")),
        write(folder, "04.eml", mail(4, "Re: Draft", day=4, msg_id="d2@x", reply_to="lost@x")),
        write(folder, "05.eml", mail(5, "Re: Draft", day=5, msg_id="d3@x", refs="<lost@x>")),
        write(folder, "06.eml", mail(6, "Budget", day=6, msg_id="b1@x")),  # its id again
        write(folder, "07.eml", mail(7, "RE: budget", day=9, msg_id="late1@x")),  # by subject
        write(folder, "08.eml", mail(8, "Picnic", day=1, msg_id="p1@x")),
        write(folder, "09.eml", mail(9, "Re: Picnic", day=28, msg_id="p2@x")),
        write(folder, "10.eml", mail(10, "Re: Picnic", day=29, msg_id="p3@x",
                                     reply_to="your message of Monday")),
        write(folder, "11.eml", mail(11, "Hello", day=2)),
        write(folder, "12.eml", mail(12, "Hello", day=2)),
        write(folder, "13.eml", mail(13, "Loop", day=3, msg_id="l1@x", refs="<l2@x>")),
        write(folder, "14.eml", mail(14, "Loop", day=3, msg_id="l2@x", refs="<l1@x>")),
    ]


def test_threads_made_in_groups_are_those_of_the_whole_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = tricky_folder(tmp_path / "mail")
    whole, sizes = compare(tmp_path, [files], monkeypatch)
    assert len(set(whole.values())) < len(whole)  # something was threaded together
    # one batch per group: Budget (with its reply by subject), Draft, Picnic (two replies by
    # subject), the loop, and each Hello alone; none holds an email it does not need
    assert sum(sizes) == len(files) and max(sizes) == 5 and len(sizes) == 6


def test_a_later_run_threads_only_the_groups_its_emails_join(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = tricky_folder(tmp_path / "mail")
    reply = write(tmp_path / "later", "r.eml", mail(20, "Re: Draft", day=6, msg_id="d4@x",
                                                    refs="<lost@x> <d3@x>"))  # fmt: skip
    _, sizes = compare(tmp_path, [files, [reply]], monkeypatch, batch=100)
    assert sizes == [len(files), 3]  # everything at first; then the Draft thread and the reply


def test_the_mailing_list_and_enron_in_groups_thread_as_in_one_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = corpora() / "email"
    source = base / "mailing-list" / "linux-mips-2019q4.mbox"
    enron = base / "enron" / "maildir" / "lokey-t"
    if not source.is_file() or not enron.is_dir():
        pytest.skip(f"the email corpus is absent ({base}); set DOSSIER_CORPORA")
    messages = re.split(rb"(?m)^(?=From \S+ +\w{3} \w{3} )", source.read_bytes())
    parts = []
    for k in range(2):
        path = tmp_path / "parts" / f"part{k}.mbox"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"".join(m for m in messages[k::2] if m.strip()))
        parts.append(path)
    whole, sizes = compare(tmp_path, [[parts[1], enron], [parts[0]]], monkeypatch, batch=50)
    assert len(whole) > 1_400 and len(sizes) > 10
    assert max(sizes) < len(whole) // 2


def test_a_case_too_big_to_thread_at_once_is_threaded_in_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the usual settings, past IN_MEMORY_EMAILS the groups are used."""
    folder = tmp_path / "mail"
    for n in range(12):
        write(folder, f"{n}.eml", mail(n, f"Topic {n // 3}", day=1, msg_id=f"t{n}@x",
                                       reply_to=f"t{n - 1}@x" if n % 3 else None))  # fmt: skip
    monkeypatch.setattr(threading_module, "IN_MEMORY_EMAILS", 10)
    used: list[int] = []
    real = groups_module.thread_in_groups

    def spy(store: SqliteStore, thread: groups_module.ThreadBatch, progress: Progress) -> None:
        used.append(store.unthreaded_count())
        real(store, thread, progress)

    monkeypatch.setattr(threading_module, "thread_in_groups", spy)
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        summary = ingest(case, [folder], IngestOptions())
    assert used == [12] and summary.threads == 4
    assert len(set(threads_of(tmp_path / "case").values())) == 4


def test_a_failure_while_threading_in_groups_leaves_no_scratch_and_no_half_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = tricky_folder(tmp_path / "mail")
    in_groups(monkeypatch, 2)
    calls = 0
    real = threading_module._thread

    def failing(store: SqliteStore, rows: Iterable[threading_module.ThreadRow]) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError("disk full")
        real(store, rows)

    monkeypatch.setattr(threading_module, "_thread", failing)
    root = tmp_path / "case"
    with Case.create(root, title=None, tz="UTC") as case, pytest.raises(OSError):
        ingest(case, files)
    assert not list((root / "tmp").glob("threads-*"))
    stored = threads_of(root)
    assert len(stored) == len(files)  # every email kept, each still listed to be threaded
    with Case.open(root) as case:
        assert case.store.unthreaded_count() == len(files)


def test_threading_in_groups_shows_its_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million emails take a minute to thread: a bar says so, counting emails."""
    from tests.test_email_mbox_workers import Recorded

    files = tricky_folder(tmp_path / "mail")
    in_groups(monkeypatch, 4)
    monkeypatch.setattr(groups_module, "PROGRESS_EVERY", 5)
    shown = Recorded()
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, files, IngestOptions(), progress=shown)
    stages = [args for call, args in shown.calls if call == "begin"]
    assert ("email threads: links", len(files)) in stages
    assert ("email threads", len(files)) in stages
    at = shown.calls.index(("begin", ("email threads", len(files))))
    moved = [n for call, n in shown.calls[at:] if call == "advance"]
    assert sum(moved) == len(files) and len(moved) > 1
