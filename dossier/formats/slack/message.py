"""One Slack message object to a message record.

Slack marks what a message is with its ``subtype``: none for what a person wrote,
"bot_message" for an integration's post, "file_share" for an upload, "channel_join" and the
like for what the channel itself records. The body is the ``text`` exactly as exported; the
readable text (names for ids), the files, blocks and attachments go into the structure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard

from dossier.formats.slack.kinds import kind_of
from dossier.formats.slack.scan import Piece
from dossier.formats.slack.text import readable
from dossier.formats.slack.workspace import Chat, Workspace, mapping, person_name
from dossier.model import ChatDetails, MessageRecord, ParseIssue

# Slack's "ts": epoch seconds, then a sequence within the second ("1514764800.000200").
_TS = re.compile(r"^(\d{1,12})(?:\.\d{1,9})?$")

# Of the files Slack describes, what is worth having at hand (the rest is in the file).
_FILE_FIELDS = (
    "id",
    "name",
    "title",
    "mimetype",
    "filetype",
    "size",
    "mode",
    "url_private",
    "url_private_download",
    "permalink",
)


def is_message(value: object) -> TypeGuard[dict[str, Any]]:
    """Whether a decoded JSON value looks like a Slack message object."""
    return (
        isinstance(value, dict)
        and value.get("type") == "message"
        and isinstance(value.get("ts"), str)
        and _TS.match(value["ts"]) is not None
    )


def read_message(
    obj: object, piece: Piece, chat: Chat, ws: Workspace
) -> Iterator[MessageRecord | ParseIssue]:
    """The message record of one message object (and an issue if it was partly understood)."""
    if not is_message(obj):
        yield _issue(piece, 'not a Slack message (no "type": "message" with a "ts")')
        return
    subtype = obj.get("subtype")
    kind = kind_of(subtype, obj)
    if kind is None:
        kind = "text" if obj.get("user") or obj.get("bot_id") else "system"
        yield _issue(piece, f"unknown Slack message subtype {subtype!r}: stored as {kind}")
    inner = obj.get("message") if subtype == "message_changed" else None
    shown = inner if isinstance(inner, dict) else obj  # an edit event carries the new message
    body = _text(shown.get("text"))
    sender, account = _author(shown, ws)
    sent = _instant(obj["ts"])
    resolved, mentions = readable(body, ws)
    edited, edited_at = _edited(shown)
    yield MessageRecord(
        conversation=chat.title,
        sender=sender,
        kind=kind,
        body=body,
        header_text=obj["ts"],
        local_time=sent.replace(tzinfo=None),
        has_seconds=True,
        line_start=piece.line_start,
        line_end=piece.line_end,
        byte_start=piece.byte_start,
        byte_end=piece.byte_end,
        attachments=_file_names(shown) if kind == "media" else (),
        edited=edited or inner is not None,
        sent_utc=sent,
        details=ChatDetails(
            platform_id=obj["ts"],
            sender_id=account,
            conversation_key=chat.key,
            reply_to=_replied(obj),
            thread=_string(obj.get("thread_ts")),
            edited_at=edited_at,
            reactions=_reactions(shown, ws),
            mentions=mentions,
            structure=_structure(obj, shown, resolved, ws),
            readable=_readable(body, resolved, shown, ws),
        ),
    )


def _author(obj: Mapping[str, Any], ws: Workspace) -> tuple[str | None, str | None]:
    """(name, account id) of who wrote a message: a person, or a bot by its bot id."""
    user = _string(obj.get("user"))
    comment = obj.get("comment")
    if obj.get("subtype") == "file_comment" and isinstance(comment, dict):
        user = _string(comment.get("user")) or user
    bot = _string(obj.get("bot_id"))
    if obj.get("subtype") == "bot_message" or (user is None and bot is not None):
        account = user or bot
        profile = mapping(obj.get("bot_profile"))
        name = (
            _string(obj.get("username"))
            or _string(profile.get("name"))
            or (ws.user_name(user) if user else None)
            or (ws.bot_name(bot) if bot else None)
        )
        return name or f"{account} (bot)", account
    if user is None:
        return None, None
    return ws.user_name(user) or person_name(mapping(obj.get("user_profile"))) or user, user


def _instant(ts: str) -> datetime:
    return datetime.fromtimestamp(int(ts.split(".", 1)[0]), UTC)


def _edited(obj: Mapping[str, Any]) -> tuple[bool, datetime | None]:
    """(whether the message was edited, when, if the export says)."""
    edited = obj.get("edited")
    if not isinstance(edited, dict):
        return False, None
    ts = _string(edited.get("ts"))
    return True, _instant(ts) if ts is not None and _TS.match(ts) else None


def _replied(obj: Mapping[str, Any]) -> str | None:
    """A thread reply answers the thread's first message (its thread_ts)."""
    thread = _string(obj.get("thread_ts"))
    return thread if thread is not None and thread != obj["ts"] else None


def _reactions(obj: Mapping[str, Any], ws: Workspace) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for reaction in _dicts(obj.get("reactions")):
        name = f":{reaction.get('name')}:"
        users = [u for u in reaction.get("users") or () if isinstance(u, str)]
        found.extend((name, ws.user_name(u) or u) for u in users)
        count = reaction.get("count")
        if isinstance(count, int) and count > len(users):  # Slack lists only the first ones
            found.append((name, f"{count - len(users)} more not named in the export"))
    return tuple(found)


def _file_names(obj: Mapping[str, Any]) -> tuple[str, ...]:
    files = [*_dicts(obj.get("files")), *_dicts([obj.get("file")])]
    return tuple(str(f.get("name") or f.get("title") or f.get("id") or "file") for f in files)


def _structure(
    obj: Mapping[str, Any], shown: Mapping[str, Any], resolved: str, ws: Workspace
) -> str:
    kept: dict[str, Any] = {"subtype": obj.get("subtype"), "resolved_text": resolved}
    attachments = [_attachment_text(a, ws) for a in _dicts(shown.get("attachments"))]
    if attachments:
        kept["attachments_text"] = attachments
    files = [*_dicts(shown.get("files")), *_dicts([shown.get("file")])]
    if files:
        kept["files"] = [{k: f[k] for k in _FILE_FIELDS if k in f} for f in files]
    for key in ("blocks", "comment", "bot_id", "username", "deleted_ts", "previous_message"):
        value = shown.get(key, obj.get(key))
        if value is not None:
            kept[key] = value
    return json.dumps(kept, ensure_ascii=False)


def _readable(body: str, resolved: str, shown: Mapping[str, Any], ws: Workspace) -> str | None:
    """What Slack shows for the message when the exported text alone does not say it: names
    for mention ids, and the text of an integration's attachments (a bot post's text is often
    only there)."""
    parts = [resolved] if resolved != body else []
    parts += [_attachment_text(a, ws) for a in _dicts(shown.get("attachments"))]
    shown_text = "\n".join(p for p in parts if p)
    return shown_text or None


def _attachment_text(attachment: Mapping[str, Any], ws: Workspace) -> str:
    """An integration's attachment as one readable line (what Slack would show)."""
    parts = [attachment.get(k) for k in ("pretext", "title", "text")]
    shown = [p for p in parts if isinstance(p, str) and p] or [attachment.get("fallback") or ""]
    return "\n".join(readable(str(p), ws)[0] for p in shown)


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _issue(piece: Piece, reason: str) -> ParseIssue:
    return ParseIssue(
        reason,
        piece.raw.decode("utf-8", "replace"),
        piece.line_start,
        piece.line_end,
        piece.byte_start,
    )
