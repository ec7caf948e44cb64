"""Walking a Telegram Desktop export: the chats it holds and each message's exact extent.

Two layouts: one chat (``{"name", "type", "id", "messages": [...]}``) and the whole account
(``{"personal_information": ..., "chats": {"list": [chat, ...]}, "left_chats": {...}}``).
Only the message arrays are streamed; every other value is small and decoded whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from dossier.formats.telegram.cursor import BrokenJson, JsonCursor, utf8_len
from dossier.model import ParseIssue

# How much raw text a report of broken JSON keeps.
RAW_LIMIT = 4096
# Where the next message begins after a broken one: every message object opens with its id.
_NEXT_MESSAGE = re.compile(r',\s*(\{\s*"id"\s*:)')
_CHAT_SECTIONS = ("chats", "left_chats")


@dataclass
class Chat:
    """What an export says about one chat, besides its messages."""

    fields: dict[str, Any] = field(default_factory=dict)  # name, type, id ... as read
    owner: str | None = None  # the exporting account's user id, when the export says


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One element of a ``messages`` array, decoded, with where its bytes are."""

    value: Any
    raw: str
    byte_start: int
    byte_end: int
    line_start: int
    line_end: int


class StopWalk(Exception):
    """The structure is broken beyond recovery; the issue says where."""

    def __init__(self, issue: ParseIssue) -> None:
        super().__init__(issue.reason)
        self.issue = issue


Event = tuple[Chat, RawMessage | ParseIssue] | tuple[Chat, None]


class ExportWalker:
    def __init__(self, stream: BinaryIO) -> None:
        self.cursor = JsonCursor(stream)
        self.owner: str | None = None

    def events(self) -> Iterator[Event]:
        """(chat, message or issue) in file order; (chat, None) when a chat's messages begin.
        A broken structure ends the walk with an issue saying where."""
        try:
            if self.cursor.peek() == "":
                yield Chat(), ParseIssue("the file is empty", "", severity="error")
                return
            self.cursor.expect("{")
            yield from self._object(Chat(), top=True)
            if self.cursor.peek() != "":
                self._trailing()
        except StopWalk as stop:
            yield Chat(), stop.issue
        except BrokenJson as exc:
            yield Chat(), self._broken(exc.reason, exc.index).issue

    # --- objects -------------------------------------------------------------------------

    def _object(self, chat: Chat, *, top: bool) -> Iterator[Event]:
        """The members of a chat object (or of the top-level object), after its "{"."""
        cursor = self.cursor
        for key in self._keys():
            if key == "messages":
                yield chat, None
                yield from self._messages(chat)
            elif top and key in _CHAT_SECTIONS and cursor.peek() == "{":
                cursor.pos += 1
                yield from self._section()
            else:
                value, _, _ = cursor.value()
                self._remember(chat, key, value, top=top)

    def _remember(self, chat: Chat, key: Any, value: Any, *, top: bool) -> None:
        if top and key == "personal_information" and isinstance(value, dict):
            user = value.get("user_id")
            self.owner = None if user is None else str(user)
        elif isinstance(key, str) and not isinstance(value, (dict, list)):
            chat.fields[key] = value

    def _section(self) -> Iterator[Event]:
        """``{"about": ..., "list": [chat, ...]}``, after its "{"."""
        cursor = self.cursor
        for key in self._keys():
            if key == "list" and cursor.peek() == "[":
                cursor.pos += 1
                yield from self._chats()
            else:
                cursor.value()

    def _chats(self) -> Iterator[Event]:
        for _ in self._elements("]"):
            self.cursor.expect("{")
            yield from self._object(Chat(owner=self.owner), top=False)

    def _keys(self) -> Iterator[Any]:
        """The keys of the object just opened, each with the cursor at its value (which the
        caller reads before asking for the next key)."""
        for _ in self._elements("}"):
            key, _, _ = self.cursor.value()
            self.cursor.expect(":")
            yield key

    def _elements(self, close: str) -> Iterator[None]:
        """Once for each member of the object or array just opened, until ``close``; the
        caller reads the member each time."""
        cursor = self.cursor
        if cursor.peek() == close:
            cursor.pos += 1
            return
        while True:
            yield
            if cursor.expect("," + close) == close:
                return

    # --- messages ------------------------------------------------------------------------

    def _messages(self, chat: Chat) -> Iterator[Event]:
        cursor = self.cursor
        cursor.expect("[")
        if cursor.peek() == "]":
            cursor.pos += 1
            return
        while True:
            start = cursor.skip_space()
            try:
                value, _, end = cursor.value()
            except BrokenJson as exc:
                # Reported; the cursor is left at the next message's "{".
                yield chat, self._skip_broken(start, exc)
                continue
            yield chat, self._measure(value, start, end)
            cursor.release()
            if cursor.expect(",]") == "]":
                return

    def _measure(self, value: Any, start: int, end: int) -> RawMessage:
        cursor = self.cursor
        byte_start, line_start = cursor.locate(start)
        raw = cursor.text[start:end]
        byte_end = byte_start + utf8_len(raw)
        line_end = line_start + raw.count("\n")
        cursor.mark, cursor.mark_byte, cursor.mark_line = end, byte_end, line_end
        return RawMessage(value, raw, byte_start, byte_end, line_start, line_end)

    def _skip_broken(self, start: int, exc: BrokenJson) -> ParseIssue:
        """Report a message that is not valid JSON and move on to the next one; raise
        StopWalk when there is no next one (the file was cut short, or is broken for good)."""
        cursor = self.cursor
        byte_start, line_start = cursor.locate(start)
        raw = cursor.raw(start, RAW_LIMIT)
        if cursor.eof and (
            exc.index >= len(cursor.text.rstrip()) - 1 or exc.reason.startswith("unterminated")
        ):
            reason = "the file ends in the middle of a message: was it cut short?"
            raise StopWalk(self._issue(reason, raw, byte_start, line_start))
        found, moved = cursor.search(_NEXT_MESSAGE, start)
        skipped = "" if found is None else cursor.text[max(start - moved, 0) : found.start()]
        if found is None or '"messages"' in skipped:
            # No message follows, or the damage runs into another chat, where it is not
            # known where the messages begin.
            reason = f"the export is broken here ({exc.reason}); the rest could not be read"
            raise StopWalk(self._issue(reason, raw, byte_start, line_start))
        _, line_end = cursor.locate(found.start())
        cursor.pos = found.start(1)
        return ParseIssue(
            reason=f"a message that is not valid JSON ({exc.reason})",
            raw=_readable(raw),
            line_start=line_start,
            line_end=line_end,
            byte_start=byte_start,
            severity="error",
        )

    # --- the structure around the messages -------------------------------------------------

    def _trailing(self) -> None:
        at = self.cursor.pos
        raise self._broken("there is more text after the end of the export", at)

    def _broken(self, reason: str, index: int) -> StopWalk:
        cursor = self.cursor
        index = max(index, cursor.mark)
        byte_start, line = cursor.locate(index)
        raw = cursor.raw(index, RAW_LIMIT)
        if cursor.eof and not cursor.text[index:].strip():
            reason = f"the file ends too early ({reason}): was it cut short?"
        else:
            reason = f"the export's structure is broken ({reason}); the rest could not be read"
        return StopWalk(self._issue(reason, raw, byte_start, line))

    def _issue(self, reason: str, raw: str, byte_start: int, line: int) -> ParseIssue:
        return ParseIssue(
            reason=reason,
            raw=_readable(raw),
            line_start=line,
            line_end=line + raw.count("\n"),
            byte_start=byte_start,
            severity="error",
        )


def _readable(raw: str) -> str:
    """Text with any bytes that were not UTF-8 shown as U+FFFD."""
    return (
        raw if raw.isascii() else raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    )
