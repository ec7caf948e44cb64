"""dossier dkim: verify the emails in the case against a DKIM key store."""

from __future__ import annotations

from pathlib import Path

import click

from dossier.case import Case
from dossier.cli.output import emit_json
from dossier.email.dkim import load_keys
from dossier.ingest.authenticity import verify_case


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
