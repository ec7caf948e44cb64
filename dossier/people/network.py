"""Who writes to whom and who talks about whom, as a graph of persons.

Nodes are the case's persons (name, role, labels, public flag, messages written) and the
people the mentions analysis found named but who never write. Edges, one per kind and pair:

* ``writes_to`` -- an email's sender to each of its To, Cc and Bcc recipients; in a chat, a
  *turn*: a message that replies to another person's message (when the platform records
  replies), or else directly follows another person's message in the same conversation within
  ``TURN_SECONDS``.
* ``member_with`` -- two persons who both wrote in the same chat conversation (symmetric,
  stored once, from the smaller node id). Exports list who wrote, not silent members, so this
  is co-authorship of a conversation. Weight: conversations shared.
* ``talks_about`` -- the author of a message to each person (or named non-participant) it
  mentions, from the mention annotations (``dossier analyse mentions``).

Each edge has ``weight`` (messages, turns, or shared conversations), ``months`` ("2024-05:3
2024-06:1", months in the case's zone), ``first`` and ``last`` month.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from typing import Any, TypeAlias

import networkx as nx

from dossier.case import Case
from dossier.textnorm import fold
from dossier.timeutil import zone

KINDS = ("writes_to", "member_with", "talks_about")
Graph: TypeAlias = "nx.MultiDiGraph[str]"
TURN_SECONDS = 5 * 60


@dataclass
class _Edges:
    """Counts per (source, target, kind), per month."""

    months: dict[tuple[str, str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    weights: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, source: str, target: str, kind: str, month: str, n: int = 1) -> None:
        if source != target:
            self.months[(source, target, kind)][month] += n
            self.weights[(source, target, kind)] += n


def build(
    case: Case,
    kinds: Iterable[str] = KINDS,
    since: int | None = None,
    until: int | None = None,
) -> Graph:
    """The graph of ``kinds`` edges over messages sent in [since, until) (UTC epoch)."""
    store, kinds = case.store, set(kinds)
    month = _months(case.tz)
    edges = _Edges()
    if "writes_to" in kinds:
        for sender, recipient, at in store.email_addressing(since, until):
            edges.add(_person(sender), _person(recipient), "writes_to", month(at))
    if kinds & {"writes_to", "member_with"}:
        _chat_edges(store.chat_sequence(since, until), edges, kinds, month)
    named: dict[str, tuple[str, str]] = {}  # folded name -> (node, name as written)
    if "talks_about" in kinds:
        for author, person, value, at in store.mention_edges(since, until):
            target = _person(person) if person is not None else _named(value, named)
            edges.add(_person(author), target, "talks_about", month(at))
    return _graph(store.graph_persons(), named, edges)


def _chat_edges(
    sequence: Iterable[tuple[int, int, int, int | None]],
    edges: _Edges,
    kinds: set[str],
    month: Callable[[int], str],
) -> None:
    previous: tuple[int, int, int] | None = None  # conversation, author, sent_at
    wrote: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for conversation, author, at, answered in sequence:
        wrote[conversation][author].add(month(at))
        if answered is None and _follows(previous, conversation, at):
            answered = previous[1] if previous else None
        if answered is not None and "writes_to" in kinds:
            edges.add(_person(author), _person(answered), "writes_to", month(at))
        previous = (conversation, author, at)
    if "member_with" in kinds:
        for authors in wrote.values():
            for a, b in combinations(sorted(authors), 2):
                pair = (_person(a), _person(b), "member_with")
                edges.weights[pair] += 1  # one more conversation shared
                for shared in authors[a] & authors[b]:
                    edges.months[pair][shared] += 1


def _follows(previous: tuple[int, int, int] | None, conversation: int, at: int) -> bool:
    """Whether a message at ``at`` directly follows ``previous`` in the same conversation."""
    return previous is not None and previous[0] == conversation and at - previous[2] <= TURN_SECONDS


def _graph(
    persons: list[dict[str, Any]], named: dict[str, tuple[str, str]], edges: _Edges
) -> Graph:
    graph: Graph = nx.MultiDiGraph()
    linked = {n for s, t, _ in edges.weights for n in (s, t)}
    for p in persons:
        node = _person(p["id"])
        if p["messages"] or node in linked:
            graph.add_node(
                node,
                label=p["name"],
                kind="person",
                role=p["role"] or "",
                labels=p["labels"] or "",
                public=bool(p["public_figure"]),
                messages=int(p["messages"]),
            )
    for node, name in named.values():
        graph.add_node(
            node,
            label=name,
            kind="not a participant",
            role="",
            labels="",
            public=False,
            messages=0,
        )
    for (source, target, kind), weight in sorted(edges.weights.items()):
        months = edges.months.get((source, target, kind), Counter())
        ordered = sorted(months)
        graph.add_edge(
            source,
            target,
            key=kind,
            id=f"{kind}:{source}->{target}",
            kind=kind,
            weight=weight,
            months=" ".join(f"{m}:{months[m]}" for m in ordered),
            first=ordered[0] if ordered else "",
            last=ordered[-1] if ordered else "",
        )
    return graph


def _person(person_id: int) -> str:
    return f"p{person_id}"


def _named(value: str, named: dict[str, tuple[str, str]]) -> str:
    """The node of a named non-participant: one per name, however it was written."""
    key = fold(value)
    if key not in named:
        named[key] = (f"n{len(named) + 1}", value)
    return named[key][0]


def _months(tz: str) -> Callable[[int], str]:
    """Epoch seconds to "YYYY-MM" in the case's zone (cached per quarter hour: every zone's
    offset is a whole number of quarter hours, so a quarter never straddles two months)."""
    where = zone(tz)
    cache: dict[int, str] = {}

    def month(epoch: int) -> str:
        quarter = epoch // 900
        if quarter not in cache:
            when = datetime.fromtimestamp(quarter * 900, UTC).astimezone(where)
            cache[quarter] = when.strftime("%Y-%m")
        return cache[quarter]

    return month
