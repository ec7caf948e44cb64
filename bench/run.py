"""Benchmark: Dossier's WhatsApp parse, ingest and search against peers, in one run.

    python bench/run.py                      # 1,000,000 messages (input cached in bench/out/)
    python bench/run.py --messages 100000    # a smaller generated input
    python bench/run.py --input PATH.txt     # any Android export
    python bench/run.py --only dossier-parse,bare-loop --skip-search
    python bench/run.py --commit HEAD        # Dossier as committed, not the working tree

Every contender runs in its own subprocess, so its peak RSS (``ru_maxrss`` of that child,
read with ``os.wait4``) is its own: interpreter and imports included. Timings cover the work
only (after imports); msgs/s is the number of messages in the *input* divided by that time, so
every contender is measured against the same amount of work, whatever it returns. Peers get a
timeout; a peer that fails or runs out of time is recorded as such and the run goes on.
"tree RSS" sums the RSS of the child and any workers it starts, sampled every 50 ms (psutil);
"CPU s" is user + system time of the child and its workers.

Results: a table on stdout, and bench/out/results.json (machine, input, figures).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, rss_mb, run_measured

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
CHAT_NAME = "WhatsApp Chat with Campaign team.txt"  # gives the "Campaign team" title in: uses
WHATSTK_HFORMAT = "%d/%m/%Y, %H:%M - %name:"  # the generator's header, if auto-detect fails
PACKAGES = ("whatstk", "chat-miner", "pandas", "polars", "psutil", "dossier")
GOALS = {"parse_msgs_s": 300_000, "parse_rss_mb": 150, "ingest_msgs_s": 100_000,
         "search_p95_ms": 50}

# --- children: each runs in its own process and writes one JSON result -----------------------


def child_bare(path: Path, case: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The floor: decode the file, walk its lines, split each at the header separator."""
    start = time.perf_counter()
    lines = headers = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            lines += 1
            if len(line.split(" - ", 1)) == 2:
                headers += 1
    return {"seconds": time.perf_counter() - start, "count": headers,
            "detail": {"lines": lines, "lines_with_separator": headers}}


def child_dossier_parse(path: Path, case: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dossier.formats.base import ParseOptions
    from dossier.formats.whatsapp import WHATSAPP
    from dossier.model import MessageRecord

    kinds: Counter[str] = Counter()
    others: Counter[str] = Counter()
    start = time.perf_counter()
    with open(path, "rb") as fh:
        for record in WHATSAPP.parse(fh, path.name, ParseOptions()):
            if type(record) is MessageRecord:
                kinds[record.kind] += 1
            else:
                others[type(record).__name__] += 1
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "count": sum(kinds.values()),
            "detail": {"kinds": dict(kinds), "other_records": dict(others)}}


def child_whatstk(path: Path, case: Path, args: argparse.Namespace) -> dict[str, Any]:
    from whatstk.whatsapp.auto_header import extract_header_from_text
    from whatstk.whatsapp.objects import WhatsAppChat

    with open(path, encoding="utf-8") as fh:
        head = fh.read(200_000)
    detected = extract_header_from_text(head)
    kwargs: dict[str, Any] = {"max_size": None}  # default cap is 50 MB of text
    if not detected:
        kwargs["hformat"] = WHATSTK_HFORMAT
    start = time.perf_counter()
    chat = WhatsAppChat.from_source(str(path), **kwargs)  # auto-detects again on the whole text
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "count": len(chat.df),
            "detail": {"hformat": detected or WHATSTK_HFORMAT,
                       "hformat_given": not detected, "max_size": None}}


def child_chatminer(path: Path, case: Path, args: argparse.Namespace) -> dict[str, Any]:
    import logging

    from chatminer.chatparsers import WhatsAppParser

    logging.disable(logging.INFO)  # it logs every system line it drops
    start = time.perf_counter()
    parser = WhatsAppParser(str(path))
    parser.parse_file()
    df = parser.parsed_messages.get_df()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "count": len(df), "detail": {"frame": type(df).__module__}}


def child_ingest(path: Path, case: Path, args: argparse.Namespace) -> dict[str, Any]:
    import shutil

    from dossier.case import Case
    from dossier.ingest import IngestOptions, ingest

    if case.exists():
        shutil.rmtree(case)
    start = time.perf_counter()
    with Case.create(case, title="bench", tz="UTC") as opened:
        summary = ingest(opened, [path], IngestOptions())
    seconds = time.perf_counter() - start
    db_bytes = sum(p.stat().st_size for p in case.glob("case.sqlite*"))
    return {"seconds": seconds, "count": summary.messages_new,
            "detail": {"issues": summary.issues, "failed": summary.failed,
                       "db_bytes": db_bytes, "chats": summary.chats}}


def _time_queries(run: Callable[[str], int], queries: list[str], repeat: int) -> dict[str, Any]:
    per_query = []
    every: list[float] = []
    for query in queries:
        start = time.perf_counter()
        hits = run(query)  # first run: fills SQLite's page cache; reported, not in percentiles
        first = (time.perf_counter() - start) * 1000
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            run(query)
            runs.append((time.perf_counter() - start) * 1000)
        every.extend(runs)
        per_query.append({"query": query, "hits": hits, "first_ms": first,
                          "median_ms": statistics.median(runs), "max_ms": max(runs)})
    every.sort()
    return {"runs": len(every), "p50_ms": statistics.median(every),
            "p95_ms": every[round(0.95 * (len(every) - 1))], "max_ms": every[-1],
            "queries": per_query}


def child_search(path: Path, case: Path, args: argparse.Namespace) -> dict[str, Any]:
    from search_queries import QUERIES

    from dossier import read
    from dossier.case import Case
    from dossier.store.search import search

    with Case.open(case) as opened:
        conn, tz = opened.store.conn, opened.tz
        total = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        core = _time_queries(lambda q: len(search(conn, q, limit=20, tz=tz)),
                             QUERIES, args.repeat)
        full = _time_queries(lambda q: len(read.search(opened, q, limit=20)),
                             QUERIES, args.repeat)
    seconds = sum(q["median_ms"] for q in core["queries"]) / 1000
    return {"seconds": seconds, "count": total,
            "detail": {"store_search": core, "read_search": full, "limit": 20,
                       "repeat": args.repeat}}


CHILDREN: dict[str, Callable[[Path, Path, argparse.Namespace], dict[str, Any]]] = {
    "bare-loop": child_bare,
    "dossier-parse": child_dossier_parse,
    "whatstk": child_whatstk,
    "chat-miner": child_chatminer,
    "dossier-ingest": child_ingest,
    "dossier-search": child_search,
}
PARSERS = ("bare-loop", "dossier-parse", "whatstk", "chat-miner")
PEERS = ("whatstk", "chat-miner")
REPEATED = ("bare-loop", "dossier-parse", "dossier-ingest")  # best of --runs; the rest run once


def run_child(args: argparse.Namespace) -> None:
    sys.path.insert(0, args.tree)  # ahead of the editable install's finder (on meta_path's end)
    base = rss_mb()
    result = CHILDREN[args.child](Path(args.input), Path(args.case), args)
    result["rss_before_work_mb"] = base
    result["peak_rss_self_mb"] = rss_mb()
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")


# --- parent: input, subprocesses, table ------------------------------------------------------


def spawn(name: str, args: argparse.Namespace, path: Path, case: Path) -> dict[str, Any]:
    """Run one contender in a fresh process (see common.run_measured)."""
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    result_file = logs / f"{name}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--input", str(path),
           "--case", str(case), "--result", str(result_file), "--repeat", str(args.repeat),
           "--tree", args.tree]
    env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONHASHSEED": "0"}
    timeout = args.timeout if name in PEERS else args.timeout * 2
    return run_measured(name, cmd, env, timeout, result_file, logs / f"{name}.stderr")



def best_of(name: str, runs: int, args: argparse.Namespace, path: Path, case: Path
            ) -> dict[str, Any]:
    rows = [spawn(name, args, path, case) for _ in range(runs)]
    ok = [r for r in rows if r["status"] == "ok"]
    best = min(ok, key=lambda r: r["seconds"]) if ok else rows[-1]
    if len(rows) > 1:
        best["all_seconds"] = [r.get("seconds") for r in rows]
    return best


def ensure_input(args: argparse.Namespace) -> tuple[Path, int | None]:
    if args.input:
        return Path(args.input).resolve(), None
    folder = OUT / f"input-{args.messages}-seed{args.seed}"
    path = folder / CHAT_NAME
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {args.messages:,} messages into {path} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(BENCH / "gen_whatsapp.py"), str(args.messages),
                        str(path), "--seed", str(args.seed)], check=True)
    return path, args.messages


def describe_input(path: Path, generated: int | None, seed: int) -> dict[str, Any]:
    lines = 0
    with open(path, "rb") as fh:  # in chunks: the parent must stay small (see spawn)
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
    return {"path": str(path), "bytes": path.stat().st_size, "lines": lines,
            "generator": "bench/gen_whatsapp.py" if generated else None,
            "messages": generated, "seed": seed if generated else None}


def source_tree(commit: str | None) -> tuple[str, str]:
    """Where the children import dossier from, and which code that is."""
    def git(*cmd: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *cmd], capture_output=True, text=True)
        return done.stdout.strip()

    if not commit:
        dirty = git("status", "--porcelain", "dossier")
        return str(ROOT), git("rev-parse", "--short", "HEAD") + (
            " + uncommitted changes in dossier/" if dirty else "")
    sha = git("rev-parse", "--short", commit)
    if not sha:
        sys.exit(f"unknown commit {commit!r}")
    tree = OUT / f"tree-{sha}"
    if not (tree / "dossier").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha, "dossier"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return str(tree), sha


def messages_in(info: dict[str, Any], rows: dict[str, dict[str, Any]]) -> int:
    if info["messages"]:
        return int(info["messages"])
    parse = rows.get("dossier-parse", {})
    return int(parse.get("count") or info["lines"])


def print_table(rows: dict[str, dict[str, Any]], n: int) -> None:
    ref = rows.get("dossier-parse", {}).get("seconds")
    print(f"\n{'contender':16} {'seconds':>9} {'msgs/s':>11} {'vs Dossier':>10} "
          f"{'peak RSS':>9} {'tree RSS':>9} {'CPU s':>7} {'messages':>10}  status")
    for name, row in rows.items():
        if name == "dossier-search":
            continue
        secs = row.get("seconds")
        if secs:
            rate = n / secs
            row["msgs_per_s"] = rate
            row["speed_vs_dossier_parse"] = ref / secs if ref else None
            ratio = f"{ref / secs:9.2f}x" if ref else "-"
            cells = f"{secs:9.2f} {rate:11,.0f} {ratio:>10}"
        else:
            cells = f"{'-':>9} {'-':>11} {'-':>10}"
        count = row.get("count")
        shown = f"{count:10,}" if count is not None else f"{'-':>10}"
        print(f"{name:16} {cells} {row['peak_rss_mb']:7.0f}MB "
              f"{row['peak_tree_rss_sampled_mb']:7.0f}MB {row['cpu_seconds']:7.1f} {shown}  "
              f"{row['status']}")


def print_search(row: dict[str, Any]) -> None:
    if row["status"] != "ok":
        print(f"\nsearch: {row['status']}")
        return
    for label in ("store_search", "read_search"):
        d = row["detail"][label]
        print(f"\nsearch ({label}, {d['runs']} warm runs over {len(d['queries'])} queries, "
              f"{row['count']:,} messages): p50 {d['p50_ms']:.1f} ms, p95 {d['p95_ms']:.1f} ms, "
              f"max {d['max_ms']:.1f} ms")
    print("slowest (store_search, median of warm runs):")
    slow = sorted(row["detail"]["store_search"]["queries"], key=lambda q: -q["median_ms"])
    for q in slow[:8]:
        print(f"  {q['median_ms']:7.1f} ms  (first {q['first_ms']:6.1f})  {q['hits']:3d} hits  "
              f"{q['query']}")


def goals(rows: dict[str, dict[str, Any]], n: int) -> dict[str, Any]:
    parse, ingest = rows.get("dossier-parse", {}), rows.get("dossier-ingest", {})
    search = rows.get("dossier-search", {})
    found: dict[str, Any] = {}
    if parse.get("seconds"):
        found["parse_msgs_s"] = n / parse["seconds"]
        found["parse_rss_mb"] = parse["peak_rss_mb"]
    if ingest.get("seconds"):
        found["ingest_msgs_s"] = n / ingest["seconds"]
    if search.get("status") == "ok":
        found["search_p95_ms"] = search["detail"]["store_search"]["p95_ms"]
    verdict = {}
    print("\ngoals:")
    for key, value in found.items():
        target = GOALS[key]
        met = value <= target if key.endswith(("_mb", "_ms")) else value >= target
        verdict[key] = {"value": value, "target": target, "met": met}
        print(f"  {key:15} {value:12,.1f}  target {target:>9,}  {'met' if met else 'NOT met'}")
    return verdict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--input", help="an existing Android export instead of a generated one")
    ap.add_argument("--only", help="comma-separated contenders: " + ",".join(CHILDREN))
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-search", action="store_true")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per peer run")
    ap.add_argument("--runs", type=int, default=3,
                    help="runs of bare loop, Dossier parse and ingest (best kept)")
    ap.add_argument("--repeat", type=int, default=5, help="warm runs of each search query")
    ap.add_argument("--commit", help="time dossier as of this commit (git archive into out/)")
    ap.add_argument("--out", default=str(OUT / "results.json"))
    ap.add_argument("--tree", help=argparse.SUPPRESS)
    ap.add_argument("--child", choices=list(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_child(args)
        return
    path, generated = ensure_input(args)
    args.tree, code = source_tree(args.commit)
    names = list(CHILDREN) if not args.only else args.only.split(",")
    names = [n for n in names if not (args.skip_peers and n in PEERS)]
    names = [n for n in names if not (args.skip_search and n == "dossier-search")]
    info = describe_input(path, generated, args.seed)
    case = OUT / f"case-{path.parent.name}"
    started = datetime.now(UTC).isoformat(timespec="seconds")
    host = machine(PACKAGES)
    host["dossier_code"] = code
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        runs = args.runs if name in REPEATED else 1
        rows[name] = best_of(name, runs, args, path, case)
        print(f"  {rows[name]['status']}, {rows[name].get('seconds', 0):.2f} s",
              file=sys.stderr, flush=True)
    n = messages_in(info, rows)
    print(f"dossier code: {code}")
    print(f"input: {info['bytes']:,} bytes, {n:,} messages, {info['lines']:,} lines ({path.name})")
    print_table(rows, n)
    if "dossier-search" in rows:
        print_search(rows["dossier-search"])
    verdict = goals(rows, n)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"started": started, "machine": host, "input": info,
                               "results": rows, "goals": verdict}, indent=2, default=str),
                   encoding="utf-8")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
