"""dossier dkim: verify the emails in the case against a DKIM key store."""

from __future__ import annotations

from pathlib import Path

import click

from dossier.case import Case
from dossier.cli.output import emit_json
from dossier.email.dkim import load_keys
from dossier.ingest.authenticity import verify_case
from dossier.timeutil import iso_local


@click.command()
@click.argument("case", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--keys",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Key store: one 'selector._domainkey.domain<TAB>TXT record' per line.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def dkim(case: Path, keys: str, as_json: bool) -> None:
    """Verify DKIM signatures of every email in the case (results: search dkim:pass ...)."""
    store = load_keys(keys)
    with Case.open(case) as opened:
        counts = verify_case(opened, store)
    if as_json:
        emit_json(dict(sorted(counts.items())))
        return
    if not counts:
        click.echo("No emails with their original bytes in the case.")
        return
    for status, n in sorted(counts.items()):
        click.echo(f"{status:<10} {n:>8,}")
    click.echo("Search them with dkim:pass, dkim:fail, dkim:no-key, dkim:unsigned.", err=True)


@click.command("near-duplicates")
@click.argument("case", type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def near_duplicates(case: Path, as_json: bool) -> None:
    """Emails with the same text but different headers (kept apart, listed together here)."""
    with Case.open(case) as opened:
        groups = opened.store.near_duplicate_groups()
        tz = opened.tz
    if as_json:
        emit_json(groups)
        return
    if not groups:
        click.echo("No near-duplicates: no two emails share their text with different headers.")
        return
    for number, group in enumerate(groups, 1):
        click.echo(f"Group {number}: {len(group)} emails with the same text")
        for e in group:
            click.echo(
                f"  {e['uid']}  {iso_local(e['sent_at'], tz)}  {e['sender'] or '-'}  "
                f"{e['subject']!r}  <{e['header_message_id']}>  {e['folder']}"
            )
