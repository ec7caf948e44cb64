"""Telegram Desktop JSON exports: one chat, or the whole account with many chats.

Public API: ``TELEGRAM`` (a ``dossier.formats.base.MessageFormat``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from dossier.formats.base import ParseOptions, few_collections
from dossier.formats.telegram.chats import ChatNames
from dossier.formats.telegram.message import convert
from dossier.formats.telegram.sniff import sniff
from dossier.formats.telegram.walk import Chat, ExportWalker
from dossier.model import ParseIssue, ParseRecord, SourceFact

__all__ = ["TELEGRAM", "TelegramFormat"]


class TelegramFormat:
    name = "telegram"
    platform = "telegram"
    companion_names: frozenset[str] = frozenset()
    # Telegram Desktop names its JSON export result.json and keeps the media in folders
    # beside it (photos/, files/, chats/chat_001/...): that whole tree is one export.
    export_root_names: frozenset[str] = frozenset({"result.json"})

    def sniff(self, head: bytes, filename: str) -> float:
        return sniff(head, filename)

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        return few_collections(_parse(stream, options))


def _parse(stream: BinaryIO, options: ParseOptions) -> Iterator[ParseRecord]:
    walker = ExportWalker(stream)
    names = ChatNames(options.conversation)
    current: Chat | None = None
    items = 0  # in the current chat: messages, and entries that could not be read
    chats = 0
    for chat, item in walker.events():
        if item is None:  # a chat's messages begin
            if current is not None and items == 0:
                yield names.empty(current)
            current, items = chat, 0
            chats += 1
        elif isinstance(item, ParseIssue):
            items += 1
            yield item
        else:
            items += 1
            title, key = names.of(chat, item)
            yield convert(item, title, key)
    if current is not None and items == 0:
        yield names.empty(current)
    yield SourceFact("telegram_chats", str(chats))
    if walker.owner is not None:
        yield SourceFact("telegram_account", walker.owner)


TELEGRAM = TelegramFormat()
