"""Benchmark: Dossier's Telegram parse and ingest against a peer, in one run.

    python bench/telegram_run.py                 # the fixture scaled 100x (547,500 messages)
    python bench/telegram_run.py --copies 10     # a smaller scaled input
    python bench/telegram_run.py --runs 1 --only dossier-parse,chat-miner

The input is the shared corpus's BIG_20A_5475M.json (chat-analytics' generated supergroup,
5,475 messages), read as it is and, for a size where timings mean something, written again
``--copies`` times into one export shaped like Telegram Desktop's own: one-space indent, a
local ``date`` without zone or fraction and a ``date_unixtime`` beside it (the fixture writes
ISO dates with "Z" and no unixtime, which chat-miner cannot read), ids numbered on.

Every contender runs in a fresh process (common.run_measured): peak RSS is its own, timings
cover the work after imports, msgs/s is the input's message count divided by that time.
Results: a table on stdout and bench/out/telegram_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, run_measured

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
FIXTURE = Path("chats/chat-analytics/tests/samples/telegram/BIG_20A_5475M.json")
PACKAGES = ("chat-miner", "psutil", "dossier")
CONTENDERS = ("json-load", "dossier-parse", "chat-miner", "dossier-ingest")

# --- the input -------------------------------------------------------------------------------


def corpus_root(given: str | None) -> Path:
    if given:
        return Path(given)
    return Path(os.environ.get("DOSSIER_CORPORA", ROOT.parent / "shared" / "corpora"))


def scaled_input(fixture: Path, copies: int) -> Path:
    """The fixture's messages ``copies`` times over, in Telegram Desktop's own layout."""
    path = OUT / f"telegram-x{copies}.json"
    if path.exists():
        return path
    source = json.loads(fixture.read_text(encoding="utf-8"))
    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with open(partial, "w", encoding="utf-8") as out:
        head = {k: source[k] for k in ("name", "type", "id")}
        out.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "messages": [\n')
        number = 0
        for _ in range(copies):
            for message in source["messages"]:
                number += 1
                out.write(",\n" if number > 1 else "")
                out.write(_indented(_desktop_shape(message, number)))
        out.write("\n ]\n}\n")
    partial.rename(path)
    return path


def _desktop_shape(message: dict[str, Any], number: int) -> dict[str, Any]:
    when = datetime.fromisoformat(message["date"])
    return {
        "id": number,
        "type": message["type"],
        "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(int(when.timestamp())),
        "from": message["from"],
        "from_id": f"user{message['from_id']}",
        "text": message["text"],
        "text_entities": [{"type": "plain", "text": message["text"]}],
    }


def _indented(message: dict[str, Any]) -> str:
    return "  " + json.dumps(message, ensure_ascii=False, indent=1).replace("\n", "\n  ")


# --- children: each runs in its own process and writes one JSON result -----------------------


def child_json_load(path: Path, case: Path) -> dict[str, Any]:
    """The whole-file way: json.load, then walk the messages (no records made)."""
    start = time.perf_counter()
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    count = sum(1 for m in doc["messages"] if m.get("type") == "message")
    return {"seconds": time.perf_counter() - start, "count": count}


def child_dossier_parse(path: Path, case: Path) -> dict[str, Any]:
    from dossier.formats.base import ParseOptions
    from dossier.formats.telegram import TELEGRAM
    from dossier.model import MessageRecord

    count = others = 0
    start = time.perf_counter()
    with open(path, "rb") as fh:
        for record in TELEGRAM.parse(fh, path.name, ParseOptions()):
            if type(record) is MessageRecord:
                count += 1
            else:
                others += 1
    return {"seconds": time.perf_counter() - start, "count": count, "other_records": others}


def child_chatminer(path: Path, case: Path) -> dict[str, Any]:
    from chatminer.chatparsers import TelegramJsonParser

    start = time.perf_counter()
    parser = TelegramJsonParser(str(path))
    parser.parse_file()
    count = len(parser.parsed_messages.get_df())
    return {"seconds": time.perf_counter() - start, "count": count}


def child_ingest(path: Path, case: Path) -> dict[str, Any]:
    from dossier.case import Case
    from dossier.ingest import IngestOptions, ingest

    start = time.perf_counter()
    with Case.create(case, title="bench", tz="UTC") as opened:
        summary = ingest(opened, [path], IngestOptions())
    return {
        "seconds": time.perf_counter() - start,
        "count": summary.messages_new,
        "issues": summary.issues,
    }


CHILDREN = {
    "json-load": child_json_load,
    "dossier-parse": child_dossier_parse,
    "chat-miner": child_chatminer,
    "dossier-ingest": child_ingest,
}


def run_child(name: str, path: Path, case: Path, result: Path) -> None:
    figures = CHILDREN[name](path, case)
    result.write_text(json.dumps(figures), encoding="utf-8")


# --- the parent --------------------------------------------------------------------------------


def spawn(name: str, path: Path, timeout: float) -> dict[str, Any]:
    case = OUT / "telegram-case"
    if case.exists():
        subprocess.run(["rm", "-rf", str(case)], check=True)
    result = OUT / f"telegram-{name}.json"
    cmd = [sys.executable, __file__, "--child", name, "--input", str(path), "--result", str(result)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stderr = OUT / f"telegram-{name}.err"
    return run_measured(name, cmd, env, timeout, result, stderr)


def best_of(name: str, path: Path, runs: int, timeout: float) -> dict[str, Any]:
    rows = [spawn(name, path, timeout) for _ in range(runs)]
    good = [r for r in rows if r["status"] == "ok"]
    if not good:
        return rows[-1]
    best = min(good, key=lambda r: r["seconds"])
    best["runs"] = len(rows)
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in good)
    return best


def measure(path: Path, messages: int, names: list[str], runs: int) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        row = best_of(name, path, runs, timeout=1800)
        if row["status"] == "ok":
            row["msgs_s"] = messages / row["seconds"]
        rows.append(row)
    ours = next((r for r in rows if r["name"] == "dossier-parse" and r["status"] == "ok"), None)
    for row in rows:
        if ours and row["status"] == "ok":
            row["speed_vs_dossier_parse"] = ours["seconds"] / row["seconds"]
    return rows


def print_table(label: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{label}")
    print(
        f"{'contender':16} {'seconds':>8} {'msgs/s':>10} {'vs parse':>9} {'peak RSS':>9} "
        f"{'tree RSS':>9} {'returned':>9}"
    )
    for r in rows:
        if r["status"] != "ok":
            print(f"{r['name']:16} {r['status']}")
            continue
        print(
            f"{r['name']:16} {r['seconds']:8.2f} {r['msgs_s']:10,.0f} "
            f"{r['speed_vs_dossier_parse']:8.2f}x {r['peak_rss_mb']:7.0f}MB "
            f"{r['peak_tree_rss_sampled_mb']:7.0f}MB {r['count']:9,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="comma-separated contenders: " + ",".join(CONTENDERS))
    parser.add_argument("--corpus", help="the shared corpora folder")
    parser.add_argument("--child")
    parser.add_argument("--input")
    parser.add_argument("--result")
    args = parser.parse_args()
    if args.child:
        run_child(args.child, Path(args.input), OUT / "telegram-case", Path(args.result))
        return
    fixture = corpus_root(args.corpus) / FIXTURE
    if not fixture.is_file():
        sys.exit(f"the Telegram fixture is absent: {fixture} (give --corpus)")
    names = args.only.split(",") if args.only else list(CONTENDERS)
    inputs = [("fixture as it is (5,475 messages)", fixture, 5475, names)]
    scaled = scaled_input(fixture, args.copies)
    inputs.append(
        (
            f"fixture x{args.copies} ({5475 * args.copies:,} messages, "
            f"{scaled.stat().st_size / 1e6:.0f} MB)",
            scaled,
            5475 * args.copies,
            names,
        )
    )
    report: dict[str, Any] = {"machine": machine(PACKAGES), "results": []}
    for label, path, messages, contenders in inputs:
        rows = measure(path, messages, contenders, args.runs)
        print_table(label, rows)
        report["results"].append(
            {
                "input": label,
                "path": str(path),
                "bytes": path.stat().st_size,
                "messages": messages,
                "rows": rows,
            }
        )
    (OUT / "telegram_results.json").write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
