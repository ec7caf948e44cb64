"""Telegram service entries ("type": "service") in words: 'Ann invited Bob'.

The export names the action (``"action": "invite_members"``) and its particulars in fields
of their own; the words are made from them, and the raw fields are kept beside the message.
"""

from __future__ import annotations

from typing import Any

# action -> (kind, words). Fields in braces come from the entry; derived ones are made in
# _Fields below. An action missing here is still stored, worded from its name.
ACTIONS: dict[str, tuple[str, str]] = {
    "create_group": ("system", "{actor} created the group {title}{with_members}"),
    "create_channel": ("system", "{actor} created the channel {title}"),
    "edit_group_title": ("system", "{actor} changed the group name to {title}"),
    "edit_group_photo": ("system", "{actor} changed the group photo"),
    "delete_group_photo": ("system", "{actor} removed the group photo"),
    "invite_members": ("system", "{actor} invited {members}"),
    "remove_members": ("system", "{actor} removed {members}"),
    "join_group_by_link": ("system", "{actor} joined the group by a link{from_inviter}"),
    "join_group_by_request": ("system", "{actor} joined the group after a request"),
    "migrate_to_supergroup": ("system", "{actor} converted the group to a supergroup"),
    "migrate_from_group": ("system", "{actor} converted the group {title} to a supergroup"),
    "pin_message": ("system", "{actor} pinned message {message_id}"),
    "clear_history": ("system", "{actor} cleared the history"),
    "score_in_game": ("system", "{actor} scored {score} in a game"),
    "send_payment": ("system", "{actor} paid {amount} {currency}"),
    "take_screenshot": ("system", "{actor} took a screenshot"),
    "joined_telegram": ("system", "{actor} joined Telegram"),
    "allow_sending_messages": ("system", "{actor} allowed a bot to send messages"),
    "set_messages_ttl": ("system", "{actor} set messages to disappear after {period}"),
    "edit_chat_theme": ("system", "{actor} changed the chat theme to {emoticon}"),
    "topic_created": ("system", "{actor} created the topic {title}"),
    "topic_edit": ("system", "{actor} edited the topic {title}"),
    "boost_apply": ("system", "{actor} boosted the group"),
    "phone_call": ("call", "{actor} called{duration}{reason}"),
    "group_call": ("call", "{actor} started a group call{duration}"),
    "group_call_scheduled": ("call", "{actor} scheduled a group call"),
    "invite_to_group_call": ("call", "{actor} invited {members} to the group call"),
}


class _Fields(dict[str, str]):
    """An entry's fields as words; a missing one reads as nothing."""

    def __init__(self, entry: dict[str, Any]) -> None:
        super().__init__()
        self.entry = entry

    def __missing__(self, key: str) -> str:
        entry = self.entry
        if key == "actor":
            return _text(entry.get("actor")) or "Someone"
        if key == "members":
            return _names(entry.get("members"))
        if key == "with_members":
            names = _names(entry.get("members"))
            return f" with {names}" if names else ""
        if key == "from_inviter":
            inviter = _text(entry.get("inviter"))
            return f" from {inviter}" if inviter else ""
        if key == "duration":
            seconds = entry.get("duration_seconds")
            return f" ({seconds} s)" if isinstance(seconds, int) else ""
        if key == "reason":
            reason = _text(entry.get("discard_reason"))
            return f", {reason.replace('_', ' ')}" if reason else ""
        if key == "period":
            period = entry.get("period_seconds", entry.get("period"))
            return f"{period} s" if period is not None else "a while"
        return _text(entry.get(key))


def describe(entry: dict[str, Any]) -> tuple[str, str]:
    """(kind, words) for a service entry."""
    action = entry.get("action")
    known = ACTIONS.get(action) if isinstance(action, str) else None
    if known is None:
        words = str(action).replace("_", " ") if action else "did something"
        return "system", f"{_Fields(entry)['actor']}: {words}"
    kind, template = known
    return kind, template.format_map(_Fields(entry)).strip()


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _names(members: Any) -> str:
    if not isinstance(members, list):
        return _text(members)
    names = [_text(m) or "a deleted account" for m in members]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
