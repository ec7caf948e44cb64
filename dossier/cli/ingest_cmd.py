"""dossier ingest CASE PATH..."""

from __future__ import annotations

from pathlib import Path

import click

from dossier.case import Case
from dossier.cli.ingest_preview import preview
from dossier.cli.output import BarProgress, warn
from dossier.formats.archive import is_zip
from dossier.formats.tabular import (
    FIXED,
    TABLE_FORMATS,
    check_file,
    read_mapping_file,
    settings_from_pairs,
)
from dossier.formats.tabular.mapping import Mapping
from dossier.ingest import IngestOptions, IngestSummary
from dossier.ingest import ingest as run_ingest
from dossier.timeutil import zone


@click.command()
@click.argument("case", type=click.Path(path_type=Path, file_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--custodian", help='Who supplied these files, e.g. "Maria Lopez".')
@click.option("--tz", help="Zone of the chats' local times (default: the case's zone).")
@click.option(
    "--format", "format_name", help="Read every file as this format (e.g. whatsapp, csv, jsonl)."
)
@click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy"]),
    help="How to read ambiguous dates like 03/04/2021 (default: the case's setting).",
)
@click.option(
    "--dkim-keys",
    type=click.Path(exists=True, dir_okay=False),
    help="A DKIM key store (selector._domainkey.domain<TAB>TXT record per line): verify "
    "signed emails as they are read.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="With --format csv/jsonl: the column (or JSON key) holding a field, e.g. "
    '--map sender=From --map "time=Timestamp: Time"; also options such as '
    '--map "time_format=%d/%m/%Y %H:%M". Repeat for each field.',
)
@click.option(
    "--value",
    "values",
    multiple=True,
    metavar="FIELD=TEXT",
    help='With --format csv/jsonl: the same text for every row, e.g. --value "conversation='
    'SMS with Tom".',
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML mapping file ([columns], [values], [options]) for --format csv/jsonl; "
    "--map and --value add to it. See docs/tabular.md.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show the first rows as they would be read (times, senders, issues) and write "
    "nothing to the case.",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many messages --dry-run shows.",
)
def ingest(
    case: Path,
    paths: tuple[Path, ...],
    custodian: str | None,
    tz: str | None,
    format_name: str | None,
    date_order: str | None,
    dkim_keys: str | None,
    maps: tuple[str, ...],
    values: tuple[str, ...],
    mapping_file: Path | None,
    dry_run: bool,
    rows: int,
) -> None:
    """Add chat exports and mailboxes (files, zips, or folders of them) to the case.

    Recognised from their content: WhatsApp, Telegram, Slack and Signal exports; mbox, .eml,
    Maildir, .emlx, Outlook .msg and .pst/.ost mailboxes. Every file is kept as it is.

    CSV and JSON Lines exports are read with --format csv or --format jsonl and a mapping
    that says which column holds what (--map, --value, --mapping); try it with --dry-run.
    """
    settings = _table_settings(format_name, paths, maps, values, mapping_file)
    options = IngestOptions(
        custodian=custodian,
        tz=tz,
        format=format_name,
        date_order=date_order,
        dkim_keys=dkim_keys,
        format_settings=settings,
    )
    if dry_run:
        with Case.open(case) as opened:
            zone(tz or opened.tz)
            preview(
                list(paths),
                format_name=format_name,
                tz=tz or opened.tz,
                date_order=date_order or opened.date_order,
                settings=settings,
                rows=rows,
            )
        return
    progress = BarProgress()
    with Case.open(case) as opened:
        try:
            summary = run_ingest(opened, list(paths), options, progress)
        finally:
            progress.close()
    print_summary(summary)
    if summary.failed:
        raise SystemExit(1)


def _table_settings(
    format_name: str | None,
    paths: tuple[Path, ...],
    maps: tuple[str, ...],
    values: tuple[str, ...],
    mapping_file: Path | None,
) -> dict[str, str]:
    """The mapping from --mapping, --map and --value, checked against the files given
    directly, so a column the file lacks stops the run before anything is stored."""
    settings = read_mapping_file(mapping_file) if mapping_file else {}
    settings.update(settings_from_pairs(maps))
    settings.update(settings_from_pairs(values, FIXED))
    if format_name not in TABLE_FORMATS:
        if settings:
            raise click.UsageError("--map, --value and --mapping go with --format csv or jsonl.")
        return settings
    for path in paths:
        if path.is_file():
            with path.open("rb") as stream:
                if not is_zip(stream.read(4)):
                    stream.seek(0)
                    check_file(format_name, stream, settings)
    if not any(path.is_file() for path in paths):
        Mapping.from_settings(settings, format_name)  # at least the mapping itself
    return settings


def print_summary(s: IngestSummary) -> None:
    warn(
        f"Read {s.files_read:,} file(s): {s.chats:,} chat(s), {s.mailboxes:,} mail file(s), "
        f"{s.attachments:,} attachment(s), "
        f"{s.already_present:,} already in the case."
    )
    warn(
        f"Messages: {s.messages_new:,} new, {s.messages_merged:,} merged with another copy "
        f"of the same message (another phone's export, another mailbox), "
        f"{s.messages_already:,} already present."
    )
    if s.threads or s.near_duplicates:
        warn(
            f"Email: {s.threads:,} thread(s) in the case; {s.near_duplicates:,} email(s) with the "
            "same text as another but different headers (near-duplicates, kept apart)."
        )
    warn(f"Issues: {s.issues:,} line(s) or item(s) not understood (see: dossier issues CASE).")
    for note in s.notes:
        warn(f"Note: {note}")
    for label, why in s.unrecognised:
        warn(f"Not recognised: {label}: {why}")
    for label, why in s.failed:
        warn(f"FAILED: {label}: {why}")
    if s.failed:
        warn(
            "Some files failed (listed above); everything else was stored. "
            "Fix the cause and run the same command again."
        )
