"""Slack workspace exports (a zip, or the folder it unpacks to).

An export holds ``users.json``, ``channels.json`` and the other lists at its root, and one
folder per conversation with one JSON file per day (``general/2020-01-31.json``: an array of
message objects). Each day file is a source; the folder it sits in names the conversation,
and all the day files of one channel are one conversation (keyed by the channel's id).

Public API: ``SLACK`` (a ``dossier.formats.base.MessageFormat``).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from dossier.formats.base import ParseOptions, few_collections
from dossier.formats.slack.message import is_message, read_message
from dossier.formats.slack.scan import Piece, array_pieces
from dossier.formats.slack.workspace import (
    CONVERSATION_LISTS,
    USERS,
    Chat,
    Workspace,
    load_workspace,
    workspace_notes,
)
from dossier.model import ParseIssue, ParseRecord, SourceFact

__all__ = ["SLACK", "SlackFormat"]

_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
# In a head cut before the first message ends: the two fields every message has.
_MESSAGE_TYPE = re.compile(rb'"type"\s*:\s*"message"')
_MESSAGE_TS = re.compile(rb'"ts"\s*:\s*"\d{9,12}\.\d+"')
_LEADING = b"\xef\xbb\xbf \t\r\n"
# Just above the registry's threshold: any format that is sure of the file wins.
_DOUBTFUL = 0.35

# Why a piece of a day file is not a message.
_NOT_A_MESSAGE = {
    "stray": "not a message object: something else stands between the messages",
    "cut": "the file ends in the middle of this message (the rest of it is missing)",
    "unclosed": "the file ends before the list of messages is closed (it may be cut short)",
    "not-array": "not a Slack day file: it does not hold a JSON list of messages",
    "trailing": "text after the end of the list of messages",
}


class SlackFormat:
    name = "slack"
    platform = "slack"
    # The export's root files that hold no messages themselves.
    companion_names: frozenset[str] = frozenset(
        {
            USERS,
            *CONVERSATION_LISTS,
            "integration_logs.json",
            "canvases.json",
            "org_users.json",
            "huddles.json",
            "lists.json",
            "file_conversations.json",
        }
    )

    def sniff(self, head: bytes, filename: str) -> float:
        return sniff(head, filename)

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        return few_collections(parse(stream, options))


def sniff(head: bytes, filename: str) -> float:
    """A day file is a JSON list whose first element is a Slack message object.

    Other JSON named like a day file ("2020-01-31.json") is claimed with little confidence,
    so that a spoilt day file is reported with what is wrong with it rather than kept as an
    unread file beside the channel's other days.
    """
    day_named = _DAY_FILE.match(filename) is not None
    doubtful = _DOUBTFUL if day_named and head.lstrip(_LEADING)[:1] in (b"[", b"{") else 0.0
    for piece in array_pieces(io.BytesIO(head)):
        if piece.kind == "element":
            return 0.95 if is_message(_decoded_or_none(piece)) else doubtful
        if piece.kind == "cut":  # the first message is longer than the head
            if not _MESSAGE_TYPE.search(piece.raw):
                return doubtful
            return 0.7 if _MESSAGE_TS.search(piece.raw) or day_named else doubtful
        if piece.kind != "unclosed":
            break
    # An empty list is a day with nothing said, when the file is named like a day.
    return 0.5 if day_named and head.strip(_LEADING) == b"[]" else doubtful


def parse(stream: BinaryIO, options: ParseOptions) -> Iterator[ParseRecord]:
    ws = load_workspace(options.companion)
    chat = ws.chat(_folder(options.location), options.conversation)
    yield from workspace_notes(ws, chat)
    messages = 0
    for piece in array_pieces(stream):
        if piece.kind == "element":
            for record in _element(piece, chat, ws):
                messages += not isinstance(record, ParseIssue)
                yield record
        else:
            yield _piece_issue(piece)
    if messages == 0:
        yield SourceFact("slack_day", "no messages")


def _element(piece: Piece, chat: Chat, ws: Workspace) -> Iterator[ParseRecord]:
    try:
        value = _decoded(piece)
    except (ValueError, UnicodeError) as exc:
        yield _piece_issue(piece, f"not valid JSON ({exc})")
        return
    yield from read_message(value, piece, chat, ws)


def _decoded(piece: Piece) -> object:
    return json.loads(piece.raw.decode("utf-8"))


def _decoded_or_none(piece: Piece) -> object:
    try:
        return _decoded(piece)
    except (ValueError, UnicodeError):
        return None


def _piece_issue(piece: Piece, reason: str | None = None) -> ParseIssue:
    return ParseIssue(
        reason or _NOT_A_MESSAGE[piece.kind],
        piece.raw.decode("utf-8", "replace"),
        piece.line_start,
        piece.line_end,
        piece.byte_start,
        severity="warning" if piece.kind in ("stray", "trailing") else "error",
    )


def _folder(location: str | None) -> str | None:
    """The folder a day file sits in ("general" for "export/general/2020-01-31.json")."""
    if not location:
        return None
    parts = re.split(r"[\\/]", location)
    return parts[-2] if len(parts) >= 2 and parts[-2] else None


SLACK = SlackFormat()
