"""One ``ParsedEmail`` from what an Outlook item offers: transport headers and MAPI properties.

When the item kept its internet headers (PR_TRANSPORT_MESSAGE_HEADERS) they are the evidence
for addresses, ids and the date; the MAPI properties fill whatever the headers do not say.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser

from dossier.email.model import Address, ParsedEmail, Part
from dossier.formats.outlook.text import html_to_text, rtf_to_text


@dataclass
class Mapi:
    """The MAPI side of an item, as the .msg or .pst reader found it."""

    subject: str = ""
    sender: Address | None = None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    sent: datetime | None = None  # aware
    sent_property: str = ""  # which property gave ``sent``
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    text: str = ""
    html: str | None = None
    rtf: bytes | None = None
    parts: list[Part] = field(default_factory=list)
    nested: list[bytes] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def decode(value: str) -> str:
    """An RFC 2047 header value decoded; as written when it cannot be."""
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def addresses(value: str | None) -> tuple[Address, ...]:
    if not value:
        return ()
    pairs = email.utils.getaddresses([value])
    return tuple(Address(decode(name), addr) for name, addr in pairs if name or addr)


def ids(value: str | None) -> tuple[str, ...]:
    """Message ids in a header, without angle brackets."""
    if not value:
        return ()
    found = [part.split(">", 1)[0] for part in value.split("<")[1:]]
    return tuple(i.strip() for i in found if i.strip()) or tuple(value.split())


def _offset(moment: datetime) -> str:
    delta = moment.utcoffset()
    if delta is None:
        return ""
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _header_date(text: str, issues: list[str]) -> tuple[int | None, str]:
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        issues.append(f"unreadable Date header: {text!r}")
        return None, ""
    if moment.tzinfo is None:  # "-0000": UTC, local offset unknown
        return int(moment.replace(tzinfo=UTC).timestamp()), ""
    return int(moment.timestamp()), _offset(moment)


def _body_text(mapi: Mapi, issues: list[str]) -> str:
    if mapi.text:
        return mapi.text
    try:
        if mapi.html:
            return html_to_text(mapi.html)
        if mapi.rtf:
            return rtf_to_text(mapi.rtf)
    except Exception as exc:  # a converter bug must not lose the item
        issues.append(f"body conversion failed: {type(exc).__name__}: {exc}")
    return ""


def build(headers_raw: str, mapi: Mapi) -> ParsedEmail:
    """Headers first, MAPI for what they lack (see the module notes)."""
    issues = list(mapi.issues)
    head: Message = HeaderParser().parsestr(headers_raw) if headers_raw else Message()
    pairs = tuple((name, decode(str(value))) for name, value in head.items())
    sender = next(iter(addresses(head.get("From"))), None) or mapi.sender
    date_text = str(head.get("Date", "")).strip()
    date_utc: int | None = None
    offset = ""
    if date_text:
        date_utc, offset = _header_date(date_text, issues)
    extra = dict(mapi.extra)
    if date_utc is None and mapi.sent is not None:
        date_utc = int(mapi.sent.timestamp())
        extra["date_source"] = mapi.sent_property
    message_id = next(iter(ids(head.get("Message-ID"))), "") or next(iter(ids(mapi.message_id)), "")
    return ParsedEmail(
        headers_raw=headers_raw,
        headers=pairs,
        subject=mapi.subject or decode(str(head.get("Subject", ""))),
        sender=sender,
        to=addresses(head.get("To")) or mapi.to,
        cc=addresses(head.get("Cc")) or mapi.cc,
        bcc=addresses(head.get("Bcc")) or mapi.bcc,
        reply_to=addresses(head.get("Reply-To")),
        date_text=date_text,
        date_utc=date_utc,
        date_offset=offset,
        message_id=message_id,
        in_reply_to=ids(head.get("In-Reply-To")) or ids(mapi.in_reply_to),
        references=ids(head.get("References")) or ids(mapi.references),
        text=_body_text(mapi, issues),
        html=mapi.html,
        parts=tuple(mapi.parts),
        nested=tuple(mapi.nested),
        issues=tuple(issues),
        extra=extra,
    )
