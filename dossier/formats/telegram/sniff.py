"""Recognising a Telegram Desktop export from its first bytes.

JSON is common (Slack day files, other chat exports, any program's data), so a file is only
claimed on Telegram's own marks: a ``messages`` list whose entries look like Telegram's
("type": "message"/"service" with "date_unixtime", "from_id" or "actor_id"), a ``chats``
section with a ``list``, or the account export's ``personal_information``.
"""

from __future__ import annotations

import re

_OPENS_OBJECT = re.compile(rb"^(?:\xef\xbb\xbf)?\s*\{")
_MESSAGES = re.compile(rb'"messages"\s*:\s*\[')
_CHATS_LIST = re.compile(rb'"chats"\s*:\s*\{\s*(?:"about"\s*:\s*"[^"]*"\s*,\s*)?"list"\s*:\s*\[')
_ENTRY = re.compile(rb'"type"\s*:\s*"(?:message|service)"')
_TELEGRAM_FIELDS = re.compile(rb'"(?:date_unixtime|from_id|actor_id)"\s*:')
_CHAT_TYPE = re.compile(
    rb'"type"\s*:\s*"(?:personal_chat|bot_chat|private_group|private_supergroup|'
    rb'public_supergroup|private_channel|public_channel|saved_messages)"'
)
_ACCOUNT = re.compile(rb'"personal_information"\s*:\s*\{\s*"user_id"\s*:')


def sniff(head: bytes, filename: str) -> float:
    if not _OPENS_OBJECT.match(head):
        return 0.0
    messages_shape = _ENTRY.search(head) is not None and _TELEGRAM_FIELDS.search(head) is not None
    if _MESSAGES.search(head) and (messages_shape or _CHAT_TYPE.search(head)):
        score = 0.9
    elif _ACCOUNT.search(head):
        # A whole-account export whose chats start beyond the first bytes (long contact lists).
        score = 0.8
    elif _CHATS_LIST.search(head) and messages_shape:
        score = 0.9
    else:
        return 0.0
    if filename == "result.json":
        score += 0.05
    return score
