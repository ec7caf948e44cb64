"""Teams chat messages kept in a mailbox (eDiscovery .pst): item to chat message, and the
ingest route that stores a mailbox's chat messages as chats beside its emails.

No .pst holding Teams items is at hand (and libpff objects cannot be made by hand), so the
mapping is tested on ``TeamsItem``, the plain values the .pst reader fills from each item, and
the route with a small mailbox format defined here that yields emails and Teams messages.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import pytest

from dossier.case import DB_NAME, Case
from dossier.formats import registry
from dossier.formats.base import ParseOptions
from dossier.formats.outlook.teams import TeamsItem, is_teams_class, teams_record
from dossier.formats.pst import PST
from dossier.ingest import IngestOptions, ingest
from dossier.model import EmailRecord, MessageRecord, ParseIssue, ParseRecord

SENT = datetime(2024, 3, 14, 9, 1, 2, tzinfo=UTC)


def item(**fields: object) -> TeamsItem:
    base: dict[str, object] = {
        "message_class": "IPM.SkypeTeams.Message",
        "folder": "Top of Information Store/TeamsMessagesData",
        "node_id": 2097252,
        "sender_name": "Ann Lee",
        "sender_address": "Ann.Lee@contoso.com",
        "sent": SENT,
        "sent_property": "PR_CLIENT_SUBMIT_TIME",
        "text": "Budget is due Friday\r\nplease check",
        "topic": "Project X",
        "conversation_id": "0f1e2d3c",
        "message_id": "<1710406862000@teams>",
    }
    base.update(fields)
    return TeamsItem(**base)  # type: ignore[arg-type]


def test_teams_message_classes() -> None:
    assert is_teams_class("IPM.SkypeTeams.Message")
    assert is_teams_class("IPM.SkypeTeams.SystemMessage")
    assert is_teams_class("ipm.skypeteams.message.copilot.teams")
    assert not is_teams_class("IPM.Note")
    assert not is_teams_class("IPM.Note.Microsoft.Conversation")  # Skype for Business
    assert PST.chat_platform == "teams"


def test_a_teams_item_is_a_chat_message_with_its_ids() -> None:
    record = teams_record(item())
    assert isinstance(record, MessageRecord)
    assert record.conversation == "Project X"
    assert (record.sender, record.kind) == ("Ann Lee", "text")
    assert record.body == "Budget is due Friday\r\nplease check"  # as stored
    assert record.sent_utc == SENT and record.local_time == datetime(2024, 3, 14, 9, 1, 2)
    assert record.header_text == "2024-03-14T09:01:02Z"
    assert (record.byte_start, record.byte_end, record.line_start) == (2097252, 2097252, 0)
    details = record.details
    assert details is not None
    assert details.conversation_key == "0f1e2d3c"
    assert details.sender_id == "ann.lee@contoso.com"
    assert details.platform_id == "<1710406862000@teams>"
    structure = json.loads(details.structure or "{}")
    assert structure["item"] == "Top of Information Store/TeamsMessagesData#2097252"
    assert structure["message_class"] == "IPM.SkypeTeams.Message"


def test_an_item_with_only_html_gives_its_text_and_keeps_the_html() -> None:
    html = "<html><body><div>Call me <b>now</b></div></body></html>"
    record = teams_record(item(text="", html=html))
    assert isinstance(record, MessageRecord)
    assert "Call me" in record.body and "now" in record.body and "<b>" not in record.body
    assert record.details is not None
    structure = json.loads(record.details.structure or "{}")
    assert structure["body_source"] == "html" and structure["html"] == html


def test_system_messages_titles_and_offsets() -> None:
    system = teams_record(item(message_class="IPM.SkypeTeams.SystemMessage", text="Bob joined"))
    assert isinstance(system, MessageRecord) and system.kind == "system"
    untitled = teams_record(item(topic="", subject=""))
    assert isinstance(untitled, MessageRecord)
    assert untitled.conversation == "Teams chat (TeamsMessagesData)"
    by_subject = teams_record(item(topic="", subject="Quarterly numbers"))
    assert isinstance(by_subject, MessageRecord) and by_subject.conversation == "Quarterly numbers"
    madrid = SENT.astimezone(timezone(timedelta(hours=1)))
    shifted = teams_record(item(sent=madrid))
    assert isinstance(shifted, MessageRecord) and shifted.sent_utc == SENT
    card = teams_record(item(text="", attachments=("Polly.html",)))
    assert isinstance(card, MessageRecord) and card.kind == "media"
    assert card.attachments == ("Polly.html",)


def test_an_item_without_a_time_is_an_issue_not_a_message() -> None:
    issue = teams_record(item(sent=None))
    assert isinstance(issue, ParseIssue)
    assert "no time" in issue.reason and "#2097252" in issue.reason
    assert issue.raw == "Budget is due Friday\r\nplease check"


# --- the ingest route: a mailbox holding emails and Teams messages --------------------------


class MailboxLines:
    """A mailbox written one JSON object per line: {"email": rfc822 text} or {"teams": fields}."""

    name = "mailbox-lines"
    platform = "email"
    chat_platform = "teams"
    companion_names: frozenset[str] = frozenset()

    def sniff(self, head: bytes, filename: str) -> float:
        return 0.9 if head.startswith(b'{"email"') or head.startswith(b'{"teams"') else 0.0

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        offset = 0
        for line in stream.read().splitlines(keepends=True):
            entry = json.loads(line)
            if "email" in entry:
                raw = entry["email"].encode()
                yield EmailRecord(raw=raw, folder="Inbox", byte_start=offset, byte_end=offset + 1)
            else:
                fields = entry["teams"]
                fields["sent"] = datetime.fromisoformat(fields["sent"])
                yield teams_record(item(**fields))
            offset += len(line)


EMAIL = (
    "From: Ann Lee <ann.lee@contoso.com>\r\nTo: bob@contoso.com\r\nSubject: Budget\r\n"
    "Date: Thu, 14 Mar 2024 09:00:00 +0000\r\nMessage-ID: <b1@contoso.com>\r\n\r\nSee chat.\r\n"
)


def teams_line(node: int, text: str, minute: int, **extra: object) -> str:
    fields = {"node_id": node, "text": text, "sent": f"2024-03-14T09:{minute:02d}:00+00:00"}
    fields["message_id"] = f"<m{node}@teams>"
    fields.update(extra)
    return json.dumps({"teams": fields}) + "\n"


@pytest.fixture
def mailbox_format(monkeypatch: pytest.MonkeyPatch) -> MailboxLines:
    fmt = MailboxLines()
    monkeypatch.setitem(registry.FORMATS, fmt.name, fmt)
    return fmt


def _db(case: Case) -> sqlite3.Connection:
    return sqlite3.connect(case.root / DB_NAME)


def test_a_mailbox_stores_its_teams_messages_as_a_teams_chat(
    tmp_path: Path, mailbox_format: MailboxLines
) -> None:
    mailbox = tmp_path / "ann.mbxl"
    mailbox.write_text(
        json.dumps({"email": EMAIL})
        + "\n"
        + teams_line(101, "Budget is due Friday", 1)
        + teams_line(102, "Bob joined", 2, message_class="IPM.SkypeTeams.SystemMessage")
        + teams_line(103, "ok", 3, sender_name="Bob", sender_address="bob@contoso.com")
    )
    case = Case.create(tmp_path / "case", title="t", tz="Europe/Madrid")
    summary = ingest(case, [mailbox], IngestOptions(custodian="Ann"))
    assert summary.failed == [] and summary.messages_new == 4
    db = _db(case)
    chats = db.execute(
        "SELECT c.title, m.kind, m.body, m.sent_at, m.tz FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id WHERE c.platform = 'teams'"
        " ORDER BY m.sent_at"
    ).fetchall()
    assert [(t, k, b) for t, k, b, _, _ in chats] == [
        ("Project X", "text", "Budget is due Friday"),
        ("Project X", "system", "Bob joined"),
        ("Project X", "text", "ok"),
    ]
    assert chats[0][3] == int(datetime(2024, 3, 14, 9, 1, tzinfo=UTC).timestamp())
    assert chats[0][4] == "+00:00"
    assert db.execute("SELECT count(*) FROM messages WHERE kind = 'email'").fetchone()[0] == 1
    (count,) = db.execute("SELECT message_count FROM sources WHERE role = 'messages'").fetchone()
    assert count == 4
    handles = {v for (v,) in db.execute("SELECT value FROM identities WHERE kind = 'handle'")}
    assert handles == {"teams:ann.lee@contoso.com", "teams:bob@contoso.com"}
    again = ingest(case, [mailbox], IngestOptions(custodian="Ann"))
    assert again.messages_new == 0


def test_the_same_teams_messages_in_two_mailboxes_are_copies(
    tmp_path: Path, mailbox_format: MailboxLines
) -> None:
    ann = tmp_path / "ann.mbxl"
    ann.write_text(teams_line(101, "Budget is due Friday", 1) + teams_line(102, "ok?", 2))
    bob = tmp_path / "bob.mbxl"  # Bob's mailbox keeps its own record of each message
    bob.write_text(teams_line(7, "Budget is due Friday", 1, message_id="<m101@teams>"))
    case = Case.create(tmp_path / "case", title="t", tz="Europe/Madrid")
    ingest(case, [ann], IngestOptions(custodian="Ann"))
    summary = ingest(case, [bob], IngestOptions(custodian="Bob"))
    assert summary.messages_new == 0 and summary.messages_merged == 1
    db = _db(case)
    assert (
        db.execute("SELECT count(*) FROM conversations WHERE platform = 'teams'").fetchone()[0] == 1
    )
    assert db.execute("SELECT count(*) FROM further_copies").fetchone()[0] == 1
