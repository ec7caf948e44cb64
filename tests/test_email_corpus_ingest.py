"""The shared email corpus through `dossier ingest`: every message counted, none crashing,
threads following References."""

from __future__ import annotations

import email
from pathlib import Path

import pytest

from dossier.case import Case
from dossier.ingest import ingest
from tests.conftest import need_corpora


def email_root() -> Path:
    return need_corpora() / "email"


@pytest.fixture(scope="module")
def list_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    case = Case.create(tmp_path_factory.mktemp("list") / "case", title=None, tz="UTC")
    summary = ingest(case, [email_root() / "mailing-list"])
    assert summary.failed == []
    return case


def test_mailing_list_every_message_counted(list_case: Case) -> None:
    conn = list_case.store.conn
    copies = conn.execute(
        "SELECT count(*) FROM message_copies c JOIN emails e ON e.message_id = c.message_id"
    ).fetchone()[0]
    assert copies == 1500
    messages = conn.execute("SELECT count(*) FROM emails").fetchone()[0]
    assert messages <= 1500  # re-sent identical copies are one message with two copies


def test_mailing_list_threads_follow_references(list_case: Case) -> None:
    conn = list_case.store.conn
    conversation_of = dict(
        conn.execute(
            "SELECT e.header_message_id, m.conversation_id FROM emails e"
            " JOIN messages m ON m.id = e.message_id"
        )
    )
    checked = 0
    for message_id, parent in conn.execute(
        "SELECT header_message_id, in_reply_to FROM emails WHERE in_reply_to != ''"
    ):
        parent_id = parent.split()[0]
        if parent_id in conversation_of:
            assert conversation_of[message_id] == conversation_of[parent_id]
            checked += 1
    assert checked >= 1100  # the MANIFEST counts 1,186 replies whose parent is in the file
    threads = conn.execute(
        "SELECT count(*) FROM conversations WHERE platform = 'email'"
    ).fetchone()[0]
    assert 150 < threads < 600


def test_enron_every_message_counted(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    summary = ingest(case, [email_root() / "enron"])
    assert summary.failed == [] and summary.mailboxes == 3054
    assert summary.messages_new + summary.messages_merged == 3054
    ids = {mid for (mid,) in case.store.conn.execute("SELECT header_message_id FROM emails")}
    assert len(ids) == summary.messages_new
    folders = {f for (f,) in case.store.conn.execute("SELECT DISTINCT folder FROM emails")}
    assert folders == {"inbox"}


def test_spamassassin_and_fixtures_never_crash(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    summary = ingest(case, [email_root() / "spamassassin", email_root() / "fixtures"])
    assert summary.failed == []
    stored = case.store.conn.execute("SELECT count(*) FROM emails").fetchone()[0]
    assert stored >= 450
    spam = [s for s in case.store.list_sources() if "/spamassassin/" in s["name"]]
    assert len(spam) == 450 and all(s["status"] == "ok" for s in spam)
    _attached_emails_point_at_their_bytes(case)


def _attached_emails_point_at_their_bytes(case: Case) -> None:
    """Every attached email with a place of its own in the file: those bytes read as it."""
    from dossier.email.reader import read_email
    from dossier.read import original_bytes

    rows = case.store.conn.execute(
        "SELECT m.source_id, m.byte_start, m.byte_end, e.subject, e.header_message_id,"
        " p.byte_start, p.byte_end FROM messages m JOIN emails e ON e.message_id = m.id"
        " JOIN messages p ON p.id = e.parent_id"
    ).fetchall()
    own = [r for r in rows if (r[1], r[2]) != (r[5], r[6])]
    assert len(own) >= 10  # the fixtures' forwarded and digest emails
    for source_id, start, end, subject, message_id, parent_start, parent_end in own:
        assert parent_start <= start < end <= parent_end
        mail = read_email(original_bytes(case, source_id)[start:end])
        assert (mail.subject, mail.message_id) == (subject, message_id)


def test_nested_email_becomes_its_own_message(tmp_path: Path) -> None:
    path = email_root() / "fixtures" / "cpython-test_email" / "msg_02.txt"
    nested = sum(
        1
        for part in email.message_from_bytes(path.read_bytes()).walk()
        if part.get_content_type() == "message/rfc822"
    )
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [path])
    children = case.store.conn.execute(
        "SELECT count(*) FROM emails WHERE parent_id IS NOT NULL"
    ).fetchone()[0]
    assert nested > 0 and children >= nested


def test_outlook_files_through_ingest(tmp_path: Path) -> None:
    fixtures = email_root() / "fixtures"
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    summary = ingest(
        case,
        [fixtures / "ingest-file" / "testPST.pst", fixtures / "msg-extractor" / "unicode.msg"],
    )
    assert summary.failed == []
    items = case.store.conn.execute("SELECT folder FROM emails WHERE item IS NOT NULL").fetchall()
    assert len(items) == 6  # the PST's six messages, each with its folder path and item id
    assert all(folder for (folder,) in items)
    assert case.store.conn.execute("SELECT count(*) FROM emails").fetchone()[0] == 7
    tiffs = case.store.conn.execute(
        "SELECT count(*) FROM attachments WHERE lower(name) LIKE '%.tif%'"
    ).fetchone()[0]
    assert tiffs == 2


def test_every_email_is_found_in_its_original_bytes(list_case: Case) -> None:
    from dossier.read import original_bytes

    data = original_bytes(list_case, 1)
    rows = list_case.store.conn.execute(
        "SELECT c.byte_start, c.byte_end, e.header_message_id FROM message_copies c"
        " JOIN emails e ON e.message_id = c.message_id WHERE e.header_message_id != ''"
    ).fetchall()
    assert len(rows) == 1500
    for start, end, message_id in rows:
        raw = data[start:end]
        assert raw[:1].isalpha()  # a header line, not the mbox "From " separator
        assert message_id.encode() in raw
