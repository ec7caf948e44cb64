"""dossier analyse mentions / dossier mentions: find and list who is talked about."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from dossier.case import Case
from dossier.cli.output import emit_json
from dossier.errors import NotFound
from dossier.people import mention_report
from dossier.people.mentions import RUN_KEY, find_mentions
from dossier.timeutil import iso_local

CASE = click.argument("case", type=click.Path(path_type=Path, file_okay=False))
CONTEXT = 40  # characters shown each side of a mention


@click.group()
def analyse() -> None:
    """Run an analysis over every message; results are stored as annotations."""


@analyse.command("mentions")
@CASE
@click.option(
    "--no-ner",
    is_flag=True,
    help="Look only for the names of the case's persons (no named-entity model).",
)
def analyse_mentions(case: Path, no_ner: bool) -> None:
    """Find mentions of persons, and of people who never write."""
    with Case.open(case) as opened:
        run = find_mentions(opened, ner=not no_ner, progress=_Bar())
    click.echo(f"Read {run.messages} messages.")
    click.echo(f"  {_n(run.resolved, 'mention')} of persons of the case")
    click.echo(f"  {run.ambiguous} ambiguous (a name several participants have; no person set)")
    if run.model is None:
        click.echo("  names of people who never write: not looked for (--no-ner)")
    else:
        people = _n(len(run.names), "person", "people")
        click.echo(f"  {_n(run.named, 'mention')} of {people} who are not participants")
        for name, count in run.names.most_common(10):
            click.echo(f"    {name}: {count}")
    click.echo(f"List them: dossier mentions {case}")


@click.command()
@CASE
@click.option("--person", "name", help="Only this person or name (part of it is enough).")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(0),
    help="Show the N most mentioned (0: everyone).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def mentions(case: Path, name: str | None, limit: int, as_json: bool) -> None:
    """Who is mentioned, how often, by whom, with example message ids."""
    bodies: dict[int, str] = {}
    with Case.open(case) as opened:
        groups = _groups(opened, case, name)
        tz = opened.tz
        if limit and len(groups) > limit:
            click.echo(
                f"(the {limit} most mentioned of {len(groups)}; --limit 0 shows all)", err=True
            )
            groups = groups[:limit]
        if name:
            bodies = _bodies(opened, [r["message_id"] for g in groups for r in g.rows])
    if as_json:
        emit_json([g.as_json() | _rows_json(g, name, tz) for g in groups])
        return
    if not groups:
        click.echo("Nobody is mentioned in the case's messages.", err=True)
    for g in groups:
        _print_group(g)
        if name:
            for row in g.rows:
                _print_mention(row, bodies[row["message_id"]], tz)


def _groups(opened: Case, case: Path, name: str | None) -> list[mention_report.Mentioned]:
    if opened.store.get_meta(RUN_KEY) is None:
        raise NotFound(
            "No mentions have been looked for in this case yet.",
            hint=f"run: dossier analyse mentions {case}",
        )
    groups = mention_report.group(opened.store.mention_rows())
    if not name:
        return groups
    names: dict[int, list[str]] = {}
    for person_id, known, _ in opened.store.person_names():
        names.setdefault(person_id, []).append(known)
    groups = mention_report.matching(groups, name, names)
    if not groups:
        raise NotFound(
            f"Nobody called {name!r} is mentioned.",
            hint=f"list everyone mentioned: dossier mentions {case}",
        )
    return groups


def _print_group(g: mention_report.Mentioned) -> None:
    by = ", ".join(f"{n} {c}" for n, c in g.by_whom().most_common(5))
    where = _n(g.conversations(), "conversation")
    click.echo(f"{g.label}  [{g.kind}]  {_n(g.count, 'mention')} in {where}")
    click.echo(f"    by: {by}")
    click.echo(f"    e.g. {' '.join(g.examples())}")


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _print_mention(row: dict[str, Any], body: str, tz: str) -> None:
    start, end = row["span_start"], row["span_end"]
    before = ("…" if start > CONTEXT else "") + body[max(0, start - CONTEXT) : start]
    after = body[end : end + CONTEXT] + ("…" if end + CONTEXT < len(body) else "")
    quote = f"{before}[{body[start:end]}]{after}".replace("\n", " ")
    click.echo(
        f"      {row['uid']}  {iso_local(row['sent_at'], tz)}  {row['title']}  "
        f"{row['author_name'] or '(unknown)'}: {quote}"
    )


def _rows_json(g: mention_report.Mentioned, name: str | None, tz: str) -> dict[str, Any]:
    if not name:
        return {}
    keys = ("uid", "span_start", "span_end", "value", "method", "confidence", "author_name")
    return {
        "each": [{k: r[k] for k in keys} | {"sent_at": iso_local(r["sent_at"], tz)} for r in g.rows]
    }


def _bodies(opened: Case, ids: list[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    bodies: dict[int, str] = {}
    for at in range(0, len(wanted), 500):  # bounded: SQLite limits a statement's parameters
        bodies |= {m["id"]: m["body"] for m in opened.store.messages_by_ids(wanted[at : at + 500])}
    return bodies


class _Bar:
    """A progress bar per stage on stderr (hidden when stderr is not a terminal)."""

    def __init__(self) -> None:
        self._bar: tqdm[Any] | None = None

    def begin(self, label: str, total: int) -> None:
        self._bar = tqdm(
            total=total, unit="msg", desc=label, file=sys.stderr, leave=False, disable=None
        )

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
