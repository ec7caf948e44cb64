"""A big mailbox's emails are read by worker processes; the case must not notice.

The writer splits an mbox into emails and stores them; once the mailbox proves big, the
reading of each email goes to workers (``mailreaders``). Whichever way, every row of the case
is the same, a worker that fails only costs speed, and no worker outlives the run.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from dossier.case import Case
from dossier.ingest import IngestOptions, IngestSummary, ingest, mailboxbatch, mailreaders
from dossier.store import sqlite as sqlite_store
from dossier.store.sqlite import SqliteStore
from tests.conftest import need_corpora
from tests.test_email_speed_paths import case_rows, mail_folder, same_summary

Rows = dict[str, list[tuple[object, ...]]]


def mbox_of(folder: Path, out: Path, rounds: int = 4) -> Path:
    """Every file of ``folder`` as a message of one mbox, ``rounds`` times over (each round's
    Message-IDs changed, so that most are new emails and some are copies of others)."""
    parts = []
    for round_number in range(rounds):
        for path in sorted(folder.iterdir()):
            data = path.read_bytes().replace(
                b"@union.example>", b".%d@union.example>" % (round_number % 3)
            )
            # A body line that looks like a separator, quoted as mbox writers do.
            data = data.replace(b"Note number 5.", b"Note number 5.\n>From the minutes: yes")
            parts.append(
                b"From alice@union.example Tue May 14 09:00:00 2024\n"
                + data.rstrip(b"\n")
                + b"\n\n"
            )
    out.write_bytes(b"".join(parts))
    return out


def ingest_mbox(
    root: Path, mbox: Path, monkeypatch: pytest.MonkeyPatch, *, workers: bool
) -> tuple[Rows, IngestSummary]:
    monkeypatch.setattr(mailreaders, "START_AFTER", 5 if workers else 10**9)
    monkeypatch.setattr(mailreaders, "CHUNK", 3)  # many chunks, a window that fills
    monkeypatch.setattr(mailreaders, "WINDOW", 2)
    started: list[int] = []
    real_submit = mailreaders.MailReaders._submit

    def submit(self: mailreaders.MailReaders, raws: list[bytes]) -> object:
        started.append(len(raws))
        return real_submit(self, raws)

    monkeypatch.setattr(mailreaders.MailReaders, "_submit", submit)
    with Case.create(root, title=None, tz="UTC") as case:
        summary = ingest(case, [mbox], IngestOptions(custodian="Bob"))
        rows = case_rows(case.store)
    assert bool(started) == workers  # the way asked for
    assert multiprocessing.active_children() == []  # no worker left behind
    return rows, summary


def test_an_mbox_read_by_workers_stores_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mbox = mbox_of(mail_folder(tmp_path), tmp_path / "all.mbox")
    usual, usual_summary = ingest_mbox(tmp_path / "usual", mbox, monkeypatch, workers=False)
    batches = in_batches(monkeypatch, 7)
    fast, fast_summary = ingest_mbox(tmp_path / "fast", mbox, monkeypatch, workers=True)
    assert fast == usual
    same_summary(fast_summary, usual_summary)
    assert usual_summary.messages_new > 60 and usual_summary.messages_merged > 30
    assert len(usual["parse_issues"]) >= 4  # the problem emails said so, either way
    # most emails were plain, their rows worked out by the workers and written in bulk, with
    # emails stored the usual way (attachments, embedded emails) in between
    assert sum(batches) > 60 and len(batches) > 10


def in_batches(monkeypatch: pytest.MonkeyPatch, size: int) -> list[int]:
    """Flush the mailbox's queued emails every ``size``; returns how many each flush wrote."""
    monkeypatch.setattr(mailboxbatch, "FLUSH_EMAILS", size)
    written: list[int] = []
    real = mailboxbatch.MailboxBatch.flush

    def flush(self: mailboxbatch.MailboxBatch) -> None:
        if self.pending:
            written.append(len(self.pending))
        real(self)

    monkeypatch.setattr(mailboxbatch.MailboxBatch, "flush", flush)
    return written


def test_signatures_checked_by_the_workers_are_those_the_writer_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dkimpy's signed fixtures, many times over in an mbox (some quoted as mboxrd does),
    with their key store: each email's DKIM and ARC results are the same either way, copies
    combined alike."""
    fixtures = need_corpora() / "email" / "fixtures" / "dkim"
    names = ["rfc6376.signed.msg", "rfc6376.signed.rsa.msg", "rfc6376.signed.no_t.msg",
             "ed25519test2.msg", "test2.message", "rfc6376.w1258.msg"]  # fmt: skip
    parts = []
    for round_number in range(6):
        for name in names:
            data = (fixtures / name).read_bytes().replace(b"\r\n", b"\n")
            if round_number % 2:  # a new email (a header the signature does not cover)
                data = b"X-Round: %d\n" % round_number + data
            if name.endswith("w1258.msg"):  # a line quoted twice: the file is an mboxrd
                data = data.rstrip(b"\n") + b"\n>>From the minutes, quoted\n"
            parts.append(b"From a@b Tue May 14 09:00:00 2024\n" + data.rstrip(b"\n") + b"\n\n")
    mbox = tmp_path / "signed.mbox"
    mbox.write_bytes(b"".join(parts))
    options = IngestOptions(dkim_keys=fixtures / "keys.tsv")

    def run(root: Path, workers: bool) -> Rows:
        monkeypatch.setattr(mailreaders, "START_AFTER", 3 if workers else 10**9)
        monkeypatch.setattr(mailreaders, "CHUNK", 4)
        with Case.create(root, title=None, tz="UTC") as case:
            ingest(case, [mbox], options)
            return case_rows(case.store)

    usual = run(tmp_path / "usual", workers=False)
    batches = in_batches(monkeypatch, 5)
    fast = run(tmp_path / "fast", workers=True)
    assert fast == usual and sum(batches) > 20
    statuses = {value for row in usual["emails"] for value in row}
    assert {"pass", "fail", "unsigned"} <= statuses  # the key store was used
    assert ("mbox_variant", "mboxrd") in {row[1:] for row in usual["source_facts"]}
    quoted = [str(row[5]) for row in usual["messages"] if "the minutes" in str(row[5])]
    assert quoted and all("\n>From the minutes" in body for body in quoted)  # read unquoted


def test_a_worker_that_fails_costs_only_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mbox = mbox_of(mail_folder(tmp_path), tmp_path / "all.mbox", rounds=2)
    usual, _ = ingest_mbox(tmp_path / "usual", mbox, monkeypatch, workers=False)
    calls: list[int] = []

    def broken(*chunk: object) -> list[object]:
        calls.append(1)
        raise MemoryError("a worker ran out of memory")

    monkeypatch.setattr(mailreaders, "_read_chunk", broken)  # the workers fork with it
    fast, _ = ingest_mbox(tmp_path / "fast", mbox, monkeypatch, workers=True)
    assert fast == usual


def test_no_workers_to_be_had_reads_in_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mbox = mbox_of(mail_folder(tmp_path), tmp_path / "all.mbox", rounds=2)
    usual, _ = ingest_mbox(tmp_path / "usual", mbox, monkeypatch, workers=False)

    def no_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    fast, _ = ingest_mbox(tmp_path / "fast", mbox, monkeypatch, workers=True)
    assert fast == usual


def test_a_failure_while_storing_stops_the_workers_and_keeps_the_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses an email half-way through: the mbox is marked failed, nothing of
    it is kept, the workers are gone, and the case takes the next run."""
    mbox = mbox_of(mail_folder(tmp_path), tmp_path / "all.mbox")
    monkeypatch.setattr(mailreaders, "START_AFTER", 5)
    monkeypatch.setattr(mailreaders, "CHUNK", 3)
    real_one = SqliteStore.insert_email_message
    real_many = SqliteStore.insert_email_messages
    refused: list[int] = []

    def refuse(messages: Sequence[tuple[object, ...]], rows: Sequence[tuple[object, ...]]) -> None:
        for message, row in zip(messages, rows, strict=True):
            if row[1] == "Note 17" and int(str(message[0])) > 40:
                refused.append(1)
                raise sqlite3.DataError("refused")

    def refuse_one(self: SqliteStore, message: tuple[object, ...], row: tuple[object, ...]) -> None:
        refuse([message], [row])
        real_one(self, message, row)

    def refuse_many(
        self: SqliteStore, messages: list[tuple[object, ...]], rows: list[tuple[object, ...]]
    ) -> None:
        refuse(messages, rows)  # (the emails workers read are stored many at a time)
        real_many(self, messages, rows)

    monkeypatch.setattr(SqliteStore, "insert_email_message", refuse_one)
    monkeypatch.setattr(SqliteStore, "insert_email_messages", refuse_many)
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        summary = ingest(case, [mbox])
        assert refused and [Path(label).name for label, _ in summary.failed] == ["all.mbox"]
        assert multiprocessing.active_children() == []
        assert case.store.conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)
        monkeypatch.setattr(SqliteStore, "insert_email_message", real_one)
        monkeypatch.setattr(SqliteStore, "insert_email_messages", real_many)
        again = ingest(case, [mbox])
        assert summary.messages_new == 0
        assert again.failed == [] and again.messages_new == 94  # all of it, this time


def test_the_mailing_list_reads_the_same_with_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mbox = need_corpora() / "email" / "mailing-list" / "linux-mips-2019q4.mbox"
    usual, usual_summary = ingest_mbox(tmp_path / "usual", mbox, monkeypatch, workers=False)
    monkeypatch.undo()
    fast, fast_summary = ingest_mbox(tmp_path / "fast", mbox, monkeypatch, workers=True)
    assert fast == usual
    same_summary(fast_summary, usual_summary)
    assert usual_summary.messages_new == 1500


class Recorded:
    """What an ingest tells the progress display."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def begin(self, label: str, total_bytes: int, unit: str = "B") -> None:
        self.calls.append(("begin", (label, total_bytes)))

    def advance(self, nbytes: int) -> None:
        self.calls.append(("advance", nbytes))

    def end(self) -> None:
        self.calls.append(("end", None))

    def note(self, text: str) -> None:
        self.calls.append(("note", text))

    def files(self, total: int) -> None:
        self.calls.append(("files", total))

    def file_done(self) -> None:
        self.calls.append(("file_done", None))


def test_a_big_mbox_shows_how_far_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dossier.ingest import files

    mbox = mbox_of(mail_folder(tmp_path), tmp_path / "all.mbox")
    monkeypatch.setattr(files, "MAIL_PROGRESS_BYTES", 1000)  # (a small file counts as big)
    progress = Recorded()
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, [mbox], progress=progress)
    size = mbox.stat().st_size
    bars = [n for n, (kind, _) in enumerate(progress.calls) if kind == "begin"]
    read = progress.calls[bars[-1] :]  # (keeping a big original has a bar of its own before)
    assert read[0] == ("begin", (str(mbox), size))
    steps = [n for kind, n in read if kind == "advance"]
    assert len(steps) > 50 and all(isinstance(n, int) and n > 0 for n in steps)
    assert size - 10 <= sum(steps) <= size  # up to the last email's end (not its blank line)
    assert ("end", None) in read


def test_a_big_mailbox_undone_leaves_what_came_before_it_searchable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big mailbox adds its emails to the search index as it goes. When it fails and is
    undone, so is its part of the index; the small mailbox stored before it in the same run,
    waiting to be indexed at the commit, is still indexed, once."""
    folder = tmp_path / "in"
    folder.mkdir()
    emails = mail_folder(tmp_path)
    small = mbox_of(emails, folder / "a-small.mbox", rounds=1)
    mbox_of(emails, folder / "b-big.mbox", rounds=4)
    monkeypatch.setattr(sqlite_store, "BATCH_SECONDS", 10**6)  # no commit between the two
    monkeypatch.setattr(mailreaders, "START_AFTER", 40)  # the small one (36): no workers
    monkeypatch.setattr(mailreaders, "CHUNK", 3)
    batches = in_batches(monkeypatch, 4)
    real_many = SqliteStore.insert_email_messages

    def refuse_late(
        self: SqliteStore, messages: list[tuple[object, ...]], rows: list[tuple[object, ...]]
    ) -> None:
        if batches and sum(batches) > 40:
            raise sqlite3.DataError("refused")
        real_many(self, messages, rows)

    monkeypatch.setattr(SqliteStore, "insert_email_messages", refuse_late)
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        summary = ingest(case, [folder])
        assert [Path(label).name for label, _ in summary.failed] == ["b-big.mbox"]
        conn = case.store.conn
        stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM messages_fts_docsize").fetchone()[0]
        found = conn.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'note'"
        ).fetchone()[0]
    assert stored == summary.messages_new > 10 and indexed == stored and found > 0
    assert len(small.read_bytes()) > 0 and len(batches) > 2
