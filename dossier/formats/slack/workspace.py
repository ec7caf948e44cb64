"""What a Slack export says beside its day files: who the users are, what the channels are.

A workspace export keeps ``users.json``, ``channels.json`` (public channels), ``groups.json``
(private channels), ``dms.json`` (direct messages) and ``mpims.json`` (group direct messages)
at its root, and one folder per conversation: a channel's folder is named after the channel,
a group DM's after its "mpdm-..." name, a DM's after its id. Each day file reads these files
again through ``ParseOptions.companion``; what they say is decoded once and remembered by the
files' digest, because a large export has thousands of day files sharing one users.json.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dossier.model import ParseIssue, SourceFact

# Conversation lists at the export's root, and how a conversation in each is titled.
CONVERSATION_LISTS = ("channels.json", "groups.json", "mpims.json", "dms.json")
USERS = "users.json"
# Slack's own bot writes as this id and is never listed in users.json.
SLACKBOT = {"USLACKBOT": "Slackbot"}
_DM_FOLDER = re.compile(r"^D[A-Z0-9]{6,}$")
_CACHE_SIZE = 4


@dataclass(frozen=True, slots=True)
class Chat:
    """One conversation: the platform's id for it (the conversation key) and its title."""

    key: str | None
    title: str


@dataclass
class Workspace:
    users: dict[str, str] = field(default_factory=dict)  # user id -> name
    bots: dict[str, str] = field(default_factory=dict)  # bot id -> name
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> name
    # folder name (or id) -> (list it came from, the conversation's entry)
    listed: dict[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)
    has_lists: bool = False
    notes: list[ParseIssue | SourceFact] = field(default_factory=list)

    def user_name(self, user_id: str) -> str | None:
        return self.users.get(user_id) or SLACKBOT.get(user_id)

    def bot_name(self, bot_id: str) -> str | None:
        return self.bots.get(bot_id)

    def chat(self, folder: str | None, fallback_title: str | None) -> Chat:
        """The conversation a day file in ``folder`` belongs to."""
        if folder is None:
            return Chat(None, fallback_title or "Slack")
        found = self.listed.get(folder)
        if found is None:
            return Chat("name:" + folder, _unlisted_title(folder))
        origin, entry = found
        return Chat(str(entry["id"]), self._title(origin, entry))

    def _title(self, origin: str, entry: Mapping[str, Any]) -> str:
        if origin in ("channels.json", "groups.json"):
            return "#" + str(entry.get("name") or entry["id"])
        members = entry.get("members")
        names = (
            [self.user_name(m) or m for m in members if isinstance(m, str)]
            if isinstance(members, list)
            else []
        )
        who = ", ".join(names) or str(entry.get("name") or entry["id"])
        return ("DM: " if origin == "dms.json" else "Group DM: ") + who


def _unlisted_title(folder: str) -> str:
    if folder.startswith("mpdm-") or _DM_FOLDER.match(folder):
        return folder
    return "#" + folder


# --- reading the companion files -------------------------------------------------------------

_ALL = (USERS, *CONVERSATION_LISTS)
# Decoded workspaces by the digest of their files: the day files of one export share one.
_cache: dict[bytes, Workspace] = {}


def load_workspace(companion: Callable[[str], bytes | None] | None) -> Workspace:
    """The workspace beside a day file (its parent folder is the export's root)."""
    files = {name: companion("../" + name) if companion else None for name in _ALL}
    digest = hashlib.blake2b(digest_size=16)
    for name in _ALL:
        data = files[name]
        digest.update(f"{name}:{-1 if data is None else len(data)}:".encode())
        digest.update(data or b"")
    key = digest.digest()
    found = _cache.get(key)
    if found is None:
        found = _decode(files)
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = found
    return found


def _decode(files: Mapping[str, bytes | None]) -> Workspace:
    ws = Workspace()
    users = _entries(files[USERS], USERS, ws.notes)
    if users is None:
        ws.notes.append(
            ParseIssue(
                "users.json was not found beside this export (or could not be read): people "
                "are shown by their Slack user ids instead of their names",
                "(looked for ../users.json beside this day file's folder)",
            )
        )
        ws.notes.append(SourceFact("slack_users", "missing"))
    else:
        _read_users(users, ws)
        ws.notes.append(SourceFact("slack_users", f"{len(ws.users)} in users.json"))
    for list_name in CONVERSATION_LISTS:
        entries = _entries(files[list_name], list_name, ws.notes)
        if entries is not None:
            ws.has_lists = True
            _read_conversations(list_name, entries, ws)
    return ws


def _entries(
    data: bytes | None, name: str, notes: list[ParseIssue | SourceFact]
) -> list[Any] | None:
    """The objects a companion file lists; None (and a note why) when it is unusable."""
    if data is None:
        return None
    try:
        value = json.loads(data)
    except (ValueError, UnicodeError) as exc:
        notes.append(
            ParseIssue(f"{name} beside this export is not valid JSON ({exc})", _head(data))
        )
        return None
    if not isinstance(value, list):
        notes.append(ParseIssue(f"{name} beside this export is not a JSON list", _head(data)))
        return None
    return [item for item in value if isinstance(item, dict)]


def _head(data: bytes) -> str:
    return data[:2000].decode("utf-8", "replace")


def _read_users(users: list[dict[str, Any]], ws: Workspace) -> None:
    for user in users:
        user_id = user.get("id")
        if not isinstance(user_id, str):
            continue
        profile = mapping(user.get("profile"))
        name = person_name(user, profile) or user_id
        ws.users[user_id] = name
        bot_id = profile.get("bot_id")
        if isinstance(bot_id, str):
            ws.bots[bot_id] = name


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def person_name(*places: Mapping[str, Any]) -> str | None:
    """The name people know someone by: the real name, else the display name, else the
    handle; looked up in each of ``places`` (a user entry, its profile) in turn."""
    for key in ("real_name", "display_name", "name"):
        for place in places:
            value = place.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _read_conversations(list_name: str, entries: list[dict[str, Any]], ws: Workspace) -> None:
    for entry in entries:
        conv_id, name = entry.get("id"), entry.get("name")
        if not isinstance(conv_id, str):
            continue
        ws.listed.setdefault(conv_id, (list_name, entry))
        if isinstance(name, str) and name:
            ws.listed.setdefault(name, (list_name, entry))
            ws.channels[conv_id] = name


def workspace_notes(ws: Workspace, chat: Chat) -> Iterator[ParseIssue | SourceFact]:
    """What a day file's records say about the workspace it was read with."""
    yield from ws.notes
    if chat.key is not None:
        yield SourceFact("slack_conversation", chat.key)
    if not ws.has_lists:
        yield SourceFact(
            "slack_conversation_lists", "missing (channels.json and the others not found)"
        )
