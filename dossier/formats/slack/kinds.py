"""What each Slack message subtype is, as a Dossier message kind.

No subtype: what a person wrote. "bot_message": an integration's post, authored by the bot.
"file_share": an upload. "tombstone": the stand-in left where a thread's first message was
deleted. The channel_* and group_* subtypes and the like: what the channel itself records.
"file_comment" is a comment someone wrote on a file, so it counts as written text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AUTHORED = frozenset(
    {
        None,
        "bot_message",
        "me_message",
        "thread_broadcast",
        "reply_broadcast",
        "file_comment",
        "file_mention",
        "slackbot_response",
    }
)
MEDIA = frozenset({"file_share"})
DELETED = frozenset({"tombstone", "message_deleted"})
SYSTEM = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "channel_posting_permissions",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "pinned_item",
        "unpinned_item",
        "reminder_add",
        "reminder_delete",
        "sh_room_created",
        "huddle_thread",
        "joiner_notification",
        "app_conversation_join",
        "ekm_access_denied",
        "channel_canvas_updated",
    }
)


def kind_of(subtype: object, obj: Mapping[str, Any]) -> str | None:
    """The message kind a subtype stands for; None for a subtype not known here."""
    if subtype in AUTHORED or subtype == "message_changed":
        has_files = obj.get("files") or (obj.get("file") and subtype != "file_comment")
        return "media" if has_files else "text"
    if subtype in MEDIA:
        return "media"
    if subtype in DELETED:
        return "deleted"
    if subtype in SYSTEM:
        return "system"
    return None
