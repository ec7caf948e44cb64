"""One Telegram message object to a ``MessageRecord`` (or a ``ParseIssue`` saying why not).

What a column of the case holds (id, author, time, text, reply, edit, forward, reactions) is
taken out of the object; everything else it says (media sizes, the service action and its
fields, poll answers, the text's entity structure ...) is kept as JSON in
``details.structure``, so nothing the export holds is lost.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from dossier.formats.telegram.service import describe
from dossier.formats.telegram.walk import RawMessage
from dossier.model import ChatDetails, MessageRecord, ParseIssue

# Keys whose meaning is stored in a column of its own when they hold what is expected.
_TAKEN = frozenset(
    (
        "id",
        "type",
        "date",
        "date_unixtime",
        "from",
        "from_id",
        "actor",
        "actor_id",
        "edited",
        "edited_unixtime",
        "text_entities",
    )
)
# The keys of a message that says nothing beyond its author, time and plain text.
_PLAIN = _TAKEN | {"text"}
# Media keys whose value is a path beside the export, unless the export left the file out
# ("(File not included. Change data exporting settings to download.)").
_FILE_KEYS = ("photo", "file", "contact_vcard")
_MEDIA_MARKS = ("photo", "file", "media_type", "sticker_emoji")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_MENTIONS: tuple[str, ...] = ()


class NotAMessage(ValueError):
    """The object cannot be read as a message; the reason says why."""


def convert(raw: RawMessage, title: str, key: str | None) -> MessageRecord | ParseIssue:
    try:
        return _record(raw, title, key)
    except NotAMessage as exc:
        return issue(raw, str(exc))


def issue(raw: RawMessage, reason: str, severity: str = "error") -> ParseIssue:
    text = raw.raw
    if not text.isascii():
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return ParseIssue(
        reason=reason,
        raw=text,
        line_start=raw.line_start,
        line_end=raw.line_end,
        byte_start=raw.byte_start,
        severity="warning" if severity == "warning" else "error",
    )


def _record(raw: RawMessage, title: str, key: str | None) -> MessageRecord:
    msg = raw.value
    if not isinstance(msg, dict):
        raise NotAMessage("an item of the messages list that is not a message object")
    _check_encoding(raw)
    entry_type = msg.get("type")
    if entry_type not in ("message", "service"):
        raise NotAMessage(f"an entry of a type Dossier does not know ({entry_type!r})")
    header, local, sent_utc = _times(msg)
    text = msg.get("text")
    if type(text) is str and _PLAIN.issuperset(msg):
        rest: dict[str, Any] = {}  # the usual message: plain text and nothing beside it
        body, mentions = text, _NO_MENTIONS
    else:
        rest = {k: v for k, v in msg.items() if k not in _TAKEN}
        body, mentions = _text(text, rest)
    attachments: tuple[str, ...] = ()
    if entry_type == "service":
        kind, body = describe(msg)
        sender, sender_id = msg.get("actor"), msg.get("actor_id")
    elif rest:
        kind, attachments, body = _content(msg, body)
        sender, sender_id = msg.get("from"), msg.get("from_id")
    else:
        kind, sender, sender_id = "text", msg.get("from"), msg.get("from_id")
    edited = "edited" in msg or "edited_unixtime" in msg
    edited_at = _edited(msg, local, sent_utc) if edited else None
    details = ChatDetails(
        platform_id=_id(msg.get("id")),
        sender_id=_id(sender_id),
        conversation_key=key,
        reply_to=_id(rest.pop("reply_to_message_id", None)) if rest else None,
        forwarded_from=_forwarded(rest) if rest else None,
        edited_at=edited_at,
        reactions=_reactions(msg["reactions"]) if "reactions" in msg else (),
        mentions=mentions,
        structure=json.dumps(rest, ensure_ascii=False) if rest else None,
    )
    return MessageRecord(
        title,
        sender if isinstance(sender, str) else None,
        kind,
        body,
        header,
        local,
        True,
        raw.line_start,
        raw.line_end,
        raw.byte_start,
        raw.byte_end,
        attachments,
        edited,
        (),
        sent_utc,
        details,
    )


def _check_encoding(raw: RawMessage) -> None:
    if raw.raw.isascii():
        return
    try:
        raw.raw.encode("utf-8")
    except UnicodeEncodeError:
        raise NotAMessage("a message whose bytes are not valid UTF-8") from None


# --- time --------------------------------------------------------------------------------


def _times(msg: dict[str, Any]) -> tuple[str, datetime, datetime | None]:
    """(header text as written, wall-clock reading, exact instant or None)."""
    date, unix = msg.get("date"), msg.get("date_unixtime")
    sent_utc = _unix(unix)
    local = _iso(date)
    read_date = local is not None
    if local is not None and local.tzinfo is not None:
        # An instant written in ISO form with its zone ("2017-01-01T06:20:09.248Z").
        sent_utc = sent_utc or local.astimezone(UTC)
        local = local.replace(tzinfo=None)
    if local is None:
        if sent_utc is None:
            raise NotAMessage("a message without a readable date")
        local = sent_utc.replace(tzinfo=None)
    header = str(date) if read_date else str(unix)
    return header, local, sent_utc


def _unix(value: Any) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return _EPOCH + timedelta(seconds=int(value))  # a third of fromtimestamp's cost
    except (TypeError, ValueError, OverflowError):
        return None


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _edited(msg: dict[str, Any], local: datetime, sent_utc: datetime | None) -> datetime | None:
    """When the message was last edited (UTC), from the edit's instant or, failing that, its
    wall-clock text and the offset the message's own two times show."""
    exact = _unix(msg.get("edited_unixtime"))
    if exact is not None:
        return exact
    wall = _iso(msg.get("edited"))
    if wall is None:
        return None
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    if sent_utc is None:
        return None
    offset: timedelta = local - sent_utc.replace(tzinfo=None)
    return (wall - offset).replace(tzinfo=UTC)


# --- text and content --------------------------------------------------------------------


def _text(text: Any, rest: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The text flattened exactly, and the names mentioned. A plain string needs no keeping;
    an entity array stays in ``rest`` as the structure."""
    if text is None or isinstance(text, str):
        rest.pop("text", None)
        return text or "", ()
    if not isinstance(text, list):
        raise NotAMessage("a message whose text is neither text nor a list of parts")
    parts: list[str] = []
    mentions: list[str] = []
    for part in text:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
            if part.get("type") in ("mention", "mention_name"):
                mentions.append(part["text"])
        else:
            raise NotAMessage("a message whose text holds a part that is not text")
    return "".join(parts), tuple(mentions)


def _content(msg: dict[str, Any], body: str) -> tuple[str, tuple[str, ...], str]:
    """(kind, attached file paths, body) of an ordinary message."""
    files = tuple(
        path
        for path in (msg.get(k) for k in _FILE_KEYS if k in msg)
        if isinstance(path, str) and path and not path.startswith("(")
    )
    if isinstance(msg.get("poll"), dict):
        return "poll", files, body or _poll_words(msg["poll"])
    if isinstance(msg.get("location_information"), dict):
        return "location", files, body or _location_words(msg)
    if isinstance(msg.get("contact_information"), dict):
        return "contact", files, body or _contact_words(msg["contact_information"])
    if files or any(mark in msg for mark in _MEDIA_MARKS):
        return "media", files, body
    return "text", files, body


def _poll_words(poll: dict[str, Any]) -> str:
    lines = [str(poll.get("question") or "")]
    for answer in poll.get("answers") or []:
        if isinstance(answer, dict):
            lines.append(f"- {answer.get('text', '')} ({answer.get('voters', 0)} votes)")
    return "\n".join(lines)


def _location_words(msg: dict[str, Any]) -> str:
    where = msg["location_information"]
    words = f"Location: {where.get('latitude')}, {where.get('longitude')}"
    named = [str(msg[k]) for k in ("place_name", "address") if msg.get(k)]
    return "; ".join([words, *named])


def _contact_words(contact: dict[str, Any]) -> str:
    name = " ".join(str(contact[k]) for k in ("first_name", "last_name") if contact.get(k))
    phone = contact.get("phone_number")
    return f"Contact: {name}" + (f", {phone}" if phone else "")


# --- ids, forwards, reactions ------------------------------------------------------------


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value)


def _forwarded(rest: dict[str, Any]) -> str | None:
    who = rest.get("forwarded_from")
    if isinstance(who, str) and who:
        del rest["forwarded_from"]
        return who
    return None  # absent, or hidden by the sender (null): kept in the structure as read


def _reactions(found: Any) -> tuple[tuple[str, str], ...]:
    """(reaction, who) for each reaction; reactors the export does not name (beyond its
    "recent" list) count with an empty name, so the totals stay right."""
    if not isinstance(found, list):
        return ()
    out: list[tuple[str, str]] = []
    for reaction in found:
        if not isinstance(reaction, dict):
            continue
        label = str(reaction.get("emoji") or reaction.get("document_id") or reaction.get("type"))
        recent = [r for r in reaction.get("recent") or [] if isinstance(r, dict)]
        for who in recent:
            out.append((label, str(who.get("from") or who.get("from_id") or "")))
        count = reaction.get("count")
        if isinstance(count, int) and count > len(recent):
            out.extend((label, "") for _ in range(count - len(recent)))
    return tuple(out)
