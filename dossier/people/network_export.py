"""Writing the network: GEXF and GraphML for Gephi and other tools, PNG and SVG pictures.

With ``redact``, private individuals appear under the placeholder the rest of Dossier shows
for them (``dossier.people.display``): the name is gone from labels, ids and every
attribute; roles and labels stay, since they are what a reader needs and what the user chose
to record.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from dossier.errors import DossierError
from dossier.people.display import Names
from dossier.people.network import Graph

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FORMATS = (".gexf", ".graphml", ".png", ".svg")
PICTURE_NODES = 80  # a picture shows the most connected people; the files hold everyone
_COLOURS = {"writes_to": "#1f77b4", "member_with": "#c7c7c7", "talks_about": "#d62728"}
_BEND = {"writes_to": 0.1, "member_with": 0.0, "talks_about": 0.3}  # kinds apart, not on top
_NODE_COLOURS = {"public": "#2ca02c", "person": "#7f7f7f", "not a participant": "#ff7f0e"}


def redacted(graph: Graph, names: Names) -> Graph:
    """A copy of ``graph`` in which every private individual is a placeholder: a person of
    the case as ``names`` shows them everywhere else (their role, or "Person 12"); someone
    who never writes as "Named person 1", "Named person 2" ... in the graph's order."""
    out: Graph = nx.MultiDiGraph()
    named = 0
    for node, data in graph.nodes(data=True):
        data = dict(data)
        if data["kind"] == "not a participant":
            named += 1
            data["label"] = f"Named person {named}"
        else:
            data["label"] = names.of(int(node[1:]), fallback="(redacted)")
        out.add_node(node, **data)
    for source, target, key, data in graph.edges(keys=True, data=True):
        out.add_edge(source, target, key=key, **data)
    return out


def write(graph: Graph, path: Path, title: str) -> None:
    """Write ``graph`` in the format the file name's suffix says."""
    suffix = path.suffix.lower()
    if suffix == ".gexf":
        nx.write_gexf(graph, path)
    elif suffix == ".graphml":
        nx.write_graphml(graph, path)
    elif suffix in (".png", ".svg"):
        render(graph, path, title)
    else:
        raise DossierError(
            f"Cannot tell what to write from the file name {path.name!r}.",
            hint=f"end it in one of {', '.join(FORMATS)} (e.g. network.gexf for Gephi).",
        )


def render(graph: Graph, path: Path, title: str) -> None:
    """A picture of the most connected people, drawn offline."""
    try:
        import matplotlib
    except ImportError:
        raise DossierError(
            "Drawing pictures needs matplotlib, which is not installed.",
            hint="install it with: pip install 'dossier[pictures]' — or write a .gexf or "
            ".graphml file (no extra needed) and open it in Gephi",
        ) from None

    matplotlib.use("Agg")  # no display, no window: files only
    import matplotlib.pyplot as plt

    shown = _most_connected(graph, PICTURE_NODES)
    view = graph.subgraph(shown)
    figure, axes = plt.subplots(figsize=(16, 12), dpi=100)
    try:
        positions = _layout(view)
        _draw_edges(view, positions, axes)
        sizes = [80 + 40 * math.sqrt(view.nodes[n]["messages"]) for n in view]
        colours = [_node_colour(view.nodes[n]) for n in view]
        nx.draw_networkx_nodes(view, positions, node_size=sizes, node_color=colours, ax=axes)
        labels = {n: view.nodes[n]["label"] for n in view}
        above = {n: (x, y + 0.06) for n, (x, y) in positions.items()}
        nx.draw_networkx_labels(view, above, labels=labels, font_size=8, ax=axes)
        note = "" if len(view) == len(graph) else f" ({len(view)} of {len(graph)} shown)"
        axes.set_title(title + note)
        axes.legend(
            handles=_legend(),
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            frameon=False,
        )
        axes.margins(0.1)
        axes.set_axis_off()
        figure.savefig(path, format=path.suffix[1:].lower(), bbox_inches="tight")
    finally:
        plt.close(figure)


def _layout(view: Graph) -> dict[str, Any]:
    """Positions for the nodes: a force layout, with room between them for their labels (the
    same graph is always drawn the same way)."""
    if not len(view):
        return {}
    spread = 2.5 / math.sqrt(len(view))
    return dict(nx.spring_layout(view, k=spread, iterations=200, seed=7, weight=None))


def _most_connected(graph: Graph, n: int) -> list[str]:
    strength: Counter[str] = Counter({node: 0 for node in graph})
    for source, target, data in graph.edges(data=True):
        strength[source] += int(data["weight"])
        strength[target] += int(data["weight"])
    return [node for node, _ in strength.most_common(n)]


def _draw_edges(view: Graph, positions: Mapping[str, Any], axes: Axes) -> None:
    for kind, colour in _COLOURS.items():
        chosen = [(s, t) for s, t, k in view.edges(keys=True) if k == kind]
        if not chosen:
            continue
        widths = [0.5 + math.log1p(view.edges[s, t, kind]["weight"]) for s, t in chosen]
        nx.draw_networkx_edges(
            view,
            positions,
            edgelist=chosen,
            width=widths,
            edge_color=colour,
            arrows=True,
            arrowstyle="-" if kind == "member_with" else "-|>",
            connectionstyle=f"arc3,rad={_BEND[kind]}",
            ax=axes,
        )


def _node_colour(data: dict[str, object]) -> str:
    if data["kind"] == "not a participant":
        return _NODE_COLOURS["not a participant"]
    return _NODE_COLOURS["public" if data["public"] else "person"]


def _legend() -> list[object]:
    from matplotlib.lines import Line2D

    lines: list[object] = [
        Line2D([0], [0], color=colour, lw=2, label=kind.replace("_", " "))
        for kind, colour in _COLOURS.items()
    ]
    lines += [
        Line2D([0], [0], marker="o", color="w", markerfacecolor=colour, markersize=8, label=name)
        for name, colour in (
            ("public figure", _NODE_COLOURS["public"]),
            ("private individual", _NODE_COLOURS["person"]),
            ("never writes", _NODE_COLOURS["not a participant"]),
        )
    ]
    return lines
