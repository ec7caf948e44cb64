"""dossier network: export who writes to and about whom (GEXF, GraphML, PNG, SVG)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from dossier.case import Case
from dossier.cli.output import emit_json, warn
from dossier.errors import DossierError
from dossier.store.annotations import MENTIONS_RUN
from dossier.timeutil import zone

DATE_HINT = "write dates as YYYY-MM-DD, e.g. --since 2024-05-01"
KINDS = ("writes_to", "member_with", "talks_about")
FORMATS = (".gexf", ".graphml", ".png", ".svg")


@click.command("network")
@click.argument("case", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write: .gexf or .graphml (Gephi, other tools), .png or .svg (a picture).",
)
@click.option(
    "--kind",
    type=click.Choice([*KINDS, "all"]),
    default="all",
    show_default=True,
    help="Which links: emails and chat turns, shared chats, mentions, or all three.",
)
@click.option("--since", help="Only messages sent on or after this day (YYYY-MM-DD).")
@click.option("--until", help="Only messages sent before this day (YYYY-MM-DD).")
@click.option(
    "--redact", is_flag=True, help="Show private individuals as role placeholders, not names."
)
@click.option("--json", "as_json", is_flag=True, help="Print a summary as JSON.")
def network_cmd(
    case: Path,
    out: Path,
    kind: str,
    since: str | None,
    until: str | None,
    redact: bool,
    as_json: bool,
) -> None:
    """Export the network of who writes to whom and who talks about whom."""
    if out.suffix.lower() not in FORMATS:
        raise DossierError(
            f"Cannot tell what to write from the file name {out.name!r}.",
            hint=f"end it in one of {', '.join(FORMATS)}, e.g. --out net.gexf",
        )
    # Imported here: the graph libraries take a moment to load, and no other command needs them.
    from dossier.people import network, network_export
    from dossier.people.display import case_names

    with Case.open(case) as opened:
        start = _day(since, "--since", opened.tz)
        end = _day(until, "--until", opened.tz)
        kinds = KINDS if kind == "all" else (kind,)
        graph = network.build(opened, kinds, start, end)
        if "talks_about" in kinds and opened.store.get_meta(MENTIONS_RUN) is None:
            warn(
                f"Note: no talks_about links: mentions have not been looked for yet "
                f"(run: dossier analyse mentions {case})."
            )
        if redact:
            graph = network_export.redacted(graph, case_names(opened))
        title = opened.title
    network_export.write(graph, out, _title(title, kind, since, until))
    counts = {k: sum(1 for *_, key in graph.edges(keys=True) if key == k) for k in kinds}
    if as_json:
        emit_json({"file": str(out), "nodes": len(graph), "edges": counts, "redacted": redact})
        return
    links = ", ".join(f"{n} {k}" for k, n in counts.items())
    click.echo(f"Wrote {out}: {len(graph)} people, links: {links}.")


def _day(text: str | None, option: str, tz: str) -> int | None:
    if text is None:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise DossierError(f"{option} {text} is not a date.", hint=DATE_HINT) from None
    return int(day.replace(tzinfo=zone(tz)).timestamp())


def _title(case_title: str, kind: str, since: str | None, until: str | None) -> str:
    what = "who writes to and about whom" if kind == "all" else kind.replace("_", " ")
    when = f" {since or '…'} to {until or '…'}" if since or until else ""
    return f"{case_title}: {what}{when}"
