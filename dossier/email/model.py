"""The shape every email takes once read, whatever it came from (mbox, .eml, .msg, .pst ...).

``ParsedEmail`` is produced by ``dossier.email.reader.read_email`` from RFC 822 bytes, and by the
Outlook readers from .msg/.pst items that have no RFC 822 form. Text is decoded but otherwise
exactly as sent; normalised copies for search are made later, by the ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Address:
    name: str  # display name, decoded ("" if none)
    address: str  # as written, e.g. "M.Lopez@Union.example" ("" when only a name is given)


@dataclass(frozen=True, slots=True)
class Part:
    """An attachment (or inline file) with its bytes."""

    filename: str  # decoded; "" when the part has none (the ingest names it)
    content_type: str  # e.g. "application/pdf"
    payload: bytes  # decoded transfer encoding; the file's own bytes
    inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    headers_raw: str  # the header block as in the message: each line UTF-8, else latin-1
    headers: tuple[tuple[str, str], ...]  # (name, decoded value) in order, all of them
    subject: str
    sender: Address | None  # From (first mailbox)
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    date_text: str = ""  # the Date header as written
    date_utc: int | None = None  # epoch seconds, None if missing or unreadable
    date_offset: str = ""  # "+02:00" from the Date header, "" if none
    message_id: str = ""  # without angle brackets
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    text: str = ""  # the plain-text body (decoded); from HTML when there is no text part
    html: str | None = None  # the HTML body as sent (unsanitised: sanitise before showing)
    new_text: str = ""  # what this person wrote: text without quoted replies and signature
    parts: tuple[Part, ...] = ()  # attachments
    nested: tuple[bytes, ...] = ()  # message/rfc822 parts and attached .eml/.msg, raw
    issues: tuple[str, ...] = ()  # defects, unknown or lying charsets, broken MIME ...
    extra: dict[str, str] = field(default_factory=dict)  # format-specific facts (pst folder ...)
