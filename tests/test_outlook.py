"""Outlook readers (.msg, .pst/.ost, TNEF) against the shared email corpus."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from dossier.email.model import ParsedEmail
from dossier.email.tnef import unpack
from dossier.formats.base import ParseOptions
from dossier.formats.outlook.text import rtf_to_text
from dossier.formats.outlook_msg import OUTLOOK_MSG
from dossier.formats.pst import PST
from dossier.model import EmailRecord, ParseIssue, SourceFact
from tests.conftest import corpora, need_corpora


def _corpus() -> Path:
    return corpora() / "email"


FIXTURES = _corpus() / "fixtures"
needs_corpus = pytest.mark.skipif(
    not FIXTURES.is_dir(),
    reason=f"email corpus not found at {FIXTURES} (set DOSSIER_CORPORA to the corpora folder)",
)


def _parse(fmt: object, path: Path) -> list[object]:
    with path.open("rb") as stream:
        return list(fmt.parse(stream, path.name, ParseOptions()))  # type: ignore[attr-defined]


def _emails(records: list[object]) -> list[EmailRecord]:
    return [r for r in records if isinstance(r, EmailRecord)]


def _msg(name: str) -> ParsedEmail:
    path = FIXTURES / name
    assert OUTLOOK_MSG.sniff(path.read_bytes()[:65536], path.name) >= 0.9
    (record,) = _parse(OUTLOOK_MSG, path)
    assert isinstance(record, EmailRecord)
    assert record.raw is None and record.byte_end == path.stat().st_size
    parsed = record.parsed
    assert isinstance(parsed, ParsedEmail)
    return parsed


# --- .msg ------------------------------------------------------------------------------------


@needs_corpus
def test_msg_without_extension_umlauts_and_five_attachments() -> None:
    mail = _msg("mail-parser/mail_outlook_1")
    assert mail.subject == "Newsletter Prüfung Personalwesen / Prüfung Eröffnungsbilanz"
    assert mail.sender is not None and mail.sender.address == "NueblingV@w-vwa.de"
    assert [a.address for a in mail.to] == ["gaiser-schoenenborn@kreis-tuebingen.de"]
    assert len(mail.parts) == 5
    assert mail.parts[0].filename == "newsletter.png" and mail.parts[0].content_type == "image/png"
    assert mail.message_id == "20170918100018.6AE0948009C@www.w-vwa.de"
    assert mail.date_offset == "+02:00" and mail.date_utc == 1505728818
    assert mail.headers_raw.startswith("Received:") and mail.html
    assert mail.extra["message_class"] == "IPM.Note"


@needs_corpus
def test_msg_unicode_two_tiffs() -> None:
    mail = _msg("msg-extractor/unicode.msg")
    assert mail.subject == "Test for TIF files"
    assert mail.sender is not None and mail.sender.address == "brizhou@gmail.com"
    assert mail.sender.name == "Brian Zhou"
    assert [p.filename for p in mail.parts] == ["import OleFileIO.tif", "raised value error.tif"]
    assert {p.content_type for p in mail.parts} == {"image/tiff"}
    assert all(p.payload.startswith((b"II*\x00", b"MM\x00*")) for p in mail.parts)
    assert [a.address for a in mail.cc] == ["brizhou@gmail.com"]


@needs_corpus
def test_msg_strange_date_falls_back_to_a_named_property() -> None:
    mail = _msg("msg-extractor/strangeDate.msg")
    assert mail.subject == "MSG Test File"
    assert mail.sender is None and mail.parts == ()
    assert mail.headers_raw == "" and mail.date_text == ""
    assert mail.date_utc == 1456239470  # 2016-02-23 14:57:50 UTC, the creation time
    assert mail.extra["date_source"] == "PR_CREATION_TIME"
    assert mail.text.startswith("MSG test file")


@needs_corpus
def test_msg_piste() -> None:
    mail = _msg("ingest-file/piste.msg")
    assert mail.subject == "Ab auf die Piste!"
    assert mail.sender is not None
    assert (mail.sender.name, mail.sender.address) == ("GMX Magazin", "mailings@gmxnet.de")
    assert mail.parts == () and mail.html and mail.date_offset == "+01:00"


@needs_corpus
def test_rfc822_named_msg_is_not_ours() -> None:
    head = (FIXTURES / "dkim" / "rfc6376.signed.msg").read_bytes()[:65536]
    assert OUTLOOK_MSG.sniff(head, "rfc6376.signed.msg") == 0.0


def test_junk_named_msg_is_a_parse_issue() -> None:
    junk = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 16
    assert OUTLOOK_MSG.sniff(b"not ole at all", "x.msg") == 0.0
    for data in (junk, b"plain junk" * 100):
        (issue,) = OUTLOOK_MSG.parse(io.BytesIO(data), "junk.msg", ParseOptions())
        assert isinstance(issue, ParseIssue) and issue.severity == "error"
        assert "junk.msg" in issue.reason


# --- .pst ------------------------------------------------------------------------------------


@needs_corpus
def test_pst_six_messages_with_transport_headers() -> None:
    path = FIXTURES / "ingest-file" / "testPST.pst"
    assert PST.sniff(path.read_bytes()[:65536], path.name) >= 0.9
    records = _parse(PST, path)
    mails = _emails(records)
    assert len(mails) == 6
    assert {m.folder for m in mails} == {"Début du fichier de données Outlook"}
    assert len({m.item for m in mails}) == 6
    first = mails[0].parsed
    assert first.subject == "Re: Feature Generators"
    assert first.sender is not None and first.sender.address == "kottmann@gmail.com"
    assert first.message_id == "530D9CAC.5080901@gmail.com" and first.date_offset == "+01:00"
    assert first.headers_raw and first.text.startswith("Hello,")
    assert all(m.parsed.extra["message_class"] == "IPM.Note" for m in mails)
    assert not [r for r in records if isinstance(r, ParseIssue)]
    # Stable: a second read gives the same item ids.
    assert [m.item for m in _emails(_parse(PST, path))] == [m.item for m in mails]


@needs_corpus
def test_pst_32_bit_ansi() -> None:
    mails = _emails(_parse(PST, FIXTURES / "go-pst" / "32-bit.pst"))
    assert len(mails) == 1
    (mail,) = mails
    assert mail.folder == "Top of Personal Folders/Calendar"
    assert mail.parsed.subject == "Updated: Olympus training for new hires"
    assert mail.parsed.sender.name == "Cyndy Foulkrod"
    assert len(mail.parsed.to) == 4 and len(mail.parsed.cc) == 3
    assert mail.parsed.to[0].address == "Cyndy.Foulkrod@stellent.com"
    assert mail.parsed.text.startswith("Patty will provide Olympus training")


@needs_corpus
def test_pst_non_mail_items() -> None:
    mails = _emails(_parse(PST, FIXTURES / "java-libpst" / "dist-list.pst"))
    found = {(m.folder, m.parsed.extra["message_class"], m.parsed.subject) for m in mails}
    assert ("Top of Personal Folders/Calendar", "IPM.Appointment", "Test appointment") in found
    assert ("Top of Personal Folders/Contacts", "IPM.DistList", "test dist list") in found
    assert ("Top of Personal Folders/Contacts", "IPM.Contact", "contact name 1") in found
    assert len(mails) == 4  # and the free/busy item
    appointment = next(m for m in mails if m.parsed.subject == "Test appointment")
    assert appointment.parsed.text.startswith("This is a complete test")
    assert len(appointment.parsed.issues) == 2  # two embedded items, said not extracted


@needs_corpus
def test_pst_passworded_opens_and_says_so() -> None:
    records = _parse(PST, FIXTURES / "java-libpst" / "passworded.pst")
    assert SourceFact("pst_password", "set (libpff reads the items regardless)") in records
    classes = sorted(m.parsed.extra["message_class"] for m in _emails(records))
    assert classes == ["IPM.Contact", "IPM.DistList", "IPM.Microsoft.ScheduleData.FreeBusy"]


@needs_corpus
@pytest.mark.parametrize("keep", [100, 4096, 60000, 200000])
def test_truncated_pst_is_an_issue_not_a_crash(tmp_path: Path, keep: int) -> None:
    copy = tmp_path / "cut.pst"
    shutil.copyfile(FIXTURES / "ingest-file" / "testPST.pst", copy)
    with copy.open("r+b") as handle:
        handle.truncate(keep)
    records = _parse(PST, copy)
    issues = [r for r in records if isinstance(r, ParseIssue)]
    assert issues and all(r.reason for r in issues)
    assert "OSError" in issues[0].reason


def test_pst_sniff() -> None:
    assert PST.sniff(b"!BDN\x00\x00\x00\x00SM", "a.pst") >= 0.9
    assert PST.sniff(b"From x", "a.pst") == 0.0


# --- TNEF ------------------------------------------------------------------------------------


@needs_corpus
def test_all_tnef_fixtures_unpack() -> None:
    files = sorted((FIXTURES / "tnefparse").glob("*.tnef"))
    assert len(files) == 16
    for path in files:
        data = path.read_bytes()
        body, _parts, issues = unpack(data)
        assert isinstance(body, str) and isinstance(issues, list)
        unpack(data[: len(data) // 2])  # damaged copies must not raise either


@needs_corpus
def test_tnef_attachment_names_and_bodies() -> None:
    tnef = FIXTURES / "tnefparse"
    _, parts, _ = unpack((tnef / "two-files.tnef").read_bytes())
    assert [p.filename for p in parts] == ["AUTHORS", "README"]
    _, parts, _ = unpack((tnef / "MAPI_ATTACH_DATA_OBJ.tnef").read_bytes())
    assert [p.filename for p in parts] == [
        "VIA_Nytt_1402.doc",
        "VIA_Nytt_1402.pdf",
        "VIA_Nytt_14021.htm",
    ]
    assert parts[1].content_type == "application/pdf" and parts[1].payload.startswith(b"%PDF")
    body, _, _ = unpack((tnef / "rtf.tnef").read_bytes())  # RTF only: turned into text
    assert "Greg Allen" in body and "\\par" not in body
    _, _, issues = unpack((tnef / "bad_checksum.tnef").read_bytes())
    assert any("checksum" in issue for issue in issues)


def test_tnef_bad_input_never_raises() -> None:
    assert unpack(b"")[2] == ["not TNEF: the stream does not start with the TNEF signature"]
    for junk in (b"\x78\x9f\x3e\x22", b"\x78\x9f\x3e\x22" + bytes(range(256)) * 3):
        body, _parts, issues = unpack(junk)
        assert body == "" and issues


def test_rtf_to_text() -> None:
    rtf = rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}\uc1 caf\u233\'e9 ok\par {\*\x y}s\'f8}"
    assert rtf_to_text(rtf) == "café ok\nsø"


def test_show_names_the_pst_item_a_message_was_read_from(tmp_path: Path, dossier) -> None:
    """A .pst item has no byte range of its own: show says which item it is instead."""
    pst = need_corpora() / "email/fixtures/ingest-file/testPST.pst"
    dossier("init", tmp_path / "case")
    assert dossier("ingest", tmp_path / "case", pst).code == 0
    found = json.loads(dossier("search", tmp_path / "case", "after:1990-01-01", "--json").out)
    shown = dossier("show", tmp_path / "case", found[0]["id"])
    assert "#" in shown.out and " item " in shown.out and "lines 0-0" not in shown.out


def test_outlook_items_without_headers_are_not_taken_for_copies(tmp_path: Path, dossier) -> None:
    """A contact and a distribution list have no transport headers and no text: they are two
    items, not two copies of one email."""
    pst = need_corpora() / "email/fixtures/java-libpst/dist-list.pst"
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", pst)
    assert result.code == 0, result.err
    assert "4 new, 0 merged" in result.err


def test_pst_says_how_many_orphan_items_it_holds(tmp_path: Path) -> None:
    """Items outside the folder tree (left by deleted folders) are read too; the source records
    how many there were."""
    pst = need_corpora() / "email/fixtures/ingest-file/testPST.pst"
    with open(pst, "rb") as stream:
        records = list(PST.parse(stream, pst.name, ParseOptions()))
    facts = {r.key: r.value for r in records if isinstance(r, SourceFact)}
    assert facts["pst_orphan_items"] == "0"
    assert sum(isinstance(r, EmailRecord) for r in records) == 6


def test_a_big_pst_shows_how_far_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its items cannot say where they sit in the file: progress is the share of its items
    read, shown as that share of its bytes, up to the whole file."""
    from dossier.case import Case
    from dossier.formats import pst as pst_format
    from dossier.ingest import files, ingest
    from tests.test_email_mbox_workers import Recorded

    pst = need_corpora() / "email/fixtures/ingest-file/testPST.pst"
    monkeypatch.setattr(files, "MAIL_PROGRESS_BYTES", 1000)  # (a small file counts as big)
    monkeypatch.setattr(pst_format, "_PROGRESS_EVERY", 1)
    progress = Recorded()
    with Case.create(tmp_path / "case", title=None, tz="UTC") as case:
        summary = ingest(case, [pst], progress=progress)
    assert summary.messages_new >= 6
    size = pst.stat().st_size
    begun = [n for n, (kind, _) in enumerate(progress.calls) if kind == "begin"]
    read = progress.calls[begun[-1] :]
    assert read[0] == ("begin", (str(pst), size))
    steps = [n for kind, n in read if kind == "advance"]
    assert len(steps) >= 6 and sum(steps) == size  # every item read: the whole file
    assert ("end", None) in read


@needs_corpus
def test_reading_a_pst_tells_how_many_items_are_read() -> None:
    told: list[tuple[int, int]] = []
    with open(FIXTURES / "ingest-file" / "testPST.pst", "rb") as stream:
        records = list(
            PST.parse(
                stream, "testPST.pst", ParseOptions(progress=lambda d, t: told.append((d, t)))
            )
        )
    items = sum(isinstance(r, EmailRecord) for r in records)
    assert told and told[-1] == (items, items)  # the count from the folders was right
    assert [d for d, _ in told] == sorted(d for d, _ in told)
