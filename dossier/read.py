"""Reading the case: messages with their provenance, for the CLI, reports and the web app."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from dossier.case import Case
from dossier.errors import NotFound
from dossier.model import Attachment, Message, MessageCopy
from dossier.timeutil import iso_local


def messages(case: Case, ids: Sequence[int]) -> list[Message]:
    store = case.store
    rows = store.messages_by_ids(ids)
    copies = store.copies_of(ids)
    attachments = store.attachments_of(ids)
    return [
        _message(row, copies.get(row["id"], []), attachments.get(row["id"], [])) for row in rows
    ]


def _message(
    row: dict[str, Any], copies: list[dict[str, Any]], files: list[dict[str, Any]]
) -> Message:
    return Message(
        id=row["id"],
        uid=row["uid"],
        conversation_uid=row["conversation_uid"],
        conversation_title=row["conversation_title"],
        kind=row["kind"],
        sender=row["sender_person"] or row["sender_as_written"],
        body=row["body"],
        sent_at=datetime.fromtimestamp(row["sent_at"], UTC),
        local_text=row["local_text"],
        tz=row["tz"],
        time_flags=tuple(f for f in row["time_flags"].split(",") if f),
        edited=bool(row["edited"]),
        copies=tuple(
            MessageCopy(
                source_id=c["source_id"],
                source_name=c["source_name"],
                source_sha256=c["source_sha256"],
                custodian=c["custodian"],
                sender_as_written=c["sender_as_written"],
                header_text=c["header_text"],
                line_start=c["line_start"],
                line_end=c["line_end"],
                byte_start=c["byte_start"],
                byte_end=c["byte_end"],
            )
            for c in copies
        ),
        attachments=tuple(
            Attachment(
                id=a["id"],
                message_uid=row["uid"],
                name=a["name"],
                sha256=a["sha256"],
                size=a["size"],
            )
            for a in files
        ),
    )


def find(case: Case, uid: str) -> Message:
    """A message by its id (or an unambiguous start of it)."""
    uid = uid.strip()
    ids = case.store.message_ids_by_uid_prefix(uid) if len(uid) >= 4 else []
    if not ids:
        raise NotFound(
            f"No message with id {uid!r} in this case.",
            "copy the id from `dossier search` output (it starts with 'm')",
        )
    if len(ids) > 1:
        # "m…-6" is also the start of "m…-60": an id given whole means that message.
        exact = case.store.message_ids_by_uid_prefix(uid, exact=True)
        if exact:
            return messages(case, exact)[0]
        raise NotFound(f"The id {uid!r} is the start of several messages.", "give more of it")
    return messages(case, ids)[0]


def context(case: Case, message: Message, before: int, after: int) -> list[Message]:
    return messages(case, case.store.context_ids(message.id, before, after))


def as_json(message: Message) -> dict[str, Any]:
    """The JSON shape of a message, as `search --json` and `show --json` print it."""
    first = message.copies[0] if message.copies else None
    return {
        "id": message.uid,
        "kind": message.kind,
        "conversation": {"id": message.conversation_uid, "title": message.conversation_title},
        "sender": message.sender,
        "sender_as_written": first.sender_as_written if first else None,
        "sent_at": iso_local(int(message.sent_at.timestamp()), message.tz),
        "sent_at_utc": message.sent_at.isoformat(),
        "local_time_text": message.local_text,
        "tz": message.tz,
        "time_flags": list(message.time_flags),
        "edited": message.edited,
        "body": message.body,
        "source": _copy_json(first) if first else None,
        "copies": [_copy_json(c) for c in message.copies],
        "attachments": [
            {"name": a.name, "sha256": a.sha256, "size": a.size} for a in message.attachments
        ],
    }


def email_json(case: Case, message: Message) -> dict[str, Any] | None:
    """Subject, recipients, ids, folder and DKIM result of an email (None for chat messages)."""
    return case.store.email_details(message.id) if message.kind == "email" else None


def chat_details(case: Case, message: Message) -> dict[str, Any] | None:
    """Platform ids, reply, thread, forward, reactions and mentions of a chat message that
    has them (Telegram, Slack, ...); None otherwise."""
    found = case.store.message_details(message.id)
    if found is None:
        return None
    edited_at = found["edited_at"]
    return {
        "platform_id": found["platform_id"],
        "sender_account": found["sender_key"],
        "reply_to": found["reply_to_uid"],
        "reply_to_platform_id": found["reply_to"],
        "thread": found["thread"],
        "forwarded_from": found["forwarded_from"],
        "edited_at": None if edited_at is None else iso_local(int(edited_at), message.tz),
        "reactions": [{"reaction": r, "by": who} for r, who in found["reactions"] or []],
        "mentions": found["mentions"] or [],
        "structure": found["structure"],
        "readable": found["readable"],
    }


def _copy_json(copy: MessageCopy) -> dict[str, Any]:
    return {
        "file": copy.source_name,
        "sha256": copy.source_sha256,
        "custodian": copy.custodian,
        "sender_as_written": copy.sender_as_written,
        "header_text": copy.header_text,
        "lines": [copy.line_start, copy.line_end],
        "bytes": [copy.byte_start, copy.byte_end],
    }


def search(
    case: Case, query: str, *, limit: int = 20, sort: str = "newest"
) -> list[tuple[Message, str]]:
    """(message, highlighted snippet) for each hit, best or newest first."""
    from dossier.store.search import search as run_search

    hits = run_search(
        case.store.conn, query, limit=limit, sort=sort, tz=case.tz, highlight=("\x02", "\x03")
    )
    found = {m.id: m for m in messages(case, [h.message_id for h in hits])}
    return [(found[h.message_id], h.snippet) for h in hits if h.message_id in found]


def original_bytes(case: Case, source_id: int) -> bytes:
    """The exact bytes of a source: its stored original, or its member inside a stored archive."""
    import zipfile

    source = case.store.source(source_id)
    if source["stored"]:
        return case.read_object(source["sha256"])
    parent = case.store.source(source["parent_id"])
    with case.open_object(original_sha(case, parent)) as raw, zipfile.ZipFile(raw) as archive:
        return archive.read(source["member_name"])


def original_sha(case: Case, source: dict[str, object]) -> str:
    """The hash under which a (possibly nested) archive's bytes are stored."""
    if not source["stored"]:
        raise NotFound(f"The original of {source['name']} is not stored in the case.")
    return str(source["sha256"])
