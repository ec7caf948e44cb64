"""A Telegram chat's title and the key that makes it one conversation across exports.

Message ids are the chat's own in supergroups and channels: every member's export gives a
message the same id, so the chat id alone is the key and two people's exports fold together.
In private chats and basic groups each account numbers the messages it holds itself, so the
same id in two people's exports may be two different messages: there the key also names whose
export it is (the account id of a whole-account export; otherwise the export's first message,
which is the same when one account exports the same history again).
"""

from __future__ import annotations

import hashlib

from dossier.formats.telegram.walk import Chat, RawMessage
from dossier.model import ParseIssue

# Chat types whose message ids are shared by every member.
SHARED_IDS = frozenset(
    ("public_supergroup", "private_supergroup", "public_channel", "private_channel")
)
# Titles for chats the export names with nothing.
UNNAMED = {
    "saved_messages": "Saved Messages",
    "personal_chat": "Deleted Account",
    "bot_chat": "Deleted Account",
}


class ChatNames:
    def __init__(self, fallback: str | None) -> None:
        self.fallback = fallback
        self._chat: Chat | None = None
        self._named: tuple[str, str | None] = ("", None)

    def of(self, chat: Chat, first: RawMessage) -> tuple[str, str | None]:
        """(title, conversation key) of ``chat``; ``first`` is a message of it, used when
        the chat's first message names the export."""
        if chat is not self._chat:
            self._chat = chat
            self._named = (self.title(chat), _key(chat, first))
        return self._named

    def title(self, chat: Chat) -> str:
        name = chat.fields.get("name")
        if isinstance(name, str) and name:
            return name
        kind = chat.fields.get("type")
        if isinstance(kind, str) and kind in UNNAMED:
            return UNNAMED[kind]
        chat_id = chat.fields.get("id")
        if self.fallback:
            return self.fallback
        return f"Telegram chat {chat_id}" if chat_id is not None else "Telegram chat"

    def empty(self, chat: Chat) -> ParseIssue:
        return ParseIssue(
            f"the chat {self.title(chat)!r} holds no messages", "", severity="warning"
        )


def _key(chat: Chat, first: RawMessage) -> str | None:
    chat_id = chat.fields.get("id")
    if chat_id is None or isinstance(chat_id, bool):
        return None
    if chat.fields.get("type") in SHARED_IDS:
        return str(chat_id)
    if chat.owner is not None:
        return f"{chat_id}@account{chat.owner}"
    digest = hashlib.blake2b(first.raw.encode("utf-8", "surrogateescape"), digest_size=6)
    return f"{chat_id}@export{digest.hexdigest()}"
