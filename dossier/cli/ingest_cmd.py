"""dossier ingest CASE PATH..."""

from __future__ import annotations

from pathlib import Path

import click

from dossier.case import Case
from dossier.cli.output import BarProgress, warn
from dossier.ingest import IngestOptions, IngestSummary
from dossier.ingest import ingest as run_ingest


@click.command()
@click.argument("case", type=click.Path(path_type=Path, file_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--custodian", help='Who supplied these files, e.g. "Maria Lopez".')
@click.option("--tz", help="Zone of the chats' local times (default: the case's zone).")
@click.option("--format", "format_name", help="Read every file as this format (e.g. whatsapp).")
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
def ingest(
    case: Path,
    paths: tuple[Path, ...],
    custodian: str | None,
    tz: str | None,
    format_name: str | None,
    date_order: str | None,
    dkim_keys: str | None,
) -> None:
    """Add chat exports (.txt, .zip, or folders of them) to the case."""
    options = IngestOptions(
        custodian=custodian, tz=tz, format=format_name, date_order=date_order, dkim_keys=dkim_keys
    )
    progress = BarProgress()
    with Case.open(case) as opened:
        try:
            summary = run_ingest(opened, list(paths), options, progress)
        finally:
            progress.close()
    print_summary(summary)
    if summary.failed:
        raise SystemExit(1)


def print_summary(s: IngestSummary) -> None:
    warn(
        f"Read {s.files_read:,} file(s): {s.chats:,} chat(s), {s.mailboxes:,} mail file(s), "
        f"{s.attachments:,} attachment(s), "
        f"{s.already_present:,} already in the case."
    )
    warn(
        f"Messages: {s.messages_new:,} new, {s.messages_merged:,} merged with another copy "
        f"of the same chat, {s.messages_already:,} already present."
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
