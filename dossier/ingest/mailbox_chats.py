"""Chat messages a mailbox holds (Teams chats inside an eDiscovery .pst), stored as chats.

A mailbox format that can hold chat messages says so with a ``chat_platform`` attribute and
yields them as ``MessageRecord``\\ s among its emails. The mail loader is handed the format
wrapped in ``ChatsAside``, which passes the emails on and sets the chat messages aside; then
``load_mailbox_chats`` stores those through the chat loader, as conversations of that platform
belonging to the same source. The source is read once.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from dossier.formats.base import MessageFormat, ParseOptions
from dossier.ingest.chat import ChatContext, ChatResult, load_chat
from dossier.ingest.merge import fold_same_messages, merge_into_existing
from dossier.ingest.report import IngestSummary
from dossier.model import MessageRecord, ParseRecord
from dossier.store.sqlite import SqliteStore


def chat_platform(fmt: MessageFormat) -> str | None:
    """The platform of the chat messages a mailbox format may yield, if it yields any."""
    value = getattr(fmt, "chat_platform", None)
    return value if isinstance(value, str) else None


class ChatsAside:
    """``fmt`` as the mail loader sees it: the chat messages it yields go to ``chats``."""

    def __init__(self, fmt: MessageFormat, chats: list[MessageRecord]) -> None:
        self.fmt = fmt
        self.chats = chats
        self.name = fmt.name
        self.platform = fmt.platform
        self.companion_names = fmt.companion_names

    def sniff(self, head: bytes, filename: str) -> float:
        return self.fmt.sniff(head, filename)

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        for record in self.fmt.parse(stream, filename, options):
            if type(record) is MessageRecord:
                self.chats.append(record)
            else:
                yield record


class _SetAside:
    """The set-aside chat messages, read by the chat loader as if from a format of their own."""

    companion_names: frozenset[str] = frozenset()

    def __init__(self, name: str, platform: str, records: list[MessageRecord]) -> None:
        self.name = name
        self.platform = platform
        self.records = records

    def sniff(self, head: bytes, filename: str) -> float:
        return 0.0  # never recognised from bytes: only ever given the records

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        yield from self.records


def load_mailbox_chats(
    store: SqliteStore,
    fmt: MessageFormat,
    records: list[MessageRecord],
    filename: str,
    ctx: ChatContext,
    summary: IngestSummary,
) -> tuple[ChatResult, int]:
    """Store the chat messages set aside from a mailbox; (result, how many were copies of
    messages already in the case)."""
    platform = chat_platform(fmt) or fmt.platform
    source = _SetAside(fmt.name, platform, records)
    result = load_chat(store, source, io.BytesIO, 0, filename, ctx)
    merged = 0
    for conversation_id in result.conversations.values():
        if conversation_id in result.keyed:
            merged += fold_same_messages(store, conversation_id, result.first_id)
        else:
            merged += merge_into_existing(store, platform, conversation_id, summary)
    return result, merged
