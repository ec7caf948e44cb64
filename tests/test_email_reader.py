"""read_email: synthetic edge cases, then the shared email corpus (skipped when absent)."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from dossier.email.html import html_to_text, sanitise
from dossier.email.reader import Limits, read_email
from tests.conftest import corpora

FIXTURES = Path(__file__).parent / "fixtures" / "email"


def _corpus() -> Path:
    return corpora() / "email"


CORPUS = _corpus()
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"email corpus not found at {CORPUS} (set DOSSIER_CORPORA)"
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- synthetic fixtures ------------------------------------------------------------------


def test_no_headers_is_all_body() -> None:
    mail = read_email(fixture("no-headers.eml"))
    assert mail.headers == ()
    assert mail.headers_raw == ""
    assert mail.text.startswith("Just some words")
    assert any("no headers" in issue for issue in mail.issues)


@pytest.mark.parametrize("seed", range(5))
def test_binary_junk_never_raises(seed: int) -> None:
    junk = random.Random(seed).randbytes(20_000)
    mail = read_email(junk)
    assert isinstance(mail.text, str)


@pytest.mark.parametrize("raw", [b"", b"\n\n\n", b"From: \n\n", b"Subject: =?x?b?###?=\n\nx"])
def test_degenerate_inputs(raw: bytes) -> None:
    read_email(raw)


def test_three_levels_of_nesting_are_handed_back_raw() -> None:
    outer = read_email(fixture("nested-3-levels.eml"))
    assert outer.text.strip() == "Outer body."
    assert len(outer.nested) == 2  # the message/rfc822 part and the attached .eml
    middle = read_email(outer.nested[0])
    assert middle.subject == "level 2"
    assert len(middle.nested) == 1
    inner = read_email(middle.nested[0])
    assert (inner.subject, inner.message_id) == ("level 3", "level3@example.org")
    assert inner.text.strip() == "Inner body."
    assert read_email(outer.nested[1]).subject == "attached eml"


def test_lying_and_unknown_charsets() -> None:
    mail = read_email(fixture("lying-charset.eml"))
    assert mail.text.strip() == "Le café est fermé."
    assert mail.sender is not None and mail.sender.name == "Renée"
    assert mail.subject == "café"  # unknown x-made-up charset: guessed, and said so
    assert any("'us-ascii'" in issue and "utf-8" in issue for issue in mail.issues)
    assert any("unknown charset 'x-made-up'" in issue for issue in mail.issues)


def test_html_only_gives_text_and_sanitised_html() -> None:
    mail = read_email(fixture("html-only.eml"))
    assert mail.html is not None and "<script>" in mail.html  # as sent
    assert mail.text.splitlines()[:3] == ["First paragraph.", "", "Second"]
    assert "alert" not in mail.text and "color:red" not in mail.text
    assert "* one" in mail.text
    clean = sanitise(mail.html)
    assert "script" not in clean and "onerror" not in clean and "tracker.example" not in clean


def test_html_text_keeps_inline_images_only_from_the_message() -> None:
    clean = sanitise('<img src="cid:logo@x"><img src="https://x.example/a.png"><a href="x">y</a>')
    assert "cid:logo@x" in clean and "x.example" not in clean
    assert html_to_text("<pre>a  b\n c</pre><p>d   e</p>") == "a  b\n c\n\nd e"


def test_attachments_ids_dates_signature() -> None:
    mail = read_email(fixture("rfc2231-attachment.eml"))
    names = [(p.filename, p.content_type, p.inline) for p in mail.parts]
    assert ("résumé.pdf", "application/pdf", False) in names
    assert ("über.png", "image/png", True) in names
    assert ("note.msg", "application/vnd.ms-outlook", False) in names  # .msg stays a part
    pdf = next(p for p in mail.parts if p.filename == "résumé.pdf")
    assert pdf.payload.startswith(b"%PDF-1.4")
    logo = next(p for p in mail.parts if p.content_type == "image/png")
    assert logo.content_id == "logo@example.org"
    assert mail.message_id == "files@example.org"
    assert mail.in_reply_to == ("parent@example.org",)
    assert mail.references == ("root@example.org", "parent@example.org")
    assert mail.date_offset == "-05:30"
    assert mail.date_utc == 1046790000
    assert mail.new_text == "See attached."


def test_attachment_bomb_many_parts_is_capped() -> None:
    parts = b"".join(b"--B\nContent-Type: text/plain\n\npart %d\n" % i for i in range(300))
    raw = b"Content-Type: multipart/mixed; boundary=B\n\n" + parts + b"--B--\n"
    mail = read_email(raw, Limits(parts=100))
    assert any("More than 100 MIME parts" in issue for issue in mail.issues)
    assert len(mail.text.splitlines()) < 100


def test_attachment_bomb_decoded_size_is_capped() -> None:
    blob = base64.encodebytes(b"\0" * 600_000)
    part = b"--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
    raw = b"Content-Type: multipart/mixed; boundary=B\n\n" + (part + blob) * 4 + b"--B--\n"
    mail = read_email(raw, Limits(decoded=1_000_000))
    assert len(mail.parts) == 1
    assert any("exceed 1000000 bytes" in issue for issue in mail.issues)


def test_deep_multipart_nesting_is_capped() -> None:
    def nest(levels: int) -> bytes:
        # Built outside-in without recursion: headers and openings, the leaf, then closings.
        head = b"".join(
            b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i)
            for i in range(levels)
        )
        tail = b"".join(b"--b%d--\n" % i for i in reversed(range(levels)))
        return head + b"Content-Type: text/plain\n\ndeep\n" + tail

    mail = read_email(nest(12), Limits(depth=5))
    assert any("deeper than 5 levels" in issue for issue in mail.issues)
    mail = read_email(nest(3000))  # beyond what the stdlib parser can recurse into
    assert any("too deep" in issue for issue in mail.issues)
    assert "deep" in mail.text


# --- the shared corpus --------------------------------------------------------------------


def _inventory() -> list[tuple[str, str]]:
    rows = (CORPUS / "fixtures" / "INVENTORY.tsv").read_text().splitlines()[1:]
    return [(row.split("\t")[0], row.split("\t")[1]) for row in rows if row.strip()]


def _as_rfc822(path: Path, kind: str) -> bytes:
    raw = path.read_bytes()
    if kind == "emlx":  # a byte-count line first, an XML plist after the message
        first, rest = raw.split(b"\n", 1)
        return rest[: int(first.strip())]
    return raw


def _sa(path: Path) -> bytes:
    return path.read_bytes().split(b"\n", 1)[1]  # drop the mbox "From " envelope line


@needs_corpus
def test_every_fixture_message_reads() -> None:
    read = 0
    for name, kind in _inventory():
        if not kind.startswith(("rfc822", "mbox", "emlx")):
            continue  # .msg, .pst, raw TNEF: other readers
        mail = read_email(_as_rfc822(CORPUS / "fixtures" / name, kind))
        assert isinstance(mail.text, str), name
        read += 1
    assert read > 240


@needs_corpus
def test_spamassassin_reads_and_flags_unknown_charsets() -> None:
    files = sorted((CORPUS / "spamassassin").rglob("*.eml"))
    assert len(files) == 450
    mails = {path.name[:5] + path.parent.name: read_email(_sa(path)) for path in files}
    bogus = mails["00002spam-2"]
    assert any("unknown charset 'default'" in issue for issue in bogus.issues)
    assert "The Need For Safety Is Real" in bogus.text
    big5 = mails["00006spam-2"]
    assert "信用卡" in big5.text and "信用卡" in big5.subject
    assert any("chinesebig5" in issue for issue in big5.issues)


@needs_corpus
def test_enron_sample_reads() -> None:
    files = sorted(p for p in (CORPUS / "enron").rglob("*") if p.is_file())[::10]
    for path in files:
        mail = read_email(path.read_bytes())
        assert mail.message_id, path
        assert mail.date_utc is not None, path


@needs_corpus
def test_encoded_word_subjects() -> None:
    mail = read_email((CORPUS / "fixtures/flanker/encoded-header.eml").read_bytes())
    assert mail.subject == "hello"
    assert mail.sender is not None and mail.sender.name == "Foo, Bar"
    mail = read_email((CORPUS / "fixtures/mail-parser/mail_test_12").read_bytes())
    assert mail.subject == "代开各地增值税发票"


@needs_corpus
def test_long_header() -> None:
    raw = (CORPUS / "fixtures/flanker/long-header.eml").read_bytes()
    mail = read_email(raw)
    assert len(mail.headers_raw) > 200_000
    assert mail.subject.startswith("Die heiße Zypernsonne quälte Max")
    assert mail.text.strip() == "test"


@needs_corpus
def test_missing_boundaries() -> None:
    mail = read_email((CORPUS / "fixtures/flanker/missing-boundaries.eml").read_bytes())
    assert "Hi This is a broken message" in mail.text
    mail = read_email((CORPUS / "fixtures/mail-parser/mail_malformed_1").read_bytes())
    assert any("start boundary not found" in issue for issue in mail.issues)


@needs_corpus
def test_nested_rfc822_count() -> None:
    digest = read_email((CORPUS / "fixtures/cpython-test_email/msg_02.txt").read_bytes())
    assert len(digest.nested) == 5
    assert read_email(digest.nested[0]).headers != ()


@needs_corpus
def test_tnef_part() -> None:
    for path in sorted((CORPUS / "fixtures/tnef-in-email").glob("*.eml")):
        mail = read_email(path.read_bytes())
        tnef = [p for p in mail.parts if p.content_type == "application/ms-tnef"]
        assert tnef or mail.extra.get("tnef_text") or mail.parts, path.name
        if tnef:
            assert tnef[0].payload[:4] == b"\x78\x9f\x3e\x22"  # the TNEF signature


@needs_corpus
def test_enron_new_text_drops_original_message_chain() -> None:
    mail = read_email((CORPUS / "enron/maildir/lay-k/inbox/661").read_bytes())
    assert "-----Original Message-----" in mail.text
    assert mail.new_text == "This one brings tears to my eyes."


_INNER = (
    "From: Ann <ann@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: the plan\r\n"
    "Message-ID: <inner@example.org>\r\n\r\nMove the organisers.\r\n"
)


def _carrier(inner: str) -> bytes:
    return (
        "From: Bob <bob@example.org>\r\nTo: Cy <cy@example.org>\r\nSubject: Fwd: the plan\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--b--\r\n"
    ).encode()


def test_an_attached_email_keeps_its_own_bytes_with_crlf_line_ends() -> None:
    raw = _carrier(_INNER)
    mail = read_email(raw)
    assert len(mail.nested) == 1
    assert mail.nested[0] in raw  # the very bytes of the original, CRLF and all
    assert mail.nested[0].startswith(b"From: Ann") and b"\r\n" in mail.nested[0]
    assert not any("wrote it out again" in issue for issue in mail.issues)


def test_an_attached_email_that_cannot_be_kept_as_it_was_is_flagged() -> None:
    # Written out again, a folded header loses the space before its fold.
    rewritten = _INNER.replace("Subject: the plan", "Subject: the plan \r\n\tfor Thursday")
    mail = read_email(_carrier(rewritten))
    assert mail.nested[0] not in _carrier(rewritten)
    assert any("wrote it out again" in issue for issue in mail.issues)


def test_a_list_of_addresses_read_again_is_the_same_and_repeats_its_issues() -> None:
    from dossier.email.headers import addresses

    team = ["Ann <ann@union.example>, =?utf-8?q?Jos=C3=A9?= <jose@union.example>"]
    first: list[str] = []
    again: list[str] = []
    assert addresses(team, "To", first) == addresses(list(team), "To", again)
    assert addresses(team, "To", [])[1].name == "José" and first == again == []
    broken = ["=?x-unknown?q?Caf=E9?= <cafe@union.example>"]
    said_first: list[str] = []
    said_again: list[str] = []
    addresses(broken, "Cc", said_first)
    addresses(broken, "Cc", said_again)
    assert said_first and said_again == said_first  # every email with it says so
