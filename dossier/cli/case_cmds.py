"""dossier init / sources / issues / conversations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dossier.case import Case
from dossier.cli.output import emit_json
from dossier.people.edits import set_phone_region
from dossier.people.phones import valid_region
from dossier.timeutil import iso_local

CASE = click.argument("case", type=click.Path(path_type=Path, file_okay=False))
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@click.command()
@CASE
@click.option(
    "--tz",
    default="UTC",
    show_default=True,
    help="Zone the chats' local times are in, e.g. Europe/London.",
)
@click.option("--title", help="A title for the case (default: the folder's name).")
@click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy"]),
    help="How to read dates like 03/04/2021 when a file cannot tell.",
)
@click.option(
    "--region",
    help="Country of phone numbers saved without a country code, e.g. ES "
    "(default: the time zone's country).",
)
def init(
    case: Path, tz: str, title: str | None, date_order: str | None, region: str | None
) -> None:
    """Create a new case folder."""
    if region is not None and not valid_region(region):
        raise click.BadParameter(
            f"{region!r} is not a two-letter country code.", param_hint="--region"
        )
    with Case.create(case, title=title, tz=tz, date_order=date_order) as made:
        if region is not None:
            set_phone_region(made, region)
        click.echo(f"Created case {made.title!r} at {case} (time zone {tz}).")
        click.echo(f"Next: dossier ingest {case} PATH...")


@click.command()
@CASE
@JSON
def sources(case: Path, as_json: bool) -> None:
    """List the files in the case: hashes, custody, counts, problems."""
    with Case.open(case) as opened:
        rows = opened.store.list_sources()
    if as_json:
        emit_json([_source_json(r) for r in rows])
        return
    if not rows:
        click.echo("No sources yet. Add some with: dossier ingest CASE PATH...")
        return
    attachments: dict[int | None, int] = {}
    for r in rows:
        if r["role"] == "attachment":
            attachments[r["parent_id"]] = attachments.get(r["parent_id"], 0) + 1
    for r in rows:
        if r["role"] == "attachment" and r["parent_id"] is not None:
            continue  # counted under their parent (all of them are in --json)
        status = r["status"]
        line = f"#{r['id']:<4} {status:<12} {r['format'] or '-':<9} {r['name']}"
        click.echo(line)
        detail = f"      sha256 {r['sha256'] or '(unread)'}  {r['size']:,} bytes"
        if r["custodians"]:
            detail += f"  custodian {r['custodians']}"
        click.echo(detail)
        if r["role"] == "messages" and status == "ok":
            click.echo(
                f"      {r['message_count']:,} messages ({r['new_count']:,} new, "
                f"{r['merged_count']:,} merged with another copy), {r['issue_count']:,} issues"
            )
            facts = r["facts"]
            if facts:
                click.echo("      " + ", ".join(f"{k}={v}" for k, v in sorted(facts.items())))
        if r["error"]:
            click.echo(f"      {r['error']}")
        if attachments.get(r["id"]):
            click.echo(f"      {attachments[r['id']]:,} attachment file(s) kept (see --json)")


def _source_json(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "name": r["name"],
        "sha256": r["sha256"],
        "size": r["size"],
        "role": r["role"],
        "format": r["format"],
        "status": r["status"],
        "error": r["error"],
        "parent": r["parent_name"],
        "member_name": r["member_name"],
        "custodians": r["custodians"].split(",") if r["custodians"] else [],
        "path": r["path"],
        "ingested_at": r["ingested_at"],
        "tz": r["tz"],
        "messages": r["message_count"],
        "messages_new": r["new_count"],
        "messages_merged": r["merged_count"],
        "issues": r["issue_count"],
        "facts": r["facts"],
    }


@click.command()
@CASE
@JSON
@click.option("--source", "source_id", type=int, help="Only this source (its # from sources).")
def issues(case: Path, as_json: bool, source_id: int | None) -> None:
    """Lines and items that could not be understood, with their raw text."""
    with Case.open(case) as opened:
        rows = opened.store.list_issues(source_id)
        failed = opened.store.failed_sources()
    if as_json:
        emit_json(
            {
                "issues": [
                    {
                        k: r[k]
                        for k in (
                            "id",
                            "source_id",
                            "source_name",
                            "source_sha256",
                            "severity",
                            "reason",
                            "raw",
                            "line_start",
                            "line_end",
                            "byte_start",
                        )
                    }
                    for r in rows
                ],
                "failed_sources": [
                    {"id": f["id"], "name": f["name"], "status": f["status"], "error": f["error"]}
                    for f in failed
                ],
            }
        )
        return
    if not rows and not failed:
        click.echo("No issues: every line of every source was understood.")
        return
    for f in failed:
        click.echo(f"{f['status'].upper()}: {f['name']}: {f['error']}")
    for r in rows:
        where = f"line {r['line_start']}" if r["line_start"] else "item"
        if r["line_end"] and r["line_end"] != r["line_start"]:
            where = f"lines {r['line_start']}-{r['line_end']}"
        click.echo(f"{r['severity']}: {r['source_name']} {where}: {r['reason']}")
        for raw_line in str(r["raw"]).splitlines()[:5] or [""]:
            click.echo(f"    | {raw_line}")


@click.command()
@CASE
@JSON
def conversations(case: Path, as_json: bool) -> None:
    """List the conversations in the case."""
    with Case.open(case) as opened:
        rows = opened.store.list_conversations()
        tz = opened.tz
    out = [
        {
            "id": r["uid"],
            "title": r["title"],
            "platform": r["platform"],
            "messages": r["message_count"],
            "first": iso_local(r["first_at"], tz) if r["first_at"] is not None else None,
            "last": iso_local(r["last_at"], tz) if r["last_at"] is not None else None,
        }
        for r in rows
    ]
    if as_json:
        emit_json(out)
        return
    for c in out:
        click.echo(
            f"{c['id']}  {c['messages']:>8,}  {c['platform']:<9} {c['title']}"
            f"  ({c['first']} … {c['last']})"
        )
