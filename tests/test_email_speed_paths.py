"""The fast ways through email ingest store exactly what the usual way stores.

Small email files are read by worker processes and stored many at a time (``mailbatch``);
the usual way reads and stores each file in the main process, one savepoint each. Both must
leave the same case: every row of every table, the same ids, the same problems recorded.
"""

from __future__ import annotations

import io
import sqlite3
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses
from pathlib import Path

import pytest

from dossier.case import Case
from dossier.email import fastparse, headers
from dossier.ingest import IngestOptions, IngestSummary, ingest, mailbatch
from dossier.ingest import files as files_module
from dossier.store.sqlite import SqliteStore
from tests.conftest import need_corpora

# Columns that hold the time of the run, which two runs cannot share.
RUN_TIMES = {"ingested_at", "supplied_at", "created_at"}


def email(n: int, *, to: str = "bob@union.example", body: str | None = None) -> str:
    return (
        f"From: Alice Example <alice{n % 3}@union.example>\n"
        f"To: {to}\n"
        f"Subject: Note {n}\n"
        f"Date: Tue, 14 May 2024 09:{n % 60:02d}:00 +0200\n"
        f"Message-ID: <note-{n}@union.example>\n"
        "\n" + (body if body is not None else f"Note number {n}.\n")
    )


def mail_folder(root: Path) -> Path:
    """One folder of one-email files with every case the batch writer must get right."""
    folder = root / "inbox"
    folder.mkdir(parents=True)
    for n in range(20):
        (folder / f"{n}.").write_text(email(n), "utf-8")
    # The same email delivered twice (trace headers differ): one message, two copies.
    (folder / "20.").write_text("X-Folder: one\n" + email(3), "utf-8")
    (folder / "21.").write_text("X-Folder: two\n" + email(3), "utf-8")
    # The same bytes twice: the second file is already present.
    (folder / "22.").write_text(email(22), "utf-8")
    (folder / "23.").write_text(email(22), "utf-8")
    # Same text, other Message-ID: a near-duplicate, stored apart.
    (folder / "24.").write_text(email(4).replace("note-4@", "other-4@"), "utf-8")
    # Problems: a date nobody can read, no date, headers only, names without addresses.
    (folder / "25.").write_text(email(25).replace("Tue, 14 May", "Someday"), "utf-8")
    (folder / "26.").write_text(email(26).replace("Date: Tue, 14 May 2024 09:26:00 +0200\n", ""))
    (folder / "27.").write_text(email(27).split("\n\n")[0] + "\n", "utf-8")
    (folder / "28.").write_text(email(28, to="Undisclosed recipients:;, Tom"), "utf-8")
    # Not one plain email: an attachment, and a file that is no email at all.
    attached = email(29).replace(
        "\n\n",
        "\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
        "--B\nContent-Type: text/plain\n\nSee the plan.\n--B\nContent-Type: text/plain; "
        "name=plan.txt\nContent-Disposition: attachment; filename=plan.txt\n\nplan\n--B--\n",
        1,
    )
    (folder / "29.").write_text(attached, "utf-8")
    (folder / "30.").write_text("X-Not: a mail\nhello\n", "utf-8")
    # Maildir names carry flags (a source fact); a signed email (DKIM unchecked).
    (folder / "1715671802.M1.host:2,RS").write_text(email(31), "utf-8")
    signed = "DKIM-Signature: v=1; a=rsa-sha256; d=union.example; s=s1; b=abc\n" + email(32)
    (folder / "32.").write_text(signed, "utf-8")
    # A copy of it, sealed by a relay (ARC): the message's ARC result becomes "unchecked".
    sealed = "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=relay.example; s=k; b=abc\n"
    (folder / "33.").write_text(sealed + "Received: by relay\n" + signed, "utf-8")
    # 8-bit and encoded-word headers, quoted-printable and base64 bodies.
    (folder / "34.").write_bytes(
        email(34)
        .replace("Subject: Note 34", "Subject: =?utf-8?q?Caf=C3=A9?= n\u00ba 34")
        .replace("\n\n", "\nContent-Transfer-Encoding: quoted-printable\n\n", 1)
        .replace("Note number 34.", "Caf=C3=A9 =\nsoon=3D")
        .encode("utf-8")
    )
    (folder / "35.").write_text(
        email(35).replace(
            "\n\nNote number 35.\n",
            "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
            "Q2Fmw6kgYXQgb25lPw==\n",
        ),
        "utf-8",
    )
    return folder


def case_rows(store: SqliteStore) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (not the search index's own), without the run's times."""
    conn = store.conn
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'messages_fts%' AND name NOT IN ('meta', 'sqlite_sequence')"
        " ORDER BY name"
    ).fetchall()
    found: dict[str, list[tuple[object, ...]]] = {}
    for table, sql in tables:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        kept = ", ".join(c for c in columns if c not in RUN_TIMES)
        order = "" if "WITHOUT ROWID" in sql.upper() else " ORDER BY rowid"  # else: key order
        found[table] = list(conn.execute(f"SELECT {kept} FROM {table}{order}"))
    found["search"] = list(
        conn.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'note OR caf*' ORDER BY rowid"
        )
    )
    return found


def ingest_into(
    root: Path, folders: list[Path], monkeypatch: pytest.MonkeyPatch, *, batched: bool
) -> tuple[dict[str, list[tuple[object, ...]]], IngestSummary]:
    """Ingest ``folders`` into a new case at ``root``, the fast way or the usual way."""
    monkeypatch.setattr(files_module, "PREFETCH_MIN_FILES", 1 if batched else 10**9)
    monkeypatch.setattr(mailbatch, "FLUSH_FILES", 7)  # several batches, copies across them
    batched_files: list[int] = []
    real_add = SqliteStore.add_mail_sources

    def add_mail_sources(self: SqliteStore, rows: list[tuple[object, ...]]) -> None:
        batched_files.append(len(rows))
        real_add(self, rows)

    monkeypatch.setattr(SqliteStore, "add_mail_sources", add_mail_sources)
    with Case.create(root, title=None, tz="UTC") as case:
        summary = ingest(case, folders, IngestOptions(custodian="Bob"))
        rows = case_rows(case.store)
    assert (sum(batched_files) > summary.mailboxes // 2) == batched  # the way asked for
    return rows, summary


def same_summary(one: IngestSummary, other: IngestSummary) -> None:
    for name in ("mailboxes", "messages_new", "messages_merged", "near_duplicates", "issues"):
        assert getattr(one, name) == getattr(other, name), name
    assert one.failed == other.failed and one.already_present == other.already_present
    assert sorted(one.unrecognised) == sorted(other.unrecognised)


def test_batched_files_store_the_same_rows_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = mail_folder(tmp_path)
    usual, usual_summary = ingest_into(tmp_path / "usual", [folder], monkeypatch, batched=False)
    fast, fast_summary = ingest_into(tmp_path / "fast", [folder], monkeypatch, batched=True)
    assert fast == usual
    same_summary(fast_summary, usual_summary)
    assert usual_summary.messages_merged == 3 and usual_summary.already_present == 1
    assert usual_summary.near_duplicates == 1 and len(usual["further_copies"]) == 3
    assert sum(row[-1] == "unchecked" for row in fast["emails"]) == 1  # arc, from the copy


def test_reingesting_adds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = mail_folder(tmp_path)
    monkeypatch.setattr(files_module, "PREFETCH_MIN_FILES", 1)
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, [folder])
        before = case_rows(case.store)
        again = ingest(case, [folder])
        after = case_rows(case.store)
    assert again.messages_new == 0 and again.already_present == 35
    assert len(after.pop("custody")) == len(before.pop("custody")) + 36  # supplied again
    assert after == before  # same uids, same everything


def test_a_failing_batch_is_stored_again_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file the database refuses: it alone is marked failed, with nothing half-written."""
    folder = mail_folder(tmp_path)
    real_one = SqliteStore.insert_email_message

    def refuse_note_7(
        self: SqliteStore, message: tuple[object, ...], row: tuple[object, ...]
    ) -> None:
        if row[1] == "Note 7":
            raise sqlite3.DataError("refused")
        real_one(self, message, row)

    def refuse_batch_with_7(
        self: SqliteStore, messages: list[tuple[object, ...]], rows: list[tuple[object, ...]]
    ) -> None:
        for message, row in zip(messages, rows, strict=True):
            refuse_note_7(self, message, row)

    monkeypatch.setattr(SqliteStore, "insert_email_message", refuse_note_7)
    monkeypatch.setattr(SqliteStore, "insert_email_messages", refuse_batch_with_7)
    usual, usual_summary = ingest_into(tmp_path / "usual", [folder], monkeypatch, batched=False)
    fast, fast_summary = ingest_into(tmp_path / "fast", [folder], monkeypatch, batched=True)
    assert [label.rsplit("/", 1)[-1] for label, _ in fast_summary.failed] == ["7."]
    assert fast == usual
    same_summary(fast_summary, usual_summary)


@pytest.mark.parametrize("where", ["enron/maildir/ermis-f", "spamassassin/easy-ham-1"])
def test_corpus_folders_store_the_same_rows_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    folder = need_corpora() / "email" / where
    usual, usual_summary = ingest_into(tmp_path / "usual", [folder], monkeypatch, batched=False)
    fast, fast_summary = ingest_into(tmp_path / "fast", [folder], monkeypatch, batched=True)
    assert fast == usual
    same_summary(fast_summary, usual_summary)


# --- the fast parse paths, against the stdlib's -------------------------------------------


def corpus_messages() -> list[bytes]:
    """The RFC 822 bytes of every email in the shared corpus's .eml, Maildir and mbox files."""
    from dossier.formats.base import HEAD_SIZE, ParseOptions
    from dossier.formats.registry import recognise
    from dossier.model import EmailRecord

    found = []
    for path in sorted((need_corpora() / "email").rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        fmt = recognise(data[:HEAD_SIZE], path.name)
        if fmt is None or fmt.name not in ("eml", "mbox"):
            continue
        for record in fmt.parse(io.BytesIO(data), path.name, ParseOptions()):
            if isinstance(record, EmailRecord) and record.raw:
                found.append(record.raw)
    return found


@pytest.fixture(scope="module")
def messages() -> list[bytes]:
    return corpus_messages()


def test_one_part_builds_the_message_the_parser_builds(messages: list[bytes]) -> None:
    taken = 0
    for raw in messages:
        block, body, separated = headers.split_block(raw)
        built = fastparse.one_part(raw, block, body) if separated else None
        if built is None:
            continue
        parsed = BytesParser(policy=compat32).parsebytes(raw)
        assert built._headers == parsed._headers  # type: ignore[attr-defined]
        assert built.get_payload() == parsed.get_payload()
        assert built.defects == parsed.defects == []
        assert (built.get_unixfrom(), built.preamble, built.epilogue) == (None, None, None)
        assert not parsed.is_multipart() and parsed.get_unixfrom() is None
        taken += 1
    assert taken > len(messages) * 0.7  # most real email is one part


def test_simple_addresses_read_as_getaddresses_does(messages: list[bytes]) -> None:
    values = [
        headers.value_text(name, value, None, [])
        for raw in messages
        for name, value in headers.fields(headers.split_block(raw)[0])[0]
        if name.lower() in ("from", "to", "cc", "bcc", "reply-to", "sender")
    ]
    values += TRICKY_ADDRESSES
    taken = 0
    for value in values:
        fast = fastparse.simple_addresses([value])
        if fast is not None:
            assert fast == getaddresses([value]), value
            taken += 1
    assert taken > len(values) * 0.8
    assert fastparse.simple_addresses(["a@x.example", "B <b@y.example>"]) == getaddresses(
        ["a@x.example", "B <b@y.example>"]
    )


TRICKY_ADDRESSES = [
    "k..allen@enron.com, .palmer@enron.com",
    'pr <.palmer@enron.com>, "Doe, John" <john@x.example>',
    '"a"b <x@y>, J. R. Doe <jrd@x.example>',
    "=?utf-8?q?Mar=C3=ADa?= <maria@union.example>",
    "  spaced@x.example ,\tother@y.example  ",
    "a@x.example,",
    "a@x.example,,b@y.example",
    "Undisclosed recipients:;",
    "Tom",
    "a@b@c",
    "x@[127.0.0.1]",
    "John (the boss) <john@x.example>",
    '"quoted \\" name" <q@x.example>',
    "<@route,@other:x@y.example>",
    "< x@y.example >",
    "x@y.example <z@w.example>",
    "émile@exemple.fr, Zoë <zoe@exemple.fr>",
    "x@y.example\u00a0, z@w.example",
    "",
    " ",
    "<>",
]


# Every shortcut switched off at once, over the same corpus: tests/test_email_fast_paths.py.


# --- the workers ----------------------------------------------------------------------------


def email_files(folder: Path, count: int) -> list[str]:
    for n in range(count):
        (folder / f"{n}.eml").write_text(email(n), "utf-8")
    return [str(folder / f"{n}.eml") for n in range(count)]


def test_workers_hand_back_each_file_as_read_even_when_files_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from dossier.ingest import prefetch

    monkeypatch.setattr(prefetch, "CHUNK", 3)  # many chunks, both workers, a short window
    monkeypatch.setattr(prefetch, "WINDOW", 2)
    paths = email_files(tmp_path, 40)
    workers = prefetch.MailPrefetch([(path, "eml") for path in paths])
    try:
        for path in paths[::3]:  # two of every three files not asked for
            found = workers.result(path)
            assert found is not None and found.ready is not None
            data = Path(path).read_bytes()
            assert found.sha256 == hashlib.sha256(data).hexdigest() and found.data == data
            assert found.ready.email.subject == f"Note {paths.index(path)}"
        assert workers.result(paths[1]) is None  # gone past it: the writer reads it itself
    finally:
        workers.close()
    assert workers.result(paths[-1]) is None


def test_workers_do_not_read_again_what_the_case_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run again over a folder, the workers only hash the files the case has: no parse."""
    from dossier.ingest import prefetch

    folder = tmp_path / "mail"
    folder.mkdir()
    paths = email_files(folder, 100)
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, [folder])
        db = str(case.store.path)
        Path(paths[7]).write_text(email(7, body="Changed since.\n"), "utf-8")  # new bytes
        workers = prefetch.MailPrefetch([(path, "eml") for path in paths], None, db)
        try:
            found = [workers.result(path) for path in paths]
        finally:
            workers.close()
        assert all(f is not None for f in found)
        read = [n for n, f in enumerate(found) if f is not None and f.ready is not None]
        assert read == [7]  # only the changed file; the others come back as hash and kind
        assert all(f.kind == "eml" and len(f.sha256) == 64 for f in found if f is not None)
        again = ingest(case, [folder])
    assert again.already_present == 99 and again.messages_new == 1


def test_a_case_the_workers_cannot_read_costs_only_speed(tmp_path: Path) -> None:
    from dossier.ingest import prefetch

    paths = email_files(tmp_path, 70)
    nowhere = str(tmp_path / "no-such-case" / "case.sqlite")
    workers = prefetch.MailPrefetch([(path, "eml") for path in paths], None, nowhere)
    try:
        found = [workers.result(path) for path in paths]
    finally:
        workers.close()
    assert all(f is not None and f.ready is not None for f in found)  # every file read


def test_a_worker_that_dies_leaves_its_files_to_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dossier.ingest import prefetch

    # Small chunks, a short window and plain pipes: however fast the workers are, they cannot
    # get to the last file before they are killed (the window and the pipes hold them back).
    monkeypatch.setattr(prefetch, "CHUNK", 4)
    monkeypatch.setattr(prefetch, "WINDOW", 2)
    monkeypatch.setattr(prefetch, "PIPE_BYTES", 64 * 1024)
    paths = email_files(tmp_path, 200)
    workers = prefetch.MailPrefetch([(path, "eml") for path in paths])
    try:
        assert workers.result(paths[0]) is not None
        for worker in workers._workers:
            worker.process.kill()
            worker.process.join()
        found = [workers.result(path) for path in paths]  # no hang, no wrong file
        assert all(
            f is None or f.ready.email.subject == f"Note {n}"  # type: ignore[union-attr]
            for n, f in enumerate(found)
        )
        assert found[-1] is None
    finally:
        workers.close()


def mixed_folder(root: Path) -> Path:
    """A mail folder that also holds a chat export with a photo it names, a zip of one email,
    a binary file, and a big email (read by the writer, not the workers)."""
    import zipfile

    folder = mail_folder(root)
    (folder / "WhatsApp Chat with Union.txt").write_text(
        "14/05/2024, 09:00 - Ann: IMG-20240514-WA0001.jpg (file attached)\n"
        "14/05/2024, 09:01 - Bob: seen it\n",
        "utf-8",
    )
    (folder / "IMG-20240514-WA0001.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    (folder / "notes.bin").write_bytes(b"\x00\x01binary\x00" * 20)
    with zipfile.ZipFile(folder / "forwarded.zip", "w") as archive:
        archive.writestr("inside.eml", email(40))
    (folder / "41.").write_text(email(41, body="long line " * 5000 + "\n"), "utf-8")
    return folder


def test_files_recognised_by_the_workers_are_stored_as_the_writer_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers say what each file is (email, chat, archive, nothing); the case is the same
    as when the writer recognises every file itself: same rows, same order, same summary."""
    from dossier.ingest import prefetch

    monkeypatch.setattr(prefetch, "MAX_BYTES", 20_000)  # 41. is left to the writer
    folder = mixed_folder(tmp_path)
    usual, usual_summary = ingest_into(tmp_path / "usual", [folder], monkeypatch, batched=False)
    fast, fast_summary = ingest_into(tmp_path / "fast", [folder], monkeypatch, batched=True)
    assert fast == usual
    same_summary(fast_summary, usual_summary)
    # Beside a chat export, the files no format reads are the chat's attachments.
    assert fast_summary.chats == 1 and fast_summary.attachments == 3  # photo, notes.bin, 30.
    statuses = {Path(row[0]).name: row[1:] for row in _sources(tmp_path / "fast")}
    assert statuses["IMG-20240514-WA0001.jpg"] == ("attachment", "stored")
    assert statuses["forwarded.zip"][1] == "ok" and statuses["inside.eml"] == ("messages", "ok")
    assert statuses["41."] == ("messages", "ok")


def _sources(case_root: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(case_root / "case.sqlite") as conn:
        return list(conn.execute("SELECT name, role, status FROM sources ORDER BY id"))


def test_a_format_named_for_all_files_is_applied_by_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--format eml: the workers take each file as an email just as the writer would."""
    folder = mail_folder(tmp_path)
    found = []
    for name, min_files in (("usual", 10**9), ("fast", 1)):
        monkeypatch.setattr(files_module, "PREFETCH_MIN_FILES", min_files)
        with Case.create(tmp_path / name, title=None, tz="UTC") as case:
            summary = ingest(case, [folder], IngestOptions(format="eml"))
            found.append((case_rows(case.store), summary))
    (usual, usual_summary), (fast, fast_summary) = found
    assert fast == usual
    same_summary(fast_summary, usual_summary)
    assert fast_summary.mailboxes == 34 and fast_summary.messages_new == 31
    assert [Path(label).name for label, _ in fast_summary.unrecognised] == ["30."]


def test_a_failing_receiver_leaves_the_files_to_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever stops the thread that takes the workers' results, the writer does not wait
    for ever: it reads the files the workers' results did not bring, and stores them all."""
    from dossier.ingest import prefetch

    monkeypatch.setattr(prefetch, "CHUNK", 4)
    calls = {"n": 0}
    real = prefetch._Worker.receive

    def breaks_on_the_third(self: prefetch._Worker) -> list[prefetch.Prepared | None]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the receiving thread dies")
        return real(self)

    monkeypatch.setattr(prefetch._Worker, "receive", breaks_on_the_third)
    folder = mail_folder(tmp_path)
    usual, _ = ingest_into(tmp_path / "usual", [folder], monkeypatch, batched=False)
    monkeypatch.setattr(files_module, "PREFETCH_MIN_FILES", 1)
    with Case.create(tmp_path / "broken", title=None, tz="UTC") as case:
        summary = ingest(case, [folder], IngestOptions(custodian="Bob"))
        rows = case_rows(case.store)
    assert calls["n"] >= 3 and summary.failed == []
    assert rows == usual
