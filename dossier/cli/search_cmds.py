"""dossier search / show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dossier import read
from dossier.case import Case
from dossier.cli.output import emit_json, highlight, strip_markers
from dossier.model import Message, MessageCopy
from dossier.people import display
from dossier.timeutil import iso_local

REDACT = click.option(
    "--redact",
    is_flag=True,
    help="Name private individuals by role or number (public figures keep their names).",
)


@click.command()
@click.argument("case", type=click.Path(path_type=Path, file_okay=False))
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100000))
@click.option(
    "--sort", type=click.Choice(["newest", "oldest", "best"]), default="newest", show_default=True
)
@REDACT
def search(case: Path, query: str, as_json: bool, limit: int, sort: str, redact: bool) -> None:
    """Search messages. Operators: from: to: in: after: before: kind: has:attachment,
    "exact phrase", -word, OR, word*. from:/to: take a person's name or alias."""
    with Case.open(case) as opened:
        hits = read.search(opened, query, limit=limit, sort=sort)
        if redact:
            names = display.case_names(opened)
            shown = display.redact_messages(opened, [m for m, _ in hits], names)
            hits = list(zip(shown, [s for _, s in hits], strict=True))
    if as_json:
        emit_json([{**read.as_json(m), "snippet": strip_markers(s)} for m, s in hits])
        return
    if not hits:
        click.echo("No messages match.", err=True)
        return
    for message, snippet in hits:
        click.echo(
            f"{message.uid}  {_when(message)}  {message.conversation_title}  "
            f"{message.sender or '(system)'}  [{message.kind}]"
        )
        click.echo("    " + highlight(snippet).replace("\n", "\n    "))
    if len(hits) == limit:
        click.echo(f"(the first {limit}; --limit N shows more)", err=True)


@click.command()
@click.argument("case", type=click.Path(path_type=Path, file_okay=False))
@click.argument("message_id")
@click.option(
    "--context",
    "context_n",
    default=0,
    type=click.IntRange(0, 1000),
    help="Show N messages before and after, in the same conversation.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@REDACT
def show(case: Path, message_id: str, context_n: int, as_json: bool, redact: bool) -> None:
    """Show one message with where it came from (file, lines, bytes, custodian)."""
    with Case.open(case) as opened:
        message = read.find(opened, message_id)
        around = read.context(opened, message, context_n, context_n) if context_n else [message]
        email = read.email_json(opened, message)
        details = read.chat_details(opened, message)
        if redact:
            names = display.case_names(opened)
            message = display.redact_messages(opened, [message], names)[0]
            around = display.redact_messages(opened, around, names)
            email = email and display.redact_email(opened, message.id, email, names)
            details = details and display.redact_chat_details(details)
    if as_json:
        emit_json(
            {
                "message": {**read.as_json(message), "email": email, "chat": details},
                "context": [read.as_json(m) for m in around],
            }
        )
        return
    for item in around:
        marker = ">>" if item.id == message.id else "  "
        click.echo(
            f"{marker} {item.uid}  {_when(item)}  {item.sender or '(system)'}  [{item.kind}]"
        )
        for line in item.body.splitlines() or [""]:
            click.echo(f"{marker}     {line}")
    click.echo("")
    if email:
        _print_email(email)
    if details:
        _print_chat_details(details)
    click.echo(f"Conversation: {message.conversation_title} ({message.conversation_uid})")
    if message.time_flags:
        click.echo(f"Time flags: {', '.join(message.time_flags)}")
    found_in = _item_of(email, details)
    for number, copy in enumerate(message.copies):
        click.echo(
            f"Read from: {copy.source_name} {_place(copy, found_in if number == 0 else None)}, "
            f"as written {copy.header_text!r} "
            f"by {copy.sender_as_written or '(system)'}; custodian {copy.custodian or '-'}; "
            f"sha256 {copy.source_sha256}"
        )
    for a in message.attachments:
        stored = f"sha256 {a.sha256}, {a.size:,} bytes" if a.sha256 else "not in the export"
        click.echo(f"Attachment: {a.name} ({stored})")


def _item_of(email: dict[str, Any] | None, details: dict[str, Any] | None) -> str | None:
    """The item path of a message read from a .pst or .msg (no byte range of its own)."""
    if email and email.get("item"):
        return str(email["item"])
    if details and details.get("structure"):
        structure = details["structure"]
        if isinstance(structure, dict) and structure.get("item"):
            return str(structure["item"])
    return None


def _place(copy: MessageCopy, item: str | None) -> str:
    """Where in its file a copy was read: lines and bytes, or the Outlook item."""
    if copy.line_start or copy.line_end:
        return f"lines {copy.line_start}-{copy.line_end}, bytes {copy.byte_start}-{copy.byte_end}"
    if item:
        return f"item {item}"
    return f"an item of the file (bytes {copy.byte_start}-{copy.byte_end} hold the whole file)"


def _print_email(email: dict[str, object]) -> None:
    click.echo(f"Subject: {email['subject']}")
    recipients = email["recipients"]
    assert isinstance(recipients, list)
    for role in ("from", "to", "cc", "bcc", "reply-to"):
        people = [f"{r['name']} <{r['address']}>" for r in recipients if r["role"] == role]
        if people:
            click.echo(f"{role.capitalize()}: {', '.join(people)}")
    click.echo(
        f"Message-ID: {email['header_message_id'] or '(none)'}; folder "
        f"{email['folder'] or '-'}; DKIM {email['dkim']}"
        + (f" ({email['dkim_detail']})" if email["dkim_detail"] else "")
        + (f"; ARC {email['arc']}" if _arc_unsaid(email) else "")
    )


def _arc_unsaid(email: dict[str, Any]) -> bool:
    """An ARC set the DKIM detail does not already speak of (it does once checked)."""
    return email.get("arc", "none") != "none" and "ARC" not in (email["dkim_detail"] or "")


def _print_chat_details(details: dict[str, Any]) -> None:
    if details["readable"]:
        click.echo("As the platform shows it:")
        for line in details["readable"].splitlines():
            click.echo(f"    {line}")
    if details["platform_id"]:
        account = details["sender_account"]
        click.echo(
            f"Platform id: {details['platform_id']}" + (f"; account {account}" if account else "")
        )
    if details["reply_to_platform_id"]:
        click.echo(
            f"In reply to: {details['reply_to'] or '(not in the case)'}"
            f" (platform id {details['reply_to_platform_id']})"
        )
    if details["thread"]:
        click.echo(f"Thread: {details['thread']}")
    if details["forwarded_from"]:
        click.echo(f"Forwarded from: {details['forwarded_from']}")
    if details["edited_at"]:
        click.echo(f"Edited at: {details['edited_at']}")
    if details["reactions"]:
        shown = ", ".join(f"{r['reaction']} {r['by']}" for r in details["reactions"])
        click.echo(f"Reactions: {shown}")
    if details["mentions"]:
        click.echo(f"Mentions: {', '.join(details['mentions'])}")


def _when(message: Message) -> str:
    return iso_local(int(message.sent_at.timestamp()), message.tz)
