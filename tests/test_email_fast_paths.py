"""The shortcuts of email reading give what the general code gives, on tricky input.

Each shortcut (a one-part text message read without a ``Message``, header fields read off the
decoded block, the usual Date form, plain address lists, the ASCII body key, the eml header
scan) is switched off to get the general result, and the two must be equal.
"""

from __future__ import annotations

from email.utils import getaddresses

import pytest

from dossier.email import fastparse, headers, mime
from dossier.email.model import ParsedEmail
from dossier.email.reader import read_email
from dossier.formats import eml
from dossier.ingest.mail import body_key, content_hash, text_hash
from dossier.textnorm import search_text


def general(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shortcut of read_email off: from now on it reads the general way."""
    monkeypatch.setattr(fastparse, "content_headers", lambda *args: None)
    monkeypatch.setattr(fastparse, "one_part", lambda *args: None)
    monkeypatch.setattr(headers, "simple_addresses", lambda values: None)
    monkeypatch.setattr(headers, "usual_date", lambda text: None)
    monkeypatch.setattr(headers, "_plain_fields", lambda text: False)


HEAD = (
    b"From: Ann Example <ann@union.example>\n"
    b'To: bob@union.example, "Doe, Jane" <jane@union.example>\n'
    b"Subject: =?utf-8?q?Caf=C3=A9?= plans\n"
    b"Date: Tue, 14 May 2024 09:30:00 +0200 (CEST)\n"
    b"Message-ID: <plans@union.example>\n"
)
# Content-* headers that read as one text body, and ones that do not (attachments,
# containers, base64, names in parameters, 8-bit or broken values).
CONTENT = [
    b"",
    b"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n",
    b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
    b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: Quoted-Printable \n",
    b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
    b'Content-Type: text/plain;\n\tcharset="windows-1252"\nContent-Transfer-Encoding: 8bit\n',
    b"Content-Type: TEXT/HTML; CHARSET=iso-8859-1\n",
    b'Content-Type: text/plain; charset=""\n',
    b"Content-Type: text/plain; charset=bogus-charset\n",
    b"Content-Type: text/plain; charset*=utf-8''%e2%82%ac\n",
    b"Content-Type: text/plain; charset=utf-8 (a comment)\n",
    b"Content-Type: text/plain; charset=utf-8; charset=latin-1\n",
    b"Content-Type: text/plain; charset=\xe9\n",
    b"Content-Type: text\n",
    b"Content-Type: ;charset=utf-8\n",
    b"Content-Type:\n",
    b"Content-Type: text/enriched\n",
    b"Content-Type: application/pdf; name=plan.pdf\n",
    b'Content-Type: text/plain; name="plan.txt"\n',
    b'Content-Type: text/plain; name="=?utf-8?q?_?="\n',
    b"Content-Type: text/plain\nContent-Disposition: attachment\n",
    b"Content-Type: text/plain\nContent-Disposition: inline\n",
    b'Content-Type: text/plain\nContent-Disposition: inline; filename="plan.txt"\n',
    b"Content-Type: message/rfc822\n",
    b"Content-Type: multipart/mixed; boundary=zz\n",
    b"Content-Transfer-Encoding: x-uuencode\n",
    b"Content-Transfer-Encoding: something-else\n",
    b"Content-Transfer-Encoding: \xe9\n",
    b"content-type: Text/Plain; Charset=UTF-8\ncontent-transfer-encoding: QUOTED-PRINTABLE\n",
    b"Content-Transfer-Encoding: quoted-printable\nContent-Transfer-Encoding: base64\n",
    b"Content-Type:   \n\ttext/html\n",
]
BODIES = [
    b"Plain words.\n",
    b"Caf\xc3\xa9 =C3=A9 soft=\nbreak =3D end\n",
    b"Caf\xe9 \x93quoted\x94 latin-1\n",
    b"aGVsbG8gd29ybGQ=\n",
    b"<p>Some <b>HTML</b></p>\n",
    b"",
]


def messages() -> list[bytes]:
    found = []
    for content in CONTENT:
        for body in BODIES:
            found.append(HEAD + content + b"\n" + body)
            crlf = (HEAD + content).replace(b"\n", b"\r\n")
            found.append(crlf + b"\r\n" + body.replace(b"\n", b"\r\n"))
    return found


def test_tricky_messages_read_the_same_without_the_shortcuts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raws = messages()
    fast = [read_email(raw) for raw in raws]
    taken = sum(
        1
        for raw in raws
        if (found := fastparse.content_headers(raw, *headers.split_block(raw)[:2])) is not None
        and mime.text_body(*found) is not None
    )
    assert taken > len(raws) // 4  # the shortcut did read many of them
    general(monkeypatch)
    for raw, one in zip(raws, fast, strict=True):
        assert one == read_email(raw), raw


def test_corpus_emails_read_the_same_without_the_shortcuts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.test_email_speed_paths import corpus_messages

    raws = corpus_messages()
    fast = [read_email(raw) for raw in raws]
    general(monkeypatch)
    for raw, one in zip(raws, fast, strict=True):
        assert one == read_email(raw)
    assert len(raws) > 5000


BLOCKS = [
    b"From: a@b.example\nTo: c@d.example\n",
    b"From: a@b.example\r\nTo: c@d.example,\r\n\te@f.example\r\n",
    b"Subject:  \x0b spaced \x0c \n\t more \n",
    b"Subject: caf\xc3\xa9\nX-Name: Zo\xc3\xab\n",
    b"Subject: caf\xe9\nTo: x@y.example\n",
    b"From sender@example Tue May 14 09:00:00 2024\nFrom: a@b.example\n",
    b"Subject: a\rTo: lone CR\n",
    b" leading: continuation\nFrom: a@b.example\n",
    b"From: a@b.example\nFrom x\n",
    b"From: a@b.example\n:odd\n",
    b"Subject: no newline at the end",
    b"Empty:\nAlso-Empty: \n\t\n",
    b"",
]


@pytest.mark.parametrize("block", BLOCKS)
def test_fields_read_off_the_text_as_from_the_bytes(block: bytes) -> None:
    fast_issues: list[str] = []
    fast = headers.field_texts(block, "iso-8859-2", fast_issues)
    general_issues: list[str] = []
    found, envelope = headers.fields(block)
    texts = [
        (name, headers.value_text(name, value, "iso-8859-2", general_issues))
        for name, value in found
    ]
    assert fast == (texts, envelope) and fast_issues == general_issues


DATES = [
    "Tue, 14 May 2024 09:30:00 +0200",
    "Tue, 14 May 2024 09:30:00 +0200 (CEST)",
    "  Mon, 1 Jan 2001 0:00:00 +0000  ",
    "Mon, 1 Jan 2001 00:00:00 -0000",  # UTC, the sender's zone unknown
    "Mon, 1 Jan 2001 00:00:00 -0030",
    "Sun, 31 Dec 1000 23:59:59 -2359",
    "Thu, 29 Feb 2024 12:00:00 +0100",
    "Thu, 29 Feb 2023 12:00:00 +0100",  # no such day
    "Thu, 31 Jun 2023 12:00:00 +0100",
    "Thu, 1 Jun 2023 24:00:00 +0100",
    "Thu, 1 Jun 2023 12:00:60 +0100",
    "Thu, 1 Jun 2023 12:00:00 +0560",  # read as six hours
    "Thu, 1 Jun 2023 12:00:00 +2400",
    "Thu, 1 Jun 0099 12:00:00 +0100",
    "Thu, 1 Jun 99 12:00:00 +0100",
    "Thu, 1 Jun 2023 12:00 +0100",
    "Thu, 1 jun 2023 12:00:00 +0100",
    "Thu,1 Jun 2023 12:00:00 +0100",
    "Thu, 1 Jun 2023 12:00:00 EST",
    "Thu, 1 Jun 2023 12:00:00 +0100 (a) (b)",
    "Thu, 1 Jun 2023 12:00:00 +0100 trailing words",
    "Thu,\u00a01\u3000Jun 2023 12:00:00 +0100",
    "1 Jun 2023 12:00:00 +0100",
    "not a date",
]


@pytest.mark.parametrize("text", DATES)
def test_usual_dates_read_as_the_stdlib_reads_them(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_issues: list[str] = []
    fast = headers.parse_date(text, fast_issues)
    monkeypatch.setattr(headers, "usual_date", lambda text: None)
    general_issues: list[str] = []
    assert fast == headers.parse_date(text, general_issues)
    assert fast_issues == general_issues


def test_the_usual_date_form_is_read_by_the_shortcut() -> None:
    assert fastparse.usual_date("Tue, 14 May 2024 09:30:00 +0200 (CEST)") == (
        1715671800,
        "+02:00",
    )


@pytest.mark.parametrize(
    "value",
    ["\x0b@example.org", "a.\u00a0@example.org", "<\x0c@example.org>", "x@y.example\u2028"],
)
def test_address_lists_with_odd_whitespace_are_read_by_the_stdlib(value: str) -> None:
    """The stdlib drops a piece of an address that is only odd whitespace; the shortcut used
    to keep it. Such lists now go to the stdlib."""
    assert fastparse.simple_addresses([value]) is None
    read = [(name.strip(), address.strip()) for name, address in getaddresses([value])]
    expected = tuple((name, address) for name, address in read if name or address)
    found = headers.addresses([value], "To", [])
    assert tuple((a.name, a.address) for a in found) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "one",
        " Two  words \n\n and\r\nlines\r",
        "tabs\tand\x0bvertical\x0cfeeds\x1cand\x1fseparators",
        "MiXeD CaSe",
        "caf\u00e9  \u00a0 nbsp\u2028line\u3000ideographic",
        "\u200binvisible\u00adsoft",
        "Stra\u00dfe K\u212a",
    ],
)
def test_body_key_of_ascii_text_as_of_any_text(text: str) -> None:
    mail = ParsedEmail("", (), "", None, text=text)
    assert body_key(mail) == " ".join(search_text(text).split()).casefold()


def test_copies_hash_as_before() -> None:
    """Stored hashes must not change from one version to the next (same email, same id)."""
    raw = (
        b"Received: from relay.example by mx.example; Tue, 14 May 2024 09:00:00 +0200\n"
        b"From: =?utf-8?q?Mar=C3=ADa_L=C3=B3pez?= <maria@union.example>\n"
        b'To: Bob  Smith <bob@union.example>,\n\t"Doe, Jane" <jane@union.example>\n'
        b"Subject:   Quarterly\t numbers  \n"
        b"Date: Tue, 14 May 2024 09:30:00 +0200 (CEST)\n"
        b"Message-ID: <q1@union.example>\n"
        b"X-Spam-Score: 1.0\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n"
        b"\n"
        b"Caf=C3=A9 at  ten,\r\n\tthen the  NUMBERS.\x0b\x1c end=\n"
        b"ed.\n"
    )
    mail = read_email(raw)
    assert body_key(mail) == "caf\u00e9 at ten, then the numbers. ended."
    assert content_hash(mail).startswith("05fa45cfe22e6102")
    assert text_hash(mail).startswith("a1729df2b6821ea7")
    plain = read_email(raw.replace(b"=C3=A9", b"e"))
    assert content_hash(plain).startswith("e57c0d33deff878b")
    assert text_hash(plain).startswith("96ad23e5f2f1acef")


@pytest.mark.parametrize(
    ("head", "scan"),
    [
        (b"From: a\nTo: b\n\nbody", (2, 2, True, 15)),
        (b"From: a\r\nTo: b\r\n\r\nbody", (2, 2, True, 18)),
        (b" \t\n \r\nSubject: x\n folded\n\n", (1, 1, True, 26)),
        (b" \t\n\x0b \nSubject: x\n", (0, 0, False, 3)),
        (b" not blank\nSubject: x\n\n", (0, 0, False, 0)),
        (b"X-One: 1\nX-Two : 2\nThen text\n", (2, 0, False, 19)),
        (b"Subject: cut off", (1, 1, False, 16)),
        (b"Subject: x\r\r\nbody", (1, 1, False, 13)),
        (b"Date:\n\tMon\nX-A:1\n\n", (2, 1, True, 18)),
        (b"", (0, 0, False, 0)),
    ],
)
def test_eml_header_scan(head: bytes, scan: tuple[int, int, bool, int]) -> None:
    """(header lines, known names, ended by a blank line, where the block ends)."""
    assert eml._scan_headers(head) == scan
    assert eml._header_scan(head) == scan and eml._header_scan(head) == scan  # remembered


@pytest.mark.parametrize(
    "name", ["1234.host:2,RS", "a/b/cur/1:2,S", "x!2,FP", ".", "", "c:\\mail\\1:2,T", "12."]
)
def test_maildir_flags_from_any_spelling_of_a_name(name: str) -> None:
    from pathlib import PurePath

    expected = PurePath(name.replace("\\", "/")).name
    assert eml._base_name(name) == expected


def test_long_header_values_are_read_but_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """What is remembered between emails (Content-* answers, charsets, people) stays small:
    a hostile email with huge values is read the same, and nothing of it is kept."""
    huge = "x" * 100_000
    raw = (
        f"From: {huge} <a@b.example>\nTo: {huge}@b.example\n"
        f"Content-Type: text/plain; charset=utf-8; name{huge}=y\n\nText.\n"
    ).encode()
    caches = (mime._remembered_text_body, headers._remembered_address)
    before = [cache.cache_info().currsize for cache in caches]
    fast = read_email(raw)
    assert [cache.cache_info().currsize for cache in caches] == before
    assert fast.text == "Text.\n" and fast.to[0].address == f"{huge}@b.example"
    general(monkeypatch)
    assert read_email(raw) == fast
