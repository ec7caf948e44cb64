"""Email through `dossier ingest`: mailboxes, duplicates across custodians, threads, search."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dossier.case import Case
from dossier.ingest import IngestOptions, ingest
from dossier.store.search import count, search
from tests.conftest import Result

BUDGET = (
    "From: Alice Example <alice@union.example>\n"
    "To: Bob <bob@union.example>\n"
    "Cc: =?utf-8?q?Mar=C3=ADa?= <maria@union.example>\n"
    "Subject: Budget for Eastfield\n"
    "Date: Tue, 14 May 2024 09:30:00 +0200\n"
    "Message-ID: <budget-1@union.example>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=XX\n"
    "\n"
    "--XX\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Resources stay with Hallam's people.\n"
    "--XX\n"
    "Content-Type: text/plain; name=plan.txt\n"
    "Content-Disposition: attachment; filename=plan.txt\n"
    "\n"
    "codename bluebird allocations\n"
    "--XX--\n"
)
REPLY = (
    "From: Bob <bob@union.example>\n"
    "To: Alice Example <alice@union.example>\n"
    "Subject: Re: Budget for Eastfield\n"
    "Date: Tue, 14 May 2024 10:15:00 +0200\n"
    "Message-ID: <reply-1@union.example>\n"
    "In-Reply-To: <budget-1@union.example>\n"
    "References: <budget-1@union.example>\n"
    "\n"
    "Understood.\n\n> Resources stay with Hallam's people.\n"
)
OTHER = (
    "From: Alice Example <alice@union.example>\n"
    "To: Tom <tom@union.example>\n"
    "Subject: Lunch\n"
    "Date: Wed, 15 May 2024 12:00:00 +0100\n"
    "Message-ID: <lunch@union.example>\n"
    "\n"
    "Lunch at one?\n"
)


def mbox(*messages: str) -> str:
    out = []
    for message in messages:
        quoted = message.replace("\nFrom ", "\n>From ")
        out.append("From alice@union.example Tue May 14 09:30:00 2024\n" + quoted + "\n")
    return "".join(out)


@pytest.fixture
def leak(tmp_path: Path) -> Path:
    """Alice's Sent mbox, and Bob's inbox as a Maildir holding the same budget email."""
    root = tmp_path / "leak"
    (root / "alice").mkdir(parents=True)
    (root / "alice" / "Sent.mbox").write_text(mbox(BUDGET, OTHER), "utf-8")
    inbox = root / "bob" / "Maildir" / "cur"
    inbox.mkdir(parents=True)
    delivered = "Received: from mx.union.example by bob; Tue, 14 May 2024 09:30:02 +0200\n"
    (inbox / "1715671802.M1.host:2,S").write_text(delivered + BUDGET, "utf-8")
    (inbox / "1715674500.M2.host:2,S").write_text(delivered + REPLY, "utf-8")
    return root


def test_mailboxes_from_two_custodians(leak: Path, tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", title=None, tz="Europe/Madrid")
    first = ingest(case, [leak / "alice"], IngestOptions(custodian="Alice"))
    second = ingest(case, [leak / "bob"], IngestOptions(custodian="Bob"))
    assert first.failed == [] and second.failed == []
    assert first.messages_new == 2
    assert second.messages_new == 1 and second.messages_merged == 1  # the budget email again
    conn = case.store.conn
    assert conn.execute("SELECT count(*) FROM messages WHERE kind = 'email'").fetchone()[0] == 3
    copies = conn.execute(
        "SELECT count(*) FROM message_copies c JOIN emails e ON e.message_id = c.message_id"
        " WHERE e.header_message_id = 'budget-1@union.example'"
    ).fetchone()[0]
    assert copies == 2
    threads = conn.execute(
        "SELECT c.title, count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " GROUP BY c.id ORDER BY c.title"
    ).fetchall()
    assert threads == [("Budget for Eastfield", 2), ("Lunch", 1)]
    folders = dict(conn.execute("SELECT subject, folder FROM emails"))
    assert folders == {
        "Budget for Eastfield": "Sent",
        "Lunch": "Sent",
        "Re: Budget for Eastfield": "INBOX",
    }


def test_email_search_operators(leak: Path, tmp_path: Path, dossier) -> None:
    dossier("init", tmp_path / "case", "--tz", "Europe/Madrid")
    assert dossier("ingest", tmp_path / "case", leak).code == 0

    def bodies(query: str) -> list[str]:
        result = dossier("search", tmp_path / "case", query, "--json", "--sort", "oldest")
        assert result.code == 0, result.err
        return [hit["body"] for hit in json.loads(result.out)]

    assert len(bodies("from:alice")) == 2
    assert len(bodies("to:bob")) == 1
    assert len(bodies("to:maría")) == 1  # Cc counts as a recipient
    assert len(bodies("cc:maria@union.example")) == 1
    assert bodies("subject:lunch") == ["Lunch at one?\n"]
    assert len(bodies('in:"Budget for Eastfield"')) == 2
    assert len(bodies("bluebird")) == 1  # words inside an attached text file
    assert len(bodies("dkim:unsigned")) == 3 and not bodies("dkim:pass")
    hit = json.loads(dossier("search", tmp_path / "case", "from:bob", "--json").out)[0]
    assert hit["sent_at"] == "2024-05-14T10:15:00+02:00"
    assert hit["local_time_text"] == "Tue, 14 May 2024 10:15:00 +0200"


def test_original_bytes_are_reachable(leak: Path, tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [leak / "alice"])
    row = case.store.conn.execute(
        "SELECT s.sha256, m.byte_start, m.byte_end FROM messages m JOIN sources s"
        " ON s.id = m.source_id JOIN emails e ON e.message_id = m.id WHERE e.subject = 'Lunch'"
    ).fetchone()
    original = case.read_object(row[0])[row[1] : row[2]]
    assert original.startswith(b"From: Alice Example") and b"Lunch at one?" in original


def test_reingest_adds_nothing_and_attachments_are_stored(leak: Path, tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [leak])
    again = ingest(case, [leak])
    assert again.messages_new == 0
    row = case.store.conn.execute(
        "SELECT a.name, a.text, s.sha256 FROM attachments a JOIN sources s ON s.id = a.source_id"
    ).fetchone()
    assert row[0] == "plan.txt" and "bluebird" in row[1]
    assert case.read_object(row[2]) == b"codename bluebird allocations"


def test_recipients_are_identities_of_persons(leak: Path, tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [leak])
    people = {p["name"]: p for p in case.store.persons_with_identities()}
    assert {"Alice Example", "Bob", "María", "Tom"} <= set(people)
    assert people["Alice Example"]["identities"][0]["value"] == "alice@union.example"


def dkim_fixtures() -> Path:
    from tests.conftest import need_corpora

    return need_corpora() / "email" / "fixtures" / "dkim"


def test_dkim_verified_at_ingest_and_searchable(tmp_path: Path, dossier) -> None:
    folder = dkim_fixtures()
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", folder, "--dkim-keys", folder / "keys.tsv")
    assert result.code == 0, result.err

    def files(query: str) -> set[str]:
        hits = json.loads(dossier("search", tmp_path / "case", query, "--json").out)
        return {c["file"].rsplit("/", 1)[-1] for h in hits for c in h["copies"]}

    assert {"test2.message", "ed25519test2.msg"} <= files("dkim:pass")
    # rfc6376.msg and its three signed copies differ only in DKIM-Signature headers: one
    # email, four copies; one copy does not verify, so the email says fail.
    assert {"rfc6376.signed.no_t.msg", "rfc6376.signed.rsa.msg"} <= files("dkim:fail")
    assert "message.mbox" in files("dkim:no-key")
    assert "rfc6376.w1258.msg" in files("dkim:unsigned")


def test_dkim_command_checks_emails_already_in_the_case(tmp_path: Path, dossier) -> None:
    folder = dkim_fixtures()
    dossier("init", tmp_path / "case")
    dossier("ingest", tmp_path / "case", folder)
    before = json.loads(dossier("search", tmp_path / "case", "dkim:pass", "--json").out)
    assert before == []
    result = dossier("dkim", tmp_path / "case", "--keys", folder / "keys.tsv", "--json")
    assert result.code == 0, result.err
    counts = json.loads(result.out)
    assert counts["pass"] >= 2 and counts["fail"] >= 1
    after = json.loads(dossier("search", tmp_path / "case", "dkim:pass", "--json").out)
    assert len(after) == counts["pass"]


def test_broken_key_store_stops_before_anything(tmp_path: Path, dossier, leak: Path) -> None:
    keys = tmp_path / "keys.tsv"
    keys.write_text("this is not a key line\n", "utf-8")
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", leak, "--dkim-keys", keys)
    assert result.code == 1 and "line 1" in result.err
    assert json.loads(dossier("sources", tmp_path / "case", "--json").out) == []


def test_show_an_email(leak: Path, tmp_path: Path, dossier) -> None:
    dossier("init", tmp_path / "case")
    dossier("ingest", tmp_path / "case", leak)
    (hit,) = json.loads(dossier("search", tmp_path / "case", "subject:lunch", "--json").out)
    text = dossier("show", tmp_path / "case", hit["id"]).out
    assert "Subject: Lunch" in text and "To: Tom <tom@union.example>" in text
    assert "folder Sent" in text
    data = json.loads(dossier("show", tmp_path / "case", hit["id"], "--json").out)
    assert data["message"]["email"]["header_message_id"] == "lunch@union.example"
    assert {r["role"] for r in data["message"]["email"]["recipients"]} == {"from", "to"}


def test_near_duplicates_are_listed_not_merged(tmp_path: Path, dossier) -> None:
    resent = OTHER.replace("To: Tom <tom@union.example>", "To: Tim <tim@union.example>")
    resent = resent.replace("<lunch@union.example>", "<lunch-2@union.example>")
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "a.eml").write_text(OTHER, "utf-8")
    (folder / "b.eml").write_text(resent, "utf-8")
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", folder)
    assert "1 email(s) with the same text" in result.err
    (group,) = json.loads(dossier("near-duplicates", tmp_path / "case", "--json").out)
    assert {e["header_message_id"] for e in group} == {
        "lunch@union.example",
        "lunch-2@union.example",
    }
    assert "Group 1: 2 emails" in dossier("near-duplicates", tmp_path / "case").out


def test_attached_outlook_msg_becomes_a_message(tmp_path: Path) -> None:
    from tests.conftest import need_corpora

    msg = need_corpora() / "email" / "fixtures" / "msg-extractor" / "strangeDate.msg"
    import base64

    payload = base64.encodebytes(msg.read_bytes()).decode()
    wrapper = (
        "From: a@x.example\nTo: b@x.example\nSubject: fwd\nMessage-ID: <w@x>\n"
        "Date: Tue, 14 May 2024 09:30:00 +0000\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsee\n"
        "--B\nContent-Type: application/vnd.ms-outlook; name=old.msg\n"
        "Content-Disposition: attachment; filename=old.msg\n"
        "Content-Transfer-Encoding: base64\n\n" + payload + "--B--\n"
    )
    (tmp_path / "w.eml").write_text(wrapper, "utf-8")
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [tmp_path / "w.eml"])
    rows = case.store.conn.execute("SELECT parent_id FROM emails ORDER BY message_id").fetchall()
    assert len(rows) == 2 and rows[0][0] is None and rows[1][0] is not None


def test_arc_result_is_recorded_with_dkim(tmp_path: Path) -> None:
    from tests.conftest import need_corpora

    mbox = need_corpora() / "email" / "mailing-list" / "linux-mips-2019q4.mbox"
    keys = tmp_path / "keys.tsv"
    keys.write_text("# no keys\n", "utf-8")
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [mbox], IngestOptions(dkim_keys=str(keys)))
    details = [d for (d,) in case.store.conn.execute("SELECT dkim_detail FROM emails") if d]
    assert any("ARC no-key" in d for d in details)
    statuses = {s for (s,) in case.store.conn.execute("SELECT DISTINCT dkim FROM emails")}
    assert statuses <= {"no-key", "unsigned", "error"}
    arcs = dict(case.store.conn.execute("SELECT arc, count(*) FROM emails GROUP BY arc"))
    assert set(arcs) == {"no-key", "none"} and arcs["no-key"] == sum(
        "ARC no-key" in d for d in details
    )
    assert count(case.store.conn, "arc:no-key") == arcs["no-key"]


def test_arc_sets_are_searchable_before_and_after_checking(
    tmp_path: Path, dossier: Callable[..., Result]
) -> None:
    """Without a key store an ARC-sealed email is arc:unchecked (shown as such); checked
    later with `dossier dkim`, it gets the chain's result."""
    from dossier.email.dkim import load_keys
    from dossier.ingest.authenticity import verify_case
    from tests.conftest import need_corpora

    mbox = need_corpora() / "email" / "mailing-list" / "linux-mips-2019q4.mbox"
    keys = tmp_path / "keys.tsv"
    keys.write_text("# no keys\n", "utf-8")
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, [mbox])
        sealed = count(case.store.conn, "arc:unchecked")
        assert sealed > 100 and count(case.store.conn, "arc:pass") == 0
        first = search(case.store.conn, "arc:unchecked", limit=1)[0].uid
    assert "; ARC unchecked" in dossier("show", tmp_path / "case", first).out
    with Case.open(tmp_path / "case") as case:
        verify_case(case, load_keys(str(keys)))
        assert count(case.store.conn, "arc:no-key") == sealed
    assert "ARC no-key" in dossier("show", tmp_path / "case", first).out


def test_an_unknown_arc_value_says_which_there_are() -> None:
    from dossier.errors import QueryError
    from dossier.store.query import parse

    with pytest.raises(QueryError) as found:
        parse("arc:maybe")
    assert "arc:pass" in (found.value.hint or "")


_ATTACHED = (
    "From: Ann <ann@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: the plan\r\n"
    "Message-ID: <inner@example.org>\r\nDate: Tue, 14 May 2024 09:00:00 +0000\r\n\r\n"
    "Move the organisers.\r\n"
)


def _forward(n: int) -> str:
    return (
        f"From: Bob <bob@example.org>\r\nTo: Cy <cy@example.org>\r\nSubject: Fwd {n}\r\n"
        f"Message-ID: <fwd-{n}@example.org>\r\nDate: Tue, 14 May 2024 10:0{n}:00 +0000\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\n" + _ATTACHED + "--b--\r\n"
    )


@pytest.mark.parametrize("layout", ["eml", "mbox"])
def test_an_attached_email_points_at_its_own_bytes_in_the_file(tmp_path: Path, layout: str) -> None:
    """The attached email's place is its own bytes inside the parent, not the whole parent:
    ``show`` quotes it, DKIM checks it."""
    from dossier.read import original_bytes

    if layout == "eml":
        path = tmp_path / "fwd.eml"
        path.write_bytes(_forward(1).encode())
    else:
        path = tmp_path / "box.mbox"
        path.write_bytes(
            "".join(
                f"From bob@example.org Tue May 14 10:0{n}:00 2024\r\n{_forward(n)}\r\n"
                for n in (1, 2)
            ).encode()
        )
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        ingest(case, [path])
        rows = case.store.conn.execute(
            "SELECT m.source_id, m.byte_start, m.byte_end, m.line_start, m.line_end, e.subject"
            " FROM messages m JOIN emails e ON e.message_id = m.id WHERE e.parent_id IS NOT NULL"
        ).fetchall()
        assert rows, "the attached email is a message of its own"
        data = original_bytes(case, rows[0][0])
    for _, start, end, first, last, subject in rows:
        # The line break before the next boundary belongs to the boundary (RFC 2046).
        assert data[start:end] == _ATTACHED.encode()[:-2] and subject == "the plan"
        lines = data.split(b"\n")
        assert (
            lines[first - 1].startswith(b"From: Ann")
            and lines[last - 1] == b"Move the organisers.\r"
        )


def signed_by_a_new_key(tmp_path: Path, body: bytes) -> tuple[bytes, Path]:
    """An email signed now with a fresh RSA key (selector s1, union.example), and a key
    store holding that key's public half."""
    import base64

    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    message = (
        b"From: Ann <ann@union.example>\r\nTo: Bob <bob@union.example>\r\n"
        b"Subject: The minutes\r\nDate: Tue, 14 May 2024 09:00:00 +0200\r\n"
        b"Message-ID: <minutes-1@union.example>\r\n\r\n" + body
    )
    signature = dkim.sign(
        message, b"s1", b"union.example", private, include_headers=[b"from", b"subject"]
    )
    store = tmp_path / "keys.tsv"
    record = "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode("ascii")
    store.write_text(f"s1._domainkey.union.example\t{record}\n", "utf-8")
    return signature + message, store


@pytest.mark.parametrize("quoting", ["mboxo", "mboxrd"])
def test_a_signed_email_in_an_mbox_verifies_as_sent(tmp_path: Path, dossier, quoting: str) -> None:
    """Its body lines that began with "From " got a ">" in the mbox: DKIM checks the lines
    as sent (a false "fail" would tell a court the email was altered)."""
    body = b"Notes below.\r\nFrom the chair: approved.\r\n"
    if quoting == "mboxrd":  # which also quotes lines that were quoted already
        body += b">From an earlier mail: no.\r\n"
    signed, keys = signed_by_a_new_key(tmp_path, body)
    stored = signed.replace(b"\r\n>From an", b"\r\n>>From an")
    stored = stored.replace(b"\r\nFrom the chair", b"\r\n>From the chair")
    box = tmp_path / "ann.mbox"
    box.write_bytes(b"From ann@union.example Tue May 14 09:00:00 2024\r\n" + stored + b"\r\n")
    # The same email, one byte of the body changed: that must still fail.
    changed = stored.replace(b"approved", b"approves")
    other = tmp_path / "tampered.mbox"
    other.write_bytes(b"From ann@union.example Tue May 14 09:00:00 2024\r\n" + changed + b"\r\n")
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", box, other, "--dkim-keys", keys)
    assert result.code == 0, result.err

    def checked(query: str) -> list[dict[str, object]]:
        hits = json.loads(dossier("search", tmp_path / "case", query, "--json").out)
        return [json.loads(dossier("show", tmp_path / "case", h["id"], "--json").out) for h in hits]

    (good,) = checked("dkim:pass")
    assert "ann.mbox" in str(good)
    # An mboxrd is read with its quoting undone (checked as read); an mboxo's is undone only
    # when its signature failed on the bytes kept, and the result says so.
    assert ("as sent" in str(good)) == (quoting == "mboxo")
    (bad,) = checked("dkim:fail")
    assert "tampered.mbox" in str(bad) and "that quoting may be why" in str(bad)
    again = json.loads(dossier("dkim", tmp_path / "case", "--keys", keys, "--json").out)
    assert again["pass"] == 1 and again["fail"] == 1  # the same, checked again later


def test_an_mboxrd_is_read_with_its_quoting_undone_and_kept_as_written(
    tmp_path: Path, dossier
) -> None:
    box = Path(__file__).parent / "fixtures" / "mail" / "mboxrd.mbox"
    dossier("init", tmp_path / "case")
    assert dossier("ingest", tmp_path / "case", box).code == 0
    hits = json.loads(dossier("search", tmp_path / "case", "subject:quoting", "--json").out)
    (hit,) = [h for h in hits if "Alice" in str(h)]
    shown = json.loads(dossier("show", tmp_path / "case", hit["id"], "--json").out)
    body = shown["message"]["body"]
    # What the sender wrote: one ">" fewer on each quoted line ...
    assert "\nFrom here the text was quoted once." in "\n" + body
    assert "\n>From here it was already quoted in the original." in "\n" + body
    # ... while the place it points to keeps the mbox's quoting, byte for byte.
    (copy,) = shown["message"]["copies"]
    start, end = copy["bytes"]
    assert b"\n>From here the text was quoted once." in box.read_bytes()[start:end]
