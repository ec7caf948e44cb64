"""dossier people: who is who. Persons, their identities, suggestions, the user's decisions,
the roster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dossier.case import Case
from dossier.cli.output import emit_json
from dossier.people import edits
from dossier.people.display import Names
from dossier.people.phones import has_country_code

if TYPE_CHECKING:  # suggest and roster bring rapidfuzz and yaml: imported when used
    from dossier.people.suggest import Suggestion

CASE = click.argument("case", type=click.Path(path_type=Path, file_okay=False))
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
PERSON = click.argument("person")
REDACT = click.option(
    "--redact", is_flag=True, help="Private individuals by role or number, not by name."
)
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["csv", "yaml"]), help="Default: from the extension."
)


class _ListByDefault(click.Group):
    """`dossier people CASE` lists; `dossier people SUBCOMMAND CASE ...` does the rest."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # One word besides options is a case folder; more, a subcommand (perhaps misspelt,
        # which click then reports as such).
        words = [a for a in args if not a.startswith("-")]
        if len(words) == 1 and words[0] not in self.commands:
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_ListByDefault)
def people() -> None:
    """Persons and the names, numbers, addresses and handles they appear under.

    \b
    dossier people CASE [--json]             list persons with message counts
    dossier people show CASE PERSON          one person's identities and details
    dossier people suggest CASE              who may be the same person, with evidence
    dossier people merge CASE A B...         make them one person
    dossier people reject CASE A B           they are not the same: never suggest it again
    dossier people split CASE A IDENTITY...  take identities out into a new person
    dossier people rename CASE A NAME
    dossier people set CASE A --role ... --public/--private --alias ... --group ...
    dossier people roster export|import CASE FILE
    dossier people region CASE [CODE]        country for numbers without a country code
    """


@people.command("list")
@CASE
@JSON
@REDACT
def list_people(case: Path, as_json: bool, redact: bool) -> None:
    """List persons with how many messages they sent and received."""
    with Case.open(case) as opened:
        rows = opened.store.people_summary()
    names = Names(rows, redact)
    if as_json:
        emit_json([_person_json(p, names) for p in rows])
        return
    if not rows:
        click.echo("No persons yet: they come with the messages. See: dossier ingest", err=True)
    for p in rows:
        click.echo(f"#{p['id']:<5} {_headline(p, names)}")
        if not redact or p["public_figure"]:
            shown = [_identity_text(_context_shown(i, names)) for i in p["identities"]]
            click.echo("       " + "; ".join(shown))


def _person_json(p: dict[str, Any], names: Names) -> dict[str, Any]:
    hidden = names.redact and not p["public_figure"]
    return {
        "id": p["id"],
        "name": names.of(p["id"]),
        "role": p["role"],
        "public_figure": p["public_figure"],
        "confirmed": p["confirmed"],
        "aliases": [] if hidden else p["aliases"],
        "groups": p["labels"],
        "messages_sent": p["sent"],
        "messages_received": p["received"],
        "identities": [] if hidden else [_context_shown(i, names) for i in p["identities"]],
    }


def _context_shown(identity: dict[str, Any], names: Names) -> dict[str, Any]:
    """The phone a name was seen on is named after its custodian: hidden when redacting,
    unless a public figure."""
    return {**identity, "context": names.label(identity["context"]) or ""}


def _headline(p: dict[str, Any], names: Names) -> str:
    extra = [f"{p['sent']:,} sent", f"{p['received']:,} received"]
    if p["role"] and names.of(p["id"]) != p["role"]:
        extra.insert(0, p["role"])
    if p["public_figure"]:
        extra.insert(0, "public figure")
    if p["labels"]:
        extra.append("groups: " + ", ".join(p["labels"]))
    return f"{names.of(p['id'])}  ({'; '.join(extra)})"


def _identity_text(i: dict[str, Any]) -> str:
    text = f"[{i['id']}] {i['kind']} {i['value']}"
    if i["context"]:
        text += f" (on {i['context'][:12]})"
    if i["kind"] == "phone" and not has_country_code(i["value"]):
        text += " (no country code: see `dossier people region`)"
    return text


@people.command()
@CASE
@PERSON
@JSON
def show(case: Path, person: str, as_json: bool) -> None:
    """One person: identities (with their numbers, for split), aliases, role, groups."""
    with Case.open(case) as opened:
        pid = edits.resolve_person(opened, person)
        row = next(p for p in opened.store.people_summary() if p["id"] == pid)
        links = opened.store.person_links(pid)
        not_them = opened.store.persons_rejected_with(pid)
    if as_json:
        shown = _person_json(row, Names([row], redact=False))
        emit_json({**shown, "notes": row["notes"], "links": links, "not_the_same_as": not_them})
        return
    click.echo(f"#{row['id']} {_headline(row, Names([row], redact=False))}")
    if row["aliases"]:
        click.echo("Aliases: " + ", ".join(row["aliases"]))
    if row["notes"]:
        click.echo(f"Notes: {row['notes']}")
    click.echo("Identities:")
    for identity in row["identities"]:
        counts = f"{identity['sent']:,} sent, {identity['received']:,} received"
        if identity["copies"]:
            counts += f", in {identity['copies']:,} copies of messages first read elsewhere"
        click.echo(f"  {_identity_text(identity)}  ({counts})")
    for link in links:
        click.echo(
            f"Joined ({link['reason']}, {link['created_at'][:10]}): {link['a_value']!r} and "
            f"{link['b_value']!r}: {link['evidence']}"
        )
    if not_them:
        click.echo("Not the same as: " + ", ".join(f"#{p}" for p in not_them))


@people.command("suggest")
@CASE
@JSON
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option(
    "--min-score", default=0.3, show_default=True, type=click.FloatRange(0, 1), help="0..1"
)
def suggest_cmd(case: Path, as_json: bool, limit: int, min_score: float) -> None:
    """Who may be the same person, best first, with the evidence for each."""
    from dossier.people.suggest import suggest

    with Case.open(case) as opened:
        found = suggest(
            opened.store, region=edits.phone_region(opened), limit=limit, min_score=min_score
        )
    if as_json:
        emit_json([s.as_json() for s in found])
        return
    if not found:
        click.echo("No suggestions: no two persons look alike enough.", err=True)
        return
    for number, s in enumerate(found, start=1):
        _print_suggestion(number, s, case)


def _print_suggestion(number: int, s: Suggestion, case: Path) -> None:
    a, b = s.a, s.b
    click.echo(
        f"{number}. {s.score:.2f}  #{a['id']} {a['name']} ({a['messages']:,} sent)"
        f"  =  #{b['id']} {b['name']} ({b['messages']:,} sent)"
    )
    for clue in s.clues:
        examples = f"; e.g. {', '.join(clue.examples)}" if clue.examples else ""
        counted = f" [{clue.count:,} message(s){examples}]" if clue.count else ""
        click.echo(f"     {clue.kind} {clue.score:.2f}: {clue.detail}{counted}")
    click.echo(
        f"     yes: dossier people merge {case} {a['id']} {b['id']}"
        f"   no: dossier people reject {case} {a['id']} {b['id']}"
    )


@people.command()
@CASE
@click.argument("persons", nargs=-1, required=True)
@click.option("--name", help="The merged person's name (default: the first person's).")
def merge(case: Path, persons: tuple[str, ...], name: str | None) -> None:
    """Make two or more persons one (the first keeps its number)."""
    with Case.open(case) as opened:
        kept = edits.merge(opened, persons, name)
        shown = opened.store.person_name(kept)
    click.echo(f"Merged into #{kept} {shown}.")


@people.command()
@CASE
@click.argument("person_a")
@click.argument("person_b")
def reject(case: Path, person_a: str, person_b: str) -> None:
    """Record that two persons are different: they are never suggested together again."""
    with Case.open(case) as opened:
        pairs = edits.reject(opened, person_a, person_b)
    click.echo(f"Recorded: not the same person ({pairs} identity pair(s)).")


@people.command()
@CASE
@PERSON
@click.argument("identities", nargs=-1, required=True, type=int)
@click.option("--name", help="The new person's name (default: the first identity's value).")
def split(case: Path, person: str, identities: tuple[int, ...], name: str | None) -> None:
    """Take identities (numbers from `people show`) out of a person into a new person."""
    with Case.open(case) as opened:
        new = edits.split(opened, person, identities, name)
        shown = opened.store.person_name(new)
    click.echo(f"New person #{new} {shown}; it will not be suggested with the old one again.")


@people.command()
@CASE
@PERSON
@click.argument("name")
def rename(case: Path, person: str, name: str) -> None:
    """Give a person a name (marks them confirmed)."""
    with Case.open(case) as opened:
        pid = edits.rename(opened, person, name)
    click.echo(f"#{pid} is now {name.strip()!r}.")


@people.command("set")
@CASE
@PERSON
@click.option("--role", help='How reports describe them, e.g. "a very senior official".')
@click.option("--public/--private", "public", default=None, help="Public figures are named.")
@click.option("--alias", "aliases", multiple=True, help="Another name (repeat; replaces all).")
@click.option("--group", "groups", multiple=True, help="A group or faction (repeat; replaces).")
def set_cmd(
    case: Path,
    person: str,
    role: str | None,
    public: bool | None,
    aliases: tuple[str, ...],
    groups: tuple[str, ...],
) -> None:
    """Set a person's role, public-figure flag, aliases or groups."""
    with Case.open(case) as opened:
        pid = edits.describe(
            opened,
            person,
            role=role,
            public=public,
            aliases=aliases or None,
            labels=groups or None,
        )
    click.echo(f"Updated #{pid}.")


@people.command()
@CASE
@click.argument("code", required=False)
def region(case: Path, code: str | None) -> None:
    """Show or set the country numbers without a country code are read in (e.g. ES)."""
    with Case.open(case) as opened:
        if code is None:
            current = edits.phone_region(opened)
            click.echo(current or "No region set: numbers without a country code keep digits.")
            return
        code = edits.set_phone_region(opened, code)
    click.echo(f"Numbers without a country code will be read as {code} numbers.")


@people.group("roster")
def roster_group() -> None:
    """Export the people to a CSV or YAML file to edit, and import it back."""


@roster_group.command("export")
@CASE
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@FORMAT
def roster_export(case: Path, file: Path, fmt: str | None) -> None:
    """Write every person (name, aliases, role, groups, public flag, identities) to FILE."""
    from dossier.people import roster

    with Case.open(case) as opened:
        count = roster.export_roster(opened, file, fmt)
    click.echo(f"Wrote {count:,} person(s) to {file}.")


@roster_group.command("import")
@CASE
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@FORMAT
def roster_import(case: Path, file: Path, fmt: str | None) -> None:
    """Apply a roster FILE: all of it, or nothing if any row is wrong."""
    from dossier.people import roster

    with Case.open(case) as opened:
        entries = roster.read_roster(file, fmt, edits.phone_region(opened))
        changes = roster.import_roster(opened, entries)
    for line in changes:
        click.echo(line)
    click.echo(f"{len(entries):,} roster row(s) read, {len(changes):,} change(s).", err=True)
