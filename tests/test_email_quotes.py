"""new_text: quoted replies, forwarded chains and signatures cut; the sender's words kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dossier.email.quotes import new_text
from dossier.email.reader import read_email


def _enron() -> Path:
    env = os.environ.get("DOSSIER_CORPORA")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "corpora"
    return base / "email" / "enron" / "maildir"


ENRON = _enron()
needs_enron = pytest.mark.skipif(
    not ENRON.is_dir(), reason=f"Enron maildir not found at {ENRON} (set DOSSIER_CORPORA)"
)


def test_outlook_original_message_chain() -> None:
    text = (
        "Please see below.\n\nKen\n\n -----Original Message-----\nFrom: Hanson, Mark\n"
        "Sent: Friday, September 14, 2001 10:43 AM\nTo: All Users\nSubject: FW: news\n\nOld."
    )
    assert new_text(text) == "Please see below.\n\nKen"


def test_on_wrote_attribution_over_two_lines() -> None:
    text = (
        "Sounds good to me.\n\nOn Tue, 9 Oct 2001 at 10:15, Jane Roe <jane@example.org>\n"
        "wrote:\n> Shall we meet at noon?\n> Jane\n"
    )
    assert new_text(text) == "Sounds good to me."


def test_interleaved_replies_keep_the_senders_lines() -> None:
    text = "> Question one?\nAnswer one.\n> Question two?\nAnswer two.\n"
    assert new_text(text) == "Answer one.\nAnswer two."


def test_signature_delimiter_cut_but_sign_off_kept() -> None:
    text = "The numbers are attached.\n\nThanks,\nVince\n\n-- \nVince Kaminski\nResearch\n"
    assert new_text(text) == "The numbers are attached.\n\nThanks,\nVince"


def test_mobile_footer_cut() -> None:
    assert new_text("On my way.\n\nSent from my iPhone\n") == "On my way."
    assert new_text("Ok\n\nSent from my BlackBerry Wireless Handheld (www.BlackBerry.net)") == "Ok"


def test_lotus_notes_forward_bar_that_wraps() -> None:
    text = (
        "FYI\n---------------------- Forwarded by Vince J Kaminski/HOU/ECT on 01/02/2001 "
        "08:41 AM\n---------------------------\n\nOriginal words.\n"
    )
    assert new_text(text) == "FYI"


def test_outlook_header_block_without_separator() -> None:
    text = (
        "Agreed.\n\nFrom: Jane Roe [mailto:jane@example.org]\nSent: Monday, October 29, 2001\n"
        "To: Gil\nSubject: RE: plan\n\nEarlier text.\n"
    )
    assert new_text(text) == "Agreed."


def test_lotus_notes_reply_header() -> None:
    text = (
        "Count me in.\n\nTanya Tamarchenko\n10/24/2000 05:46 PM\nTo: Vince J Kaminski/HOU/ECT@ECT\n"
        "cc:\nSubject: dinner\n\nEarlier text.\n"
    )
    assert new_text(text) == "Count me in."


def test_prose_with_from_is_kept() -> None:
    text = "From: the minutes of the board, nothing new.\nWe move on.\n"
    assert new_text(text) == text.strip()


def test_plain_text_unchanged() -> None:
    text = "Line one.\n\n  indented line two.\n"
    assert new_text(text) == "Line one.\n\n  indented line two."


def test_forward_with_nothing_added_is_empty() -> None:
    assert new_text("\n-----Original Message-----\nFrom: A\nSent: today\n\nBody") == ""


@needs_enron
def test_enron_original_message_chain_dropped() -> None:
    mail = read_email((ENRON / "lay-k" / "inbox" / "661").read_bytes())
    assert "Dear friends:" in mail.text
    assert mail.new_text == "This one brings tears to my eyes."


@needs_enron
def test_enron_chains_never_leak_into_new_text() -> None:
    chained = 0
    for path in sorted(ENRON.glob("*/inbox/*")):
        raw = path.read_bytes()
        if b"-----Original Message-----" not in raw:
            continue
        mail = read_email(raw)
        chained += 1
        assert "Original Message" not in mail.new_text, path
        assert len(mail.new_text) < len(mail.text), path
    assert chained > 500


def test_separator_glued_to_a_line() -> None:
    assert new_text("Sound.-----Original Message-----\nFrom: A\nSent: B\n\nOld") == "Sound."


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        # Any whitespace and any letter case the patterns accept, within a line.
        ("Yes.\n\u2003From:\u2003 Ann\nSent: Monday\n\nold", "Yes."),
        ("Yes.\nON\tMonday, Ann\nWROTE:\n> old", "Yes."),
        ("Yes.\n\u00a0Ann Smith wrote:\u00a0\n> old", "Yes."),
        ("Yes.\n\t----- forwarded MESSAGE -----\nold", "Yes."),
        ("Yes.\nAnn Doe\n01/02/2001 08:41 AM\n\u2002To: Bob\nold", "Yes."),
        ("Yes.\n--\nAnn", "Yes."),
        ("Yes.\n\u2003sent from my phone", "Yes."),
        # Lines that look a little like those, and are the sender's own words.
        (
            "Fares: 1/2 off\nOn sale now\nFrom the shop: hello",
            "Fares: 1/2 off\nOn sale now\nFrom the shop: hello",
        ),
        ("We wrote the plan:\nnext steps", "We wrote the plan:\nnext steps"),
    ],
)
def test_cut_lines_found_whatever_their_spacing(body: str, kept: str) -> None:
    assert new_text(body) == kept
