"""Microsoft Teams chat messages kept in a mailbox, as chat messages.

Microsoft 365 keeps a compliance record of every Teams chat and channel message as an Outlook
item in the mailbox of each participant (channel messages: the team's group mailbox), in the
hidden folder ``TeamsMessagesData`` (before late 2020: ``Conversation History/Team Chat``).
An eDiscovery (Standard) export hands them over inside a .pst beside the emails. They are told
apart by their message class: ``IPM.SkypeTeams.Message`` (also with suffixes, such as
``IPM.SkypeTeams.Message.Copilot.Teams`` for Copilot chats) for messages and
``IPM.SkypeTeams.SystemMessage`` for membership and other system events. Messages posted by
apps and bots come from ``<app name>@teams.microsoft.com``; adaptive-card content comes as an
attachment named ``<app name>.html``.

What each record becomes:

- sender: the item's sender name, and its address as the account (``teams:<address>``);
- text: the plain-text body exactly as stored; when the item has only an HTML body, that body's
  text (the HTML itself is kept in the details' structure, which says so);
- time: the item's submit time, else its delivery or creation time (MAPI times are UTC);
- conversation: the conversation topic (the chat's or channel's name), else the subject, else
  the folder; the item's PR_CONVERSATION_ID, when it has one, keeps one chat's messages
  together across the mailboxes and exports it is read from;
- platform id: the item's Internet message id, when it has one.

A .pst keeps an item's data in blocks spread through the file, so a chat message read from
one has no single byte range: ``byte_start`` and ``byte_end`` both hold the item's node id
(unique within the file and the same on every read), the lines are 0, and the structure names
the item's folder and id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from dossier.formats.outlook.text import html_to_text
from dossier.model import ChatDetails, MessageRecord, ParseIssue

PLATFORM = "teams"
_MESSAGE_CLASS = "ipm.skypeteams."
_SYSTEM_CLASS = "ipm.skypeteams.systemmessage"


def is_teams_class(message_class: str) -> bool:
    """Whether an Outlook item of this message class is a Teams chat record."""
    return message_class.lower().startswith(_MESSAGE_CLASS)


@dataclass(frozen=True, slots=True)
class TeamsItem:
    """What the mailbox reader found in one Teams item: plain values, no library objects."""

    message_class: str
    folder: str  # the folder path inside the mailbox
    node_id: int  # the item's identifier inside the file
    sender_name: str = ""
    sender_address: str = ""
    sent: datetime | None = None  # aware
    sent_property: str = ""  # which MAPI property gave ``sent``
    text: str = ""  # the plain-text body
    html: str = ""  # the HTML body
    topic: str = ""  # PR_CONVERSATION_TOPIC
    subject: str = ""
    conversation_id: str = ""  # PR_CONVERSATION_ID, as hex
    message_id: str = ""  # PR_INTERNET_MESSAGE_ID
    attachments: tuple[str, ...] = ()


def teams_record(item: TeamsItem) -> MessageRecord | ParseIssue:
    """The chat message one Teams item records (a ParseIssue when it has no time)."""
    where = f"{item.folder or '/'}#{item.node_id}"
    body, from_html = (item.text, False) if item.text.strip() else (_html_text(item.html), True)
    if item.sent is None:
        return ParseIssue(
            f"{where}: a Teams message ({item.message_class}) with no time; not stored as a "
            "message",
            body,
            severity="warning",
        )
    sent = item.sent.astimezone(UTC)
    return MessageRecord(
        conversation=_title(item),
        sender=item.sender_name or item.sender_address or None,
        kind=_kind(item, body),
        body=body,
        header_text=sent.strftime("%Y-%m-%dT%H:%M:%SZ"),
        local_time=sent.replace(tzinfo=None),
        has_seconds=True,
        line_start=0,
        line_end=0,
        byte_start=item.node_id,
        byte_end=item.node_id,
        attachments=item.attachments,
        sent_utc=sent,
        details=_details(item, where, from_html),
    )


def _html_text(markup: str) -> str:
    return html_to_text(markup).strip() if markup else ""


def _title(item: TeamsItem) -> str:
    for candidate in (item.topic, item.subject):
        if candidate.strip():
            return candidate.strip()
    folder = item.folder.rsplit("/", 1)[-1] if item.folder else ""
    return f"Teams chat ({folder})" if folder else "Teams chat"


def _kind(item: TeamsItem, body: str) -> str:
    if item.message_class.lower().startswith(_SYSTEM_CLASS):
        return "system"
    if not body.strip() and item.attachments:
        return "media"
    return "text"


def _details(item: TeamsItem, where: str, from_html: bool) -> ChatDetails:
    structure: dict[str, str] = {
        "message_class": item.message_class,
        "item": where,
        "time_property": item.sent_property,
    }
    if from_html and item.html:
        structure["body_source"] = "html"
        structure["html"] = item.html
    return ChatDetails(
        platform_id=item.message_id or None,
        sender_id=item.sender_address.lower() or None,
        conversation_key=item.conversation_id or None,
        structure=json.dumps(structure, ensure_ascii=False),
    )
