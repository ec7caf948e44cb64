"""Run a search query (``dossier.store.query``) against a case's SQLite store.

How a query runs:

1. ``from:``, ``to:`` and ``in:`` are resolved first (``search_resolve``: a person by name,
   alias or identity) to short lists of identity / conversation ids (one small query each),
   so the message query never joins persons per row.
2. The top-level AND of the query is split into an FTS5 *core* -- every positive word, prefix
   and phrase, plus excluded words, as one ``messages_fts MATCH`` expression -- and a SQL
   *residual* over ``messages m`` for the rest (operators, exact-phrase checks, mixed ORs).
   The core only narrows candidates; the residual makes them exact.
3. Exact phrases: FTS finds rows with the phrase's words adjacent, then ``dossier_phrase()``
   (a Python function registered on the connection) checks that the case-folded phrase occurs
   literally in the case-folded ``body_search``, on word boundaries: ``"don't"`` does not match
   "don t", ``"plan b"`` not "plan bravo", ``"café"`` not "cafe". Any run of white space
   (a line break included) counts as one space. Phrases of characters the index ignores
   (``"🔥"``, ``"!!!"``) have no core and are checked by scanning.
4. Ordering (``newest``/``oldest``) is always exact by ``sent_at`` (ties by id). With a core,
   the first ``cap + 1`` FTS hits are fetched (``cap`` = sqrt(limit x messages), at least
   ``MIN_CAP``: about 4,500 for 20 results from 1M messages). Then:

   * *few matches* (at most ``cap``): those ids are joined to ``messages``, filtered and sorted
     (about 1 µs a hit; the FTS query is not run twice);
   * *many matches* (a common word): messages are walked in time order through the time index
     (or the sender/conversation index SQLite picks for the operators), in growing batches.
     Each batch is checked against the core with ``rowid BETWEEN`` queries on the FTS index,
     one per run of nearby rowids. Rowids follow file order, so a batch of recent messages
     falls in a few runs and the check costs well under a millisecond; the walk stops once
     ``limit`` hits are found. Exact-phrase checks run only on the batch's FTS hits. A walk
     that reads more than ``budget`` rows (a common word with a rare operator, say) gives up
     and the join-and-sort plan runs instead: the worst case is bounded, the answer exact.

   A query of excluded words only (``-the``) walks the same way, keeping the rows the FTS
   index does *not* match. ``best`` ranks by FTS5 bm25 over all core hits (its cost grows with
   the match count); without text terms it is ``newest``.

Costs not bounded here (no index for them in schema 1): ``kind:`` alone scans the time index
until enough rows of that kind turn up; text the FTS index ignores (``"!!!"``) is found by
scanning ``body_search``; ``word*`` prefixes merge every matching term per FTS query.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dossier.errors import QueryError
from dossier.store.annotations import about_condition
from dossier.store.query import (
    About,
    After,
    And,
    Before,
    Dkim,
    From,
    Has,
    In,
    Kind,
    Node,
    Not,
    Or,
    Recipient,
    Subject,
    Text,
    parse,
)
from dossier.store.search_resolve import conversation_ids, sender_ids
from dossier.store.search_snippets import SNIPPET_CHARS, fts_snippet, head, snippet
from dossier.store.search_text import find_phrase, register, squash, tokens

__all__ = [  # the text and snippet helpers are re-exported: callers know them from here
    "SNIPPET_CHARS",
    "SORTS",
    "Plan",
    "SearchHit",
    "compile_query",
    "count",
    "find_phrase",
    "fts_exact",
    "fts_superset",
    "search",
]

SORTS: tuple[str, ...] = ("newest", "oldest", "best")
# Plan choice (see the module docstring); module-level so tests can force either plan.
MIN_CAP = 1000  # an FTS core with at most this many hits is always joined and sorted
MIN_BUDGET = 50_000  # rows a time-ordered walk may read before it falls back
RUN_GAP = 1024  # ids this close share one rowid-range query in a walk batch
MAX_RUNS = 32  # rowid runs checked one by one in a walk batch; beyond, one query spans them
_HAS_ATTACHMENT = "EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id)"


@dataclass(frozen=True, slots=True)
class SearchHit:
    message_id: int  # messages.id (rowid)
    uid: str
    snippet: str  # matched terms wrapped in the highlight markers
    score: float | None  # sort="best": -bm25, higher is better; otherwise None


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    limit: int = 20,
    sort: str = "newest",
    tz: str = "UTC",
    highlight: tuple[str, str] = ("[", "]"),
) -> list[SearchHit]:
    """The ``limit`` messages matching ``query``, in ``sort`` order."""
    if sort not in SORTS:
        raise QueryError(f"Unknown sort order {sort!r}.", hint=f"Use one of: {', '.join(SORTS)}.")
    if limit < 1:
        raise QueryError(f"The result limit must be at least 1, not {limit}.")
    plan = compile_query(conn, parse(query), tz)
    with _fts_errors():
        if sort == "best" and plan.fts is not None:
            rows = _best(conn, plan, limit)
        else:
            rows = [(i, None) for i in _ordered(conn, plan, limit, desc=sort != "oldest")]
        return _hits(conn, plan, rows, highlight)


def count(conn: sqlite3.Connection, query: str, tz: str = "UTC") -> int:
    """How many messages match ``query``."""
    plan = compile_query(conn, parse(query), tz)
    with _fts_errors():
        if plan.fts is None:
            where, params = plan.full_where()
            sql = f"SELECT count(*) FROM messages m WHERE {where}"
        elif plan.where == "1":
            sql, params = "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", []
        else:
            sql, params = f"SELECT count(*) {_FROM_HITS} WHERE {plan.where}", plan.params
        row = conn.execute(sql, [plan.fts, *params] if plan.fts else params).fetchone()
    return int(row[0])


# ---------------------------------------------------------------------------------------------
# Compiling the tree


@dataclass
class Plan:
    fts: str | None  # FTS5 expression narrowing the candidates, or None (scan)
    anti: str | None  # with no ``fts``: FTS5 expression of the excluded words, or None
    pre: str  # SQL predicate over ``messages m`` for the operators and the rest; "1" if none
    pre_params: list[object]
    post: str  # with ``fts``: the exact-text checks its hits still need; "1" when none
    post_params: list[object]
    marks: list[tuple[str, bool]] = field(default_factory=list)  # (folded text, prefix) to mark
    highlight_fts: str | None = None  # OR of the positive indexed terms, for FTS snippets

    @property
    def where(self) -> str:
        """The exact residual: with ``fts`` (or ``anti``), it makes the result exact."""
        return self.pre if self.post == "1" else f"{self.pre} AND {self.post}"

    @property
    def params(self) -> list[object]:
        return [*self.pre_params, *self.post_params]

    def full_where(self) -> tuple[str, list[object]]:
        """The residual with the excluded words (``anti``) as a SQL condition."""
        if self.anti is None:
            return self.where, self.params
        return f"{self.where} AND m.id NOT IN ({_FTS_IDS})", [*self.params, self.anti]


def compile_query(conn: sqlite3.Connection, node: Node, tz: str) -> Plan:
    """Split ``node`` into an FTS core and an exact SQL residual (see the module docstring)."""
    register(conn)
    compiler = _Compiler(conn, _zone(tz))
    core: list[str] = []
    excluded: list[str] = []
    pre: list[tuple[str, list[object]]] = []
    post: list[tuple[str, list[object]]] = []
    for child in node.children if isinstance(node, And) else (node,):
        if isinstance(child, Not) and (exact := fts_exact(child.child)) is not None:
            excluded.append(exact)
            continue
        if (superset := fts_superset(child)) is not None:
            core.append(superset)
        if fts_exact(child) is None:
            sql = compiler.sql(child)
            (post if isinstance(child, Text) else pre).append((sql, compiler.params))
            compiler.params = []
    if not core:  # no FTS hits to check after: every condition is checked row by row
        pre, post = pre + post, []
    fts = anti = None
    if core:
        fts = " AND ".join(f"({c})" for c in core) + "".join(f" NOT ({e})" for e in excluded)
    elif excluded:
        anti = " OR ".join(f"({e})" for e in excluded)
    positive = list(_positive_texts(node))
    lit = [t for t in positive if tokens(t.text)]
    return Plan(
        fts=fts,
        anti=anti,
        pre=" AND ".join(sql for sql, _ in pre) or "1",
        pre_params=[p for _, params in pre for p in params],
        post=" AND ".join(sql for sql, _ in post) or "1",
        post_params=[p for _, params in post for p in params],
        marks=[(squash(t.text), t.prefix) for t in positive],
        highlight_fts=" OR ".join(_fts_string(t) for t in lit) or None,
    )


_FTS_IDS = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?"
_FROM_HITS = (
    "FROM (SELECT rowid AS id FROM messages_fts WHERE messages_fts MATCH ?) AS h "
    "CROSS JOIN messages m ON m.id = h.id"
)


def fts_exact(node: Node) -> str | None:
    """An FTS5 expression matching exactly the rows ``node`` matches, or None."""
    if isinstance(node, Text):
        if node.phrase and not _simple_word(node.text):
            return None
        return _fts_string(node) if tokens(node.text) else None
    if isinstance(node, And):
        pos = [c for c in node.children if not isinstance(c, Not)]
        neg = [c.child for c in node.children if isinstance(c, Not)]
        pos_fts = [fts_exact(c) for c in pos]
        neg_fts = [fts_exact(c) for c in neg]
        if not pos or None in pos_fts or None in neg_fts:
            return None
        return " AND ".join(f"({p})" for p in pos_fts) + "".join(f" NOT ({n})" for n in neg_fts)
    if isinstance(node, Or):
        parts = [fts_exact(c) for c in node.children]
        return None if None in parts else " OR ".join(f"({p})" for p in parts)
    return None


def fts_superset(node: Node) -> str | None:
    """An FTS5 expression matching at least the rows ``node`` matches, or None."""
    if isinstance(node, Text):
        return _fts_string(node) if tokens(node.text) else None
    if isinstance(node, And):
        pos = [s for c in node.children if (s := fts_superset(c)) is not None]
        neg = [e for c in node.children if isinstance(c, Not) and (e := fts_exact(c.child))]
        if not pos:
            return None
        return " AND ".join(f"({p})" for p in pos) + "".join(f" NOT ({n})" for n in neg)
    if isinstance(node, Or):
        parts = [fts_superset(c) for c in node.children]
        return None if None in parts else " OR ".join(f"({p})" for p in parts)
    return None


def _fts_string(text: Text) -> str:
    return '"' + text.text.replace('"', '""') + '"' + ("*" if text.prefix else "")


def _simple_word(text: str) -> bool:
    """A one-word ASCII phrase: FTS matching is already exact for it."""
    return text.isascii() and text.isalnum()


def _positive_texts(node: Node, negated: bool = False) -> Iterator[Text]:
    if isinstance(node, Text) and not negated:
        yield node
    elif isinstance(node, Not):
        yield from _positive_texts(node.child, not negated)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from _positive_texts(child, negated)


class _Compiler:
    def __init__(self, conn: sqlite3.Connection, zone: ZoneInfo) -> None:
        self.conn = conn
        self.zone = zone
        self.params: list[object] = []

    def sql(self, node: Node) -> str:
        """An exact predicate over ``messages m`` that is 0 or 1, never NULL."""
        if isinstance(node, Text):
            if tokens(node.text) and (exact := fts_exact(node)) is not None:
                self.params.append(exact)
                return f"m.id IN ({_FTS_IDS})"
            needle = squash(node.text)
            self.params.append(needle)
            if needle.lower() == needle.upper() and " " not in needle:
                # caseless (emoji, punctuation): a plain substring test weeds out most rows in C
                self.params.insert(len(self.params) - 1, needle)
                return "(instr(m.body_search, ?) > 0 AND dossier_phrase(m.body_search, ?))"
            return "dossier_phrase(m.body_search, ?)"
        if isinstance(node, Not):
            return f"NOT ({self.sql(node.child)})"
        if isinstance(node, And | Or):
            glue = " AND " if isinstance(node, And) else " OR "
            return "(" + glue.join(self.sql(c) for c in node.children) + ")"
        if isinstance(node, From):
            ids = sender_ids(self.conn, node.name)
            return f"(m.sender_id IS NOT NULL AND m.sender_id IN ({_ints(ids)}))" if ids else "0"
        if isinstance(node, In):
            ids = conversation_ids(self.conn, node.name)
            return f"m.conversation_id IN ({_ints(ids)})" if ids else "0"
        if isinstance(node, Recipient):
            ids = sender_ids(self.conn, node.name)
            roles = ",".join(f"'{r}'" for r in node.roles)
            return (
                "m.id IN (SELECT message_id FROM recipients WHERE role IN"
                f" ({roles}) AND identity_id IN ({_ints(ids)}))"
                if ids
                else "0"
            )
        if isinstance(node, About):
            sql, params = about_condition(self.conn, node.name)
            self.params.extend(params)
            return sql
        if isinstance(node, Subject):
            self.params.append(squash(node.text))
            return "m.id IN (SELECT message_id FROM emails WHERE dossier_contains(subject, ?, ''))"
        if isinstance(node, Dkim):
            self.params.append(node.status)
            column = "arc" if node.check == "arc" else "dkim"
            return f"m.id IN (SELECT message_id FROM emails WHERE {column} = ?)"
        if isinstance(node, After | Before):
            self.params.append(_epoch(node.when, self.zone))
            return "m.sent_at >= ?" if isinstance(node, After) else "m.sent_at < ?"
        if isinstance(node, Kind):
            self.params.append(node.kind)
            return "m.kind = ?"
        if isinstance(node, Has):
            if node.what == "attachment":
                return _HAS_ATTACHMENT
            return f"(m.kind = 'media' OR {_HAS_ATTACHMENT})"
        raise AssertionError(node)


def _ints(ids: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise QueryError(
            f"Unknown time zone {tz!r} for reading after:/before: dates.",
            hint="Use an IANA zone name such as Europe/Madrid or UTC.",
        ) from exc


def _epoch(when: datetime, zone: ZoneInfo) -> int:
    return math.floor(when.replace(tzinfo=zone).timestamp())


# ---------------------------------------------------------------------------------------------
# Running the plan


def _ordered(conn: sqlite3.Connection, plan: Plan, limit: int, desc: bool) -> list[int]:
    """Ids of the first ``limit`` matches by ``sent_at`` (then id), newest or oldest first."""
    order = "DESC" if desc else "ASC"
    by_time = f"ORDER BY m.sent_at {order}, m.id {order}"
    total = conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    cap = min(max(int(math.sqrt(limit * total)), MIN_CAP), 100_000)
    budget = max(30 * cap, MIN_BUDGET)
    if plan.fts is None:
        if plan.anti is not None:
            walked = _walk(conn, plan, plan.anti, limit, by_time, budget, keep=False)
            if walked is not None:
                return walked
        where, params = plan.full_where()
        sql = f"SELECT m.id FROM messages m WHERE {where} {by_time} LIMIT ?"
        return [int(r[0]) for r in conn.execute(sql, [*params, limit])]
    probe = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?"
    hits = [int(r[0]) for r in conn.execute(probe, (plan.fts, cap + 1))]
    if not hits:
        return []
    if len(hits) <= cap:  # few: join and sort them (the FTS query is not run a second time)
        sql = f"SELECT m.id FROM messages m WHERE m.id IN ({_ints(hits)}) AND {plan.where}"
        return [int(r[0]) for r in conn.execute(f"{sql} {by_time} LIMIT ?", [*plan.params, limit])]
    walked = _walk(conn, plan, plan.fts, limit, by_time, budget, keep=True)
    if walked is not None:
        return walked
    sql = f"SELECT m.id {_FROM_HITS} WHERE {plan.where} {by_time} LIMIT ?"
    return [int(r[0]) for r in conn.execute(sql, [plan.fts, *plan.params, limit])]


def _walk(
    conn: sqlite3.Connection,
    plan: Plan,
    fts: str,
    limit: int,
    by_time: str,
    budget: int,
    keep: bool,
) -> list[int] | None:
    """Walk the residual's rows in time order, keeping those ``fts`` matches (``keep``) or
    does not match, until ``limit`` are found; None when more than ``budget`` rows would have
    to be read."""
    sql = f"SELECT m.id FROM messages m WHERE {plan.pre} {by_time}"
    cursor = conn.execute(sql, plan.pre_params)
    found: list[int] = []
    seen, batch = 0, 256
    try:
        while len(found) < limit:
            ids = [int(r[0]) for r in cursor.fetchmany(batch)]
            if not ids:
                break
            members = _fts_members(conn, fts, ids)
            kept = [i for i in ids if (i in members) == keep]
            if kept and plan.post != "1":
                passed = _passing(conn, plan, kept)
                kept = [i for i in kept if i in passed]
            found.extend(kept)
            seen += len(ids)
            if len(found) < limit and seen >= budget:
                return None
            batch = min(batch * 2, 8192)
    finally:
        cursor.close()
    return found[:limit]


def _passing(conn: sqlite3.Connection, plan: Plan, ids: list[int]) -> set[int]:
    """Which of ``ids`` pass the plan's exact-text checks."""
    sql = f"SELECT m.id FROM messages m WHERE m.id IN ({_ints(ids)}) AND {plan.post}"
    return {int(r[0]) for r in conn.execute(sql, plan.post_params)}


def _fts_members(conn: sqlite3.Connection, fts: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` the FTS expression matches: one rowid-range query per run of nearby
    ids, or a single query over the whole span when the ids are too scattered for that."""
    ordered = sorted(ids)
    runs: list[tuple[int, int]] = []
    for i in ordered:
        if runs and i - runs[-1][1] <= RUN_GAP:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    if len(runs) > MAX_RUNS:
        runs = [(ordered[0], ordered[-1])]
    wanted = set(ids)
    members: set[int] = set()
    sql = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ?"
    for lo, hi in runs:
        members.update(r for (r,) in conn.execute(sql, (fts, lo, hi)) if r in wanted)
    return members


def _best(conn: sqlite3.Connection, plan: Plan, limit: int) -> list[tuple[int, float | None]]:
    """By bm25, best first (ties: newest, or latest rowid when there is no residual)."""
    if plan.where == "1":
        sql = (
            "SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ? "
            "ORDER BY rank, rowid DESC LIMIT ?"
        )
        rows = conn.execute(sql, (plan.fts, limit))
    else:
        sql = (
            "SELECT m.id, h.rank FROM (SELECT rowid AS id, rank FROM messages_fts "
            "WHERE messages_fts MATCH ?) AS h CROSS JOIN messages m ON m.id = h.id "
            f"WHERE {plan.where} ORDER BY h.rank, m.sent_at DESC, m.id DESC LIMIT ?"
        )
        rows = conn.execute(sql, [plan.fts, *plan.params, limit])
    return [(int(i), -float(rank)) for i, rank in rows]


def _hits(
    conn: sqlite3.Connection,
    plan: Plan,
    rows: list[tuple[int, float | None]],
    marks: tuple[str, str],
) -> list[SearchHit]:
    if not rows:
        return []
    ids = [i for i, _ in rows]
    found = conn.execute(
        f"SELECT id, uid, body_search FROM messages WHERE id IN ({_ints(ids)})"
    ).fetchall()
    by_id = {int(i): (str(uid), str(body)) for i, uid, body in found}
    hits = []
    for message_id, score in rows:
        uid, body = by_id[message_id]
        text = snippet(body, plan.marks, marks)
        if text is None and plan.highlight_fts is not None:
            text = fts_snippet(conn, plan.highlight_fts, message_id, marks)
        hits.append(SearchHit(message_id, uid, text or head(body), score))
    return hits


class _fts_errors:
    """Turn an FTS5 syntax complaint into a QueryError (the compiler quotes every term, so
    this should not happen; if it does, the user still gets a message, not a traceback)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, sqlite3.OperationalError) and "fts5" in str(exc):
            raise QueryError(
                f"The search index could not read this query ({exc}).",
                hint="Put unusual words in quotes, or simplify the query.",
            ) from exc
