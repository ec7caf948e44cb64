"""dossier ingest CASE FILE --dry-run: the first rows as they would be read, nothing written.

Shows what a mapping (or any format) makes of a file before the case is touched: each
message's time in UTC and as written, sender, conversation, kind and text, and the rows that
would become issues, with why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

import click

from dossier.errors import InputError
from dossier.formats import registry
from dossier.formats.archive import is_zip
from dossier.formats.base import HEAD_SIZE, MessageFormat, ParseOptions
from dossier.ingest.rows import exact_time
from dossier.model import EmailRecord, MessageRecord, ParseIssue
from dossier.timeutil import LocalToUtc

SHOWN_CHARS = 300  # of a message's text; the dry run is for checking a mapping, not reading


def preview(
    paths: list[Path],
    *,
    format_name: str | None,
    tz: str,
    date_order: str | None,
    settings: dict[str, str],
    rows: int,
) -> None:
    for path in paths:
        fmt = _format_of(path, format_name)
        options = ParseOptions(
            date_order=date_order,
            conversation=registry.title_from_name(path.name),
            settings=settings,
        )
        click.echo(f"{path} (read as {fmt.name}): the first {rows} row(s) as they would be read")
        shown, issues = _show(path, fmt, options, LocalToUtc(tz), rows)
        click.echo(
            f"Shown: {shown} message(s), {issues} issue(s). Nothing was written to the case; "
            "run the same command without --dry-run to ingest."
        )


def _format_of(path: Path, format_name: str | None) -> MessageFormat:
    if not path.is_file():
        raise InputError(
            f"{path} is not a file; the dry run reads one file at a time.",
            "give the export file itself (not a folder)",
        )
    with path.open("rb") as stream:
        head = stream.read(HEAD_SIZE)
    if is_zip(head):
        raise InputError(
            f"{path} is an archive; the dry run reads one file at a time.",
            "unpack it and give the export file inside",
        )
    fmt = registry.format_named(format_name) if format_name else registry.recognise(head, path.name)
    if fmt is None:
        raise InputError(
            f"{path} is not in a format Dossier recognises.",
            "name its format with --format (csv and jsonl need a mapping: --map FIELD=COLUMN)",
        )
    return fmt


def _show(
    path: Path, fmt: MessageFormat, options: ParseOptions, to_utc: LocalToUtc, rows: int
) -> tuple[int, int]:
    shown = issues = 0
    with path.open("rb") as stream:
        for record in fmt.parse(stream, path.name, options):
            if isinstance(record, MessageRecord):
                shown += 1
                _message(shown, record, to_utc)
                if shown >= rows:
                    break
            elif isinstance(record, EmailRecord):
                shown += 1
                _email(shown, record)
                if shown >= rows:
                    break
            elif isinstance(record, ParseIssue):
                issues += 1
                _issue(record)
    return shown, issues


def _message(number: int, rec: MessageRecord, to_utc: LocalToUtc) -> None:
    if rec.sent_utc is not None:
        utc = rec.sent_utc
        _, zone_used = exact_time(rec.sent_utc, rec.local_time)
        flags = rec.time_flags
    else:
        epoch, flag = to_utc.convert(rec.local_time)
        utc, zone_used = datetime.fromtimestamp(epoch, UTC), to_utc.tz_name
        flags = (*rec.time_flags, flag) if flag else rec.time_flags
    lines = (
        f"{rec.line_start}"
        if rec.line_start == rec.line_end
        else (f"{rec.line_start}-{rec.line_end}")
    )
    click.echo(f"\nRow {number} · line {lines} · bytes {rec.byte_start}-{rec.byte_end}")
    when = f"{utc:%Y-%m-%d %H:%M:%S} UTC  (written {rec.header_text!r}, zone {zone_used})"
    if flags:
        when += f"  [{', '.join(flags)}]"
    _field("time", when)
    _field("sender", rec.sender if rec.sender is not None else "(none)")
    _field("conversation", rec.conversation)
    _field("kind", rec.kind)
    _field("text", _shorten(rec.body))
    if rec.attachments:
        _field("attachments", ", ".join(rec.attachments))


def _email(number: int, rec: EmailRecord) -> None:
    where = f"bytes {rec.byte_start}-{rec.byte_end}"
    if rec.line_start is not None:
        where = f"line {rec.line_start}-{rec.line_end} · " + where
    click.echo(f"\nEmail {number} · {where}" + (f" · folder {rec.folder}" if rec.folder else ""))
    if rec.raw is None:
        _field("item", rec.item or "(an item with no RFC 822 form)")
        return
    headers = BytesHeaderParser().parsebytes(rec.raw)
    for name in ("Date", "From", "To", "Subject"):
        _field(name.lower(), str(headers.get(name, "")))


def _issue(issue: ParseIssue) -> None:
    where = f"line {issue.line_start}" if issue.line_start is not None else "the file"
    if issue.byte_start is not None:
        where += f" · byte {issue.byte_start}"
    click.echo(f"\nIssue · {where}: {issue.reason}")
    _field("raw", _shorten(issue.raw))


def _field(name: str, value: str) -> None:
    click.echo(f"  {name:<13}{value}")


def _shorten(text: str) -> str:
    """One line: line breaks shown as ⏎, long text cut."""
    flat = text.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
    if len(flat) > SHOWN_CHARS:
        return flat[:SHOWN_CHARS] + f"… ({len(text):,} characters)"
    return flat
