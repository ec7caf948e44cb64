"""The email container formats: mbox (every From_ variant) and single messages (eml, emlx).

Own fixtures are in tests/fixtures/mail/; conformance runs over ../shared/corpora/email (see
its MANIFEST.md) and is skipped when that folder is absent.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from dossier.formats import registry
from dossier.formats.base import HEAD_SIZE, ParseOptions
from dossier.formats.eml import EML, maildir_flags, maildir_folder
from dossier.formats.mbox import MBOX, is_separator, mbox_folder, unquote_from
from dossier.model import EmailRecord, ParseIssue, ParseRecord, SourceFact

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def email_corpus() -> Path:
    """The shared email corpus, or skip: it is not bundled with the project."""
    env = os.environ.get("DOSSIER_CORPORA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "corpora")
    for base in candidates:
        if (base / "email").is_dir():
            return base / "email"
    pytest.skip("email corpora absent (set DOSSIER_CORPORA or provide ../shared/corpora)")


def parse(path: Path, fmt: object = None) -> list[ParseRecord]:
    data = path.read_bytes()
    chosen = fmt or registry.recognise(data[:HEAD_SIZE], path.name)
    assert chosen is not None, f"{path} not recognised"
    with path.open("rb") as stream:
        return list(chosen.parse(stream, path.name, ParseOptions()))  # type: ignore[attr-defined]


def emails(records: list[ParseRecord]) -> list[EmailRecord]:
    return [r for r in records if isinstance(r, EmailRecord)]


def issues(records: list[ParseRecord]) -> list[ParseIssue]:
    return [r for r in records if isinstance(r, ParseIssue)]


def facts(records: list[ParseRecord]) -> dict[str, str]:
    return {r.key: r.value for r in records if isinstance(r, SourceFact)}


def check_offsets(path: Path, records: list[EmailRecord]) -> None:
    """raw is exactly the file's bytes at its range; the line range covers the same bytes."""
    data = path.read_bytes()
    starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
    for r in records:
        assert r.raw is not None
        assert data[r.byte_start : r.byte_end] == r.raw
        if r.line_start is not None and r.line_end is not None:
            assert starts[r.line_start - 1] == r.byte_start
            line_end_at = starts[r.line_end] if r.line_end < len(starts) else len(data)
            assert line_end_at == r.byte_end


def winner(path: Path) -> str | None:
    fmt = registry.recognise(path.read_bytes()[:HEAD_SIZE], path.name)
    return fmt.name if fmt else None


# --- mbox: own fixtures --------------------------------------------------------------------


def test_mboxo_keeps_quoting_and_reports_variant() -> None:
    records = parse(FIXTURES / "mboxo.mbox")
    mails = emails(records)
    assert len(mails) == 2
    check_offsets(FIXTURES / "mboxo.mbox", mails)
    assert mails[0].raw is not None and b"\n>From the chair" in mails[0].raw
    assert mails[0].raw.startswith(b"From: Alice")
    assert mails[0].raw.endswith(b"ten.\n")  # the framing blank line is not the message's
    assert facts(records)["mbox_variant"] == "mboxo"
    assert not issues(records)
    assert all(m.folder == "" for m in mails)


def test_mboxrd_is_told_by_double_quoting() -> None:
    records = parse(FIXTURES / "mboxrd.mbox")
    mails = emails(records)
    assert len(mails) == 2
    check_offsets(FIXTURES / "mboxrd.mbox", mails)
    assert facts(records)["mbox_variant"] == "mboxrd"
    assert mails[0].raw is not None
    plain = unquote_from(mails[0].raw, "mboxrd")
    assert b"\nFrom here the text" in plain and b"\n>From here it was" in plain


def variant_positions(records: list[ParseRecord]) -> tuple[int, list[int]]:
    """(where the variant fact is, where the emails are) in the records."""
    at = [n for n, r in enumerate(records) if isinstance(r, SourceFact) and r.key == "mbox_variant"]
    assert len(at) == 1  # said once
    return at[0], [n for n, r in enumerate(records) if isinstance(r, EmailRecord)]


def test_an_mboxrd_says_so_before_its_messages_so_they_are_read_unquoted() -> None:
    """Its quoting is undone for reading, so the reader must know it first; an mboxo's
    (which cannot be undone safely) and a non-seekable stream's come after, as always."""
    fact, mails = variant_positions(parse(FIXTURES / "mboxrd.mbox"))
    assert fact < min(mails)
    fact, mails = variant_positions(parse(FIXTURES / "mboxo.mbox"))
    assert fact > max(mails)
    data = (FIXTURES / "mboxrd.mbox").read_bytes()

    class OneWay(io.BytesIO):
        def seekable(self) -> bool:
            return False

    one_way = list(MBOX.parse(OneWay(data), "x.mbox", ParseOptions()))
    fact, mails = variant_positions(one_way)
    assert fact > max(mails) and facts(one_way)["mbox_variant"] == "mboxrd"
    assert emails(one_way) == emails(parse(FIXTURES / "mboxrd.mbox"))  # the same messages


def test_a_zipped_mbox_is_read_in_one_pass(tmp_path: Path) -> None:
    """A zip member can seek, but only by decompressing again: it is not read twice."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "box.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "mboxrd.mbox", "mboxrd.mbox")
    with zipfile.ZipFile(tmp_path / "box.zip") as archive, archive.open("mboxrd.mbox") as member:
        records = list(MBOX.parse(member, "mboxrd.mbox", ParseOptions()))  # type: ignore[arg-type]
    fact, mails = variant_positions(records)
    assert fact > max(mails) and emails(records) == emails(parse(FIXTURES / "mboxrd.mbox"))


def test_a_line_quoted_twice_is_found_across_read_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dossier.formats import mbox

    data = (FIXTURES / "mboxrd.mbox").read_bytes()
    at = data.index(b">>From")
    for block in (1, 3, at - 2, at, at + 1, at + 3):
        monkeypatch.setattr(mbox, "_SCAN_BLOCK", block)
        assert mbox._has_deep_quoting(io.BytesIO(data))
        assert not mbox._has_deep_quoting(io.BytesIO(data.replace(b">>From", b"> From")))


def test_from_lines_in_a_body_are_not_separators() -> None:
    records = parse(FIXTURES / "body_from.mbox")
    mails = emails(records)
    assert len(mails) == 2
    check_offsets(FIXTURES / "body_from.mbox", mails)
    assert mails[0].raw is not None
    assert b"From now on" in mails[0].raw and b"From carol@example.org" in mails[0].raw
    assert mails[1].raw is not None and mails[1].raw.startswith(b"From: Bob")


def test_content_length_frames_the_body() -> None:
    records = parse(FIXTURES / "content_length.mbox")
    mails = emails(records)
    assert len(mails) == 2
    check_offsets(FIXTURES / "content_length.mbox", mails)
    assert mails[0].raw is not None and b"From mallory@example.org" in mails[0].raw
    assert facts(records)["mbox_variant"] == "mboxcl2"


def test_a_lying_content_length_falls_back_to_separators() -> None:
    mails = emails(parse(FIXTURES / "bad_length.mbox"))
    assert len(mails) == 2
    check_offsets(FIXTURES / "bad_length.mbox", mails)
    assert mails[0].raw is not None and mails[0].raw.endswith(b"four bytes.\n")


def test_crlf_mbox() -> None:
    records = parse(FIXTURES / "crlf.mbox")
    mails = emails(records)
    assert len(mails) == 2
    check_offsets(FIXTURES / "crlf.mbox", mails)
    assert mails[0].raw == (
        b"From: Alice <alice@example.org>\r\nSubject: windows line ends\r\n"
        b"Message-ID: <cr1@example.org>\r\n\r\nfirst\r\n"
    )
    assert (mails[1].line_start, mails[1].line_end) == (9, 13)


def test_truncated_last_message_is_kept_and_reported() -> None:
    records = parse(FIXTURES / "truncated.mbox")
    mails = emails(records)
    assert len(mails) == 2
    check_offsets(FIXTURES / "truncated.mbox", mails)
    assert mails[1].raw is not None and mails[1].raw.endswith(b"in the hea")
    [issue] = issues(records)
    assert "truncated" in issue.reason and issue.byte_start == mails[1].byte_start


def test_truncated_content_length_body() -> None:
    data = b"From a@b.c Mon Jan  1 10:00:00 2024\nSubject: x\nContent-Length: 500\n\nshort\n"
    records = list(MBOX.parse(io.BytesIO(data), "cut.mbox", ParseOptions()))
    [mail] = emails(records)
    assert mail.raw == data[mail.byte_start :]
    assert "Content-Length says 500" in issues(records)[0].reason


def test_empty_message_is_an_issue_not_a_record() -> None:
    data = (
        b"From a@b.c Mon Jan  1 10:00:00 2024\n\nFrom d@e.f Mon Jan  1 11:00:00 2024\nX: y\n\nz\n"
    )
    records = list(MBOX.parse(io.BytesIO(data), "e.mbox", ParseOptions()))
    [mail] = emails(records)
    assert mail.raw == b"X: y\n\nz\n" and mail.line_start == 4
    assert "empty message" in issues(records)[0].reason


def test_8bit_envelope_line() -> None:
    path = FIXTURES / "envelope_8bit.mbox"
    assert winner(path) == "mbox"
    [mail] = emails(parse(path))
    check_offsets(path, [mail])
    envelope = path.read_bytes()[: mail.byte_start]
    assert envelope.startswith(b"From christian at \xe2\x80\x9cexample.org")
    assert mail.line_start == 2


def test_not_an_mbox_gives_an_error_issue_and_no_record() -> None:
    path = FIXTURES / "not_mbox.mbox"
    assert MBOX.sniff(path.read_bytes(), path.name) < registry.MIN_SCORE
    records = parse(path, MBOX)
    assert not emails(records)
    [issue] = issues(records)
    assert issue.severity == "error" and "not an mbox" in issue.reason


def test_mbox_streams_in_lines() -> None:
    """The parser reads the stream line by line: it never asks for the whole file."""

    class NoReadAll(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            assert size is not None and size >= 0, "whole-file read"
            return super().read(size)

    data = (FIXTURES / "mboxo.mbox").read_bytes() * 50
    assert len(emails(list(MBOX.parse(NoReadAll(data), "x.mbox", ParseOptions())))) == 100


def test_separator_shapes() -> None:
    assert is_separator(b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n")
    assert is_separator(b"From - Tue Feb 21 10:04:06 2017\n")
    assert is_separator(b"From goran at domain.com  Wed Dec  1 08:26:40 2010\n")
    assert is_separator(b"From a@b.c Sat, 01 Jan 2000 00:00:00 +0000\n")
    assert not is_separator(b"From now on we meet on Mondays.\n")
    assert not is_separator(b"From: a@b.c\n")


def test_mbox_folder_names() -> None:
    assert mbox_folder("/home/u/Mail/Sent.mbox") == "Sent"
    assert mbox_folder("/p/Local Folders/Inbox") == "Inbox"
    assert mbox_folder("/p/Local Folders/Inbox.sbd/Work", root="/p/Local Folders") == "Inbox/Work"


# --- eml: own fixtures ---------------------------------------------------------------------


def test_eml_after_an_envelope_line() -> None:
    path = FIXTURES / "with_from_line.eml"
    assert winner(path) == "eml"
    records = parse(path)
    [mail] = emails(records)
    check_offsets(path, [mail])
    assert mail.raw is not None and mail.raw.startswith(b"Return-Path:")
    assert mail.line_start == 2
    assert facts(records)["mbox_from_line"].startswith("From alice@example.org")


def test_binary_junk_and_empty_files() -> None:
    for name in ("junk.eml", "empty.eml"):
        path = FIXTURES / name
        assert winner(path) is None
        records = parse(path, EML)
        assert not emails(records)
        assert issues(records)[0].severity == "error"
    assert not emails(parse(FIXTURES / "empty.eml", MBOX))


def test_headers_only_file() -> None:
    path = FIXTURES / "headers_only.eml"
    assert winner(path) == "eml"
    records = parse(path)
    [mail] = emails(records)
    assert mail.raw == path.read_bytes()
    assert "headers only" in issues(records)[0].reason


def test_200kb_of_headers(tmp_path: Path) -> None:
    filler = "".join(f"X-Filler-{i}: {'v' * 180}\n" for i in range(1100))
    path = tmp_path / "long-header.eml"
    path.write_text(f"From: a@b.c\nSubject: big\n{filler}\nbody\n")
    assert winner(path) == "eml"
    [mail] = emails(parse(path))
    assert mail.raw == path.read_bytes()


def test_emlx_message_and_plist_facts() -> None:
    path = FIXTURES / "note.emlx"
    assert winner(path) == "eml"
    records = parse(path)
    [mail] = emails(records)
    check_offsets(path, [mail])
    assert mail.raw is not None and mail.raw.startswith(b"From: Alice") and mail.byte_start == 4
    found = facts(records)
    assert found["emlx_flags"] == "read,flagged"
    assert found["emlx_date-received"] == "2024-01-01T10:00:00+00:00"


def test_maildir_helpers() -> None:
    assert maildir_folder("/x/Maildir/.Sent/cur/123.host:2,S") == "Sent"
    assert maildir_folder("/x/Maildir/.Archive.2019/new/1:2,") == "Archive/2019"
    assert maildir_folder("/x/Maildir/cur/1:2,") == "INBOX"
    assert maildir_folder("/c/maildir/kaminski-v/inbox/12") == "inbox"
    assert maildir_folder("/c/maildir/lay-k/inbox/projects/3") == "inbox/projects"
    assert maildir_folder("/n/default/foo/baz/cur/13:2,", root="/n/default") == "foo/baz"
    assert maildir_flags("1234.host:2,RS") == "replied,seen"
    assert maildir_flags("12") == ""


def test_whatsapp_export_is_not_mail() -> None:
    chat = b"12/03/2020, 14:03 - Alice: From now on, Subject: lunch\n12/03/2020, 14:04 - Bob: ok\n"
    assert MBOX.sniff(chat, "chat.txt") == 0.0
    assert EML.sniff(chat, "chat.txt") == 0.0
    fmt = registry.recognise(chat, "WhatsApp Chat with Alice.txt")
    assert fmt is not None and fmt.name == "whatsapp"


# --- conformance over the shared corpus ----------------------------------------------------


def test_linux_mips_mbox() -> None:
    path = email_corpus() / "mailing-list" / "linux-mips-2019q4.mbox"
    assert winner(path) == "mbox"
    records = parse(path)
    mails = emails(records)
    assert len(mails) == 1500
    check_offsets(path, mails)
    assert all(m.raw is not None and m.raw[:1].isalpha() and b":" in m.raw[:80] for m in mails)
    assert facts(records)["mbox_variant"] in ("mboxo", "mboxrd")
    assert not issues(records)


PERCEVAL = {
    "mbox_complex.mbox": 2,
    "mbox_iso8859_encoding.mbox": 1,
    "mbox_multipart.mbox": 2,
    "mbox_no_fields.mbox": 6,
    "mbox_single.mbox": 1,
    "mbox_unixfrom_encoding.mbox": 1,
    "mbox_unknown_encoding.mbox": 1,
}


def test_perceval_mboxes() -> None:
    folder = email_corpus() / "fixtures" / "perceval-mbox"
    total = 0
    for name, count in PERCEVAL.items():
        path = folder / name
        assert winner(path) == "mbox", name
        mails = emails(parse(path))
        assert len(mails) == count, name
        check_offsets(path, mails)
        total += len(mails)
    assert total == 14


def single_messages(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def assert_one_eml_each(paths: list[Path]) -> int:
    count = 0
    for path in paths:
        assert winner(path) == "eml", path
        mails = emails(parse(path))
        assert len(mails) == 1, path
        check_offsets(path, mails)
        count += 1
    return count


def test_enron_maildir_files() -> None:
    assert assert_one_eml_each(single_messages(email_corpus() / "enron")) == 3054


def test_spamassassin_files() -> None:
    paths = single_messages(email_corpus() / "spamassassin")
    assert assert_one_eml_each(paths) == 450
    first = emails(parse(paths[0]))[0]
    assert first.byte_start > 0 and first.line_start == 2  # after the envelope line


def test_notmuch_maildir_files() -> None:
    paths = single_messages(email_corpus() / "fixtures" / "notmuch")
    assert assert_one_eml_each(paths) == 102
    flagged = [p for p in paths if p.name.endswith(":2,S")]
    assert flagged and facts(parse(flagged[0]))["maildir_flags"] == "seen"


def test_emlx_fixtures() -> None:
    folder = email_corpus() / "fixtures" / "ingest-file"
    for name in ("plaintext.emlx", "richtext.emlx"):
        path = folder / name
        assert winner(path) == "eml"
        records = parse(path)
        [mail] = emails(records)
        check_offsets(path, [mail])
        assert mail.raw is not None and mail.raw.startswith(b"Subject: Re: Emlx library")
        assert "emlx_flags" in facts(records) and not issues(records)


def test_dkim_msg_files_are_rfc822() -> None:
    folder = email_corpus() / "fixtures" / "dkim"
    paths = sorted(p for p in folder.iterdir() if p.name != "keys.tsv")
    assert assert_one_eml_each(paths) == 9


def test_outlook_and_pst_files_are_not_taken() -> None:
    base = email_corpus() / "fixtures"
    for rel in ("ingest-file/piste.msg", "ingest-file/testPST.pst", "mail-parser/mail_outlook_1"):
        head = (base / rel).read_bytes()[:HEAD_SIZE]
        assert MBOX.sniff(head, rel) == 0.0 and EML.sniff(head, rel) == 0.0
