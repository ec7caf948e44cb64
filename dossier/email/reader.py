"""Read one RFC 822 message (bytes) into a ``ParsedEmail``, never raising on bad input.

Python's ``email`` package (policy compat32, the most forgiving) finds the MIME structure;
headers, charsets, bodies and quotes are decoded by our own small modules so that every
guess is visible. Anything odd becomes a sentence in ``issues`` (evidence rule 3).
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from dossier.email import charsets, fastparse, headers, mime, quotes
from dossier.email.html import html_to_text
from dossier.email.mime import Limits
from dossier.email.model import Address, ParsedEmail

__all__ = ["Limits", "read_email"]

_SINGLE = ("from", "subject", "date", "message-id", "in-reply-to", "references", "sender")


def read_email(raw: bytes, limits: Limits | None = None) -> ParsedEmail:
    """Parse ``raw``; everything that could not be read cleanly is listed in ``issues``."""
    try:
        return _read(raw, limits or Limits())
    except Exception as exc:  # last resort, so one hostile message cannot stop an ingest
        text, _ = charsets.guess(raw)
        return ParsedEmail(
            headers_raw="",
            headers=(),
            subject="",
            sender=None,
            text=text,
            issues=(f"The message could not be parsed ({exc!r}); kept as plain text.",),
        )


def _read(raw: bytes, limits: Limits) -> ParsedEmail:
    issues: list[str] = []
    block, body, separated = headers.split_block(raw)
    source = _source(raw, block, body, separated, issues)
    hint = source.charset if isinstance(source, mime.TextBody) else _top_charset(source)
    undecodable: list[str] = []  # said after any problem with the block itself
    texts, envelope = headers.field_texts(block, hint, undecodable)
    _check_block(texts, body, separated, issues)
    issues.extend(undecodable)
    decoded = tuple([(name, headers.decode_words(text, name, issues)) for name, text in texts])
    first, every = _by_name(texts, issues)
    if isinstance(source, mime.TextBody):
        found = mime.walk_text(source, body, limits, raw)
    else:
        found = mime.walk(source, limits, raw)
    issues.extend(found.issues)
    text, html = _bodies(found)
    date_text = first.get("date", "")
    date_utc, date_offset = headers.parse_date(date_text, issues)
    extra = {"envelope": headers.line_text(envelope)} if envelope else {}
    tnef_text = "\n".join(found.tnef_text)
    if tnef_text and tnef_text != text:
        extra["tnef_text"] = tnef_text  # the TNEF body beside a MIME body: keep both
    return ParsedEmail(
        headers_raw=headers.raw_text(block),
        headers=decoded,
        subject=headers.decode_words(first.get("subject", ""), "Subject", []),
        sender=_first(_addresses(every, "from", issues)),
        to=_addresses(every, "to", issues),
        cc=_addresses(every, "cc", issues),
        bcc=_addresses(every, "bcc", issues),
        reply_to=_addresses(every, "reply-to", issues),
        date_text=date_text,
        date_utc=date_utc,
        date_offset=date_offset,
        message_id=_message_id(first.get("message-id", ""), issues),
        in_reply_to=headers.message_ids(first.get("in-reply-to", "")),
        references=headers.message_ids(first.get("references", "")),
        text=text,
        html=html,
        new_text=quotes.new_text(text),
        parts=tuple(found.parts),
        nested=tuple(found.nested),
        issues=tuple(dict.fromkeys(issues)),  # same defect in 500 parts: say it once
        extra=extra,
    )


def _source(
    raw: bytes, block: bytes, body: bytes, separated: bool, issues: list[str]
) -> mime.TextBody | Message:
    """What the MIME walk reads: for a message of one text part, how to read its body (no
    ``Message`` is needed); else the message as Python's parser builds it."""
    if not separated:
        return _parse(raw, issues)
    found = fastparse.content_headers(raw, block, body)
    text = mime.text_body(*found) if found is not None else None
    if text is not None:
        return text
    simple = fastparse.one_part(raw, block, body)
    return simple if simple is not None else _parse(raw, issues)


def _parse(raw: bytes, issues: list[str]) -> Message:
    parser = BytesParser(policy=compat32)
    try:
        return parser.parsebytes(raw)
    except RecursionError:
        issues.append("MIME nesting is too deep to parse; the whole body is kept as text.")
    message = parser.parsebytes(raw, headersonly=True)
    # Read the unparsed body as one text part rather than as an opaque multipart blob.
    del message["Content-Type"]
    del message["Content-Transfer-Encoding"]
    return message


def _check_block(
    fields: list[tuple[str, str]], body: bytes, separated: bool, issues: list[str]
) -> None:
    if not fields:
        issues.append("The message has no headers; all of it is read as the body.")
    elif not separated and body:
        issues.append("No blank line ends the headers; the body starts at the first non-header.")


def _top_charset(message: Message) -> str | None:
    """The message's declared charset, the best hint for raw 8-bit bytes in its headers."""
    try:
        for part in message.walk():
            charset = part.get_content_charset()
            if charset:
                return charset
    except Exception:  # a hint only
        return None
    return None


def _by_name(
    texts: list[tuple[str, str]], issues: list[str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The first value of each header and all its values, by lowercase name. Single-valued
    headers that are repeated are noted (the first is used), not silently dropped."""
    first: dict[str, str] = {}
    every: dict[str, list[str]] = {}
    for name, text in texts:
        key = name.lower()
        values = every.get(key)
        if values is None:
            every[key] = [text]
            first[key] = text
        else:
            values.append(text)
    for key in _SINGLE:
        count = len(every.get(key, ()))
        if count > 1:
            issues.append(f"The message has {count} {key} headers; the first is used.")
    return first, every


def _addresses(every: dict[str, list[str]], key: str, issues: list[str]) -> tuple[Address, ...]:
    """The addresses in every header named ``key`` (``every``: values by lowercase name)."""
    values = every.get(key)
    return headers.addresses(values, key.title(), issues) if values else ()


def _first(found: tuple[Address, ...]) -> Address | None:
    return found[0] if found else None


def _message_id(text: str, issues: list[str]) -> str:
    ids = headers.message_ids(text)
    if len(ids) > 1:
        issues.append(f"Message-ID {text.strip()!r} holds {len(ids)} ids; the first is used.")
    if ids:
        return ids[0]
    if text.strip():
        issues.append(f"Message-ID {text.strip()!r} is not in angle brackets; kept as written.")
    return text.strip()


def _bodies(found: mime.Found) -> tuple[str, str | None]:
    """The plain text (from HTML, then TNEF, when there is none) and the first HTML body."""
    html = found.html[0] if found.html else None
    text = "\n".join(found.plain)
    if not text.strip() and html is not None:
        text = html_to_text(html)
    if not text.strip() and found.tnef_text:
        text = "\n".join(found.tnef_text)
    return text, html
