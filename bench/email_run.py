"""Benchmark: Dossier's email ingest against Python's `email` and mail-parser, in one run.

    python bench/email_run.py                    # Enron slice at 1x and 5x, best of 3
    python bench/email_run.py --copies 10 --runs 1
    python bench/email_run.py --only bare-read,dossier-ingest --scales 1
    python bench/email_run.py --profile          # also: cProfile of one Dossier ingest at 1x
    python bench/email_run.py --corpus PATH      # another shared/corpora/email folder
    python bench/email_run.py --scales mbox      # the 1x slice as one mbox file

Inputs: the Enron maildir of the shared email corpus (3,054 one-message files) and a larger
set made by copying it K times into bench/out/enron-xK/copyN/. Copy 1 is byte for byte the
original; in copies 2..K the Message-ID header line gets ".copyN" inside its angle brackets,
so every copy is a distinct email to Dossier (not merged as the same message again).

Every contender runs in its own subprocess, so its peak RSS (``ru_maxrss`` of that child,
read with ``os.wait4``) is its own: interpreter and imports included. Timings cover the work
only (after imports), and the work includes walking the folder. msgs/s is the number of files
in the input (one message each) divided by that time. "CPU s" is user + system time of the
child and any workers it waited for; CPU s / seconds shows how many cores a contender used.

Results: a table on stdout, and bench/out/email_results.json (machine, inputs, figures).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, rss_mb, run_measured

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "email"
PACKAGES = ("mail-parser", "psutil", "dossier")
GOAL_MSGS_S = 5_000
MESSAGE_ID = re.compile(rb"^(Message-ID:[ \t]*<)([^>\r\n]*)(>)", re.IGNORECASE | re.MULTILINE)

# --- children: each runs in its own process and writes one JSON result -----------------------


def files_under(folder: Path) -> Iterator[str]:
    """Every regular file under folder, in a stable order."""
    for top, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            yield os.path.join(top, name)


def messages_in(source: Path) -> Iterator[bytes]:
    """Each message's bytes: every file of a folder, or every message of an mbox file (split
    by the stdlib's ``mailbox.mbox``, as a peer would read one)."""
    if source.is_dir():
        for path in files_under(source):
            with open(path, "rb") as fh:
                yield fh.read()
        return
    import mailbox

    box = mailbox.mbox(source, create=False)
    try:
        for key in box.iterkeys():
            yield box.get_bytes(key)
    finally:
        box.close()


def child_bare(folder: Path, case: Path) -> dict[str, Any]:
    """The floor: read every message's bytes, nothing else."""
    start = time.perf_counter()
    count = size = 0
    for data in messages_in(folder):
        size += len(data)
        count += 1
    return {"seconds": time.perf_counter() - start, "count": count, "detail": {"bytes": size}}


def child_stdlib(folder: Path, case: Path) -> dict[str, Any]:
    """email.message_from_bytes with policy.default, touching the fields an ingest needs."""
    import email
    from email import policy

    start = time.perf_counter()
    count = errors = chars = 0
    for data in messages_in(folder):
        msg = email.message_from_bytes(data, policy=policy.default)
        try:
            fields = (msg["subject"], msg["from"], msg["to"], msg["date"])
            chars += sum(len(str(f)) for f in fields if f is not None)
            part = msg.get_body(preferencelist=("plain", "html"))
            if part is not None:
                chars += len(part.get_content())
        except Exception:  # bad charsets, broken dates: counted, the message still counts
            errors += 1
        count += 1
    return {"seconds": time.perf_counter() - start, "count": count,
            "detail": {"field_errors": errors, "chars": chars}}


def child_mailparser(folder: Path, case: Path) -> dict[str, Any]:
    """mailparser.parse_from_bytes, touching the same fields."""
    import logging

    import mailparser

    logging.disable(logging.WARNING)  # it logs every defect it finds
    start = time.perf_counter()
    count = errors = chars = 0
    for data in messages_in(folder):
        try:
            mail = mailparser.parse_from_bytes(data)
            chars += len(mail.subject or "") + len(str(mail.from_)) + len(str(mail.to))
            chars += len(str(mail.date)) + len(mail.body or "")
        except Exception:
            errors += 1
        count += 1
    return {"seconds": time.perf_counter() - start, "count": count,
            "detail": {"errors": errors, "chars": chars}}


def child_ingest(folder: Path, case: Path) -> dict[str, Any]:
    """The whole thing: create a case, keep the originals, parse, store, thread, index."""
    from dossier.case import Case
    from dossier.ingest import IngestOptions, ingest

    if case.exists():
        shutil.rmtree(case)
    profiler = None
    if os.environ.get("EMAIL_BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    with Case.create(case, title="bench", tz="UTC") as opened:
        summary = ingest(opened, [folder], IngestOptions())
    seconds = time.perf_counter() - start
    detail: dict[str, Any] = {}
    if profiler is not None:
        profiler.disable()
        detail["profile_top"] = _profile_top(profiler, 10)
        detail["profile_own"] = _profile_top(profiler, 10, own=True)
    db_bytes = sum(p.stat().st_size for p in case.glob("case.sqlite*"))
    detail.update({"messages_new": summary.messages_new, "mailboxes": summary.mailboxes,
                   "threads": summary.threads, "near_duplicates": summary.near_duplicates,
                   "messages_merged": summary.messages_merged, "issues": summary.issues,
                   "failed": len(summary.failed), "db_bytes": db_bytes})
    return {"seconds": seconds, "count": summary.messages_new, "detail": detail}


def _profile_top(profiler: Any, n: int, own: bool = False) -> list[dict[str, Any]]:
    """The n entries in dossier/ with the largest cumulative time (own: any code, own time)."""
    import pstats

    table = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_, calls, tottime, cumtime, _) in table.items():
        mark = f"{os.sep}dossier{os.sep}"
        if mark in filename:
            short = filename[filename.rindex(mark) + 1:]
        elif own:
            short = "/".join(filename.split(os.sep)[-2:])
        else:
            continue
        rows.append({"where": f"{short}:{line}({func})", "calls": calls,
                     "tottime": tottime, "cumtime": cumtime})
    rows.sort(key=lambda r: -r["tottime" if own else "cumtime"])
    return rows[:n]


CHILDREN: dict[str, Callable[[Path, Path], dict[str, Any]]] = {
    "bare-read": child_bare,
    "python-email": child_stdlib,
    "mail-parser": child_mailparser,
    "dossier-ingest": child_ingest,
}
PEERS = ("python-email", "mail-parser")


def run_child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))  # the working tree, ahead of any installed copy
    base = rss_mb()
    result = CHILDREN[args.child](Path(args.input), Path(args.case))
    result["rss_before_work_mb"] = base
    result["peak_rss_self_mb"] = rss_mb()
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")


# --- parent: inputs, subprocesses, table ------------------------------------------------------


def spawn(name: str, args: argparse.Namespace, folder: Path, case: Path, tag: str,
          profile: bool = False) -> dict[str, Any]:
    """Run one contender in a fresh process (see common.run_measured)."""
    logs = OUT / "email-logs"
    logs.mkdir(parents=True, exist_ok=True)
    result_file = logs / f"{name}-{tag}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--input",
           str(folder), "--case", str(case), "--result", str(result_file)]
    env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONHASHSEED": "0"}
    env.pop("EMAIL_BENCH_PROFILE", None)
    if profile:
        env["EMAIL_BENCH_PROFILE"] = "1"
    return run_measured(name, cmd, env, args.timeout, result_file,
                        logs / f"{name}-{tag}.stderr")



def best_of(name: str, args: argparse.Namespace, folder: Path, case: Path, tag: str
            ) -> dict[str, Any]:
    rows = [spawn(name, args, folder, case, tag) for _ in range(args.runs)]
    ok = [r for r in rows if r["status"] == "ok"]
    best = min(ok, key=lambda r: r["seconds"]) if ok else rows[-1]
    best["all_seconds"] = [r.get("seconds") for r in rows]
    best["all_cpu_seconds"] = [r["cpu_seconds"] for r in rows]
    return best


def make_copies(source: Path, copies: int) -> Path:
    """bench/out/enron-xK/copyN/...: copy 1 as is, copies 2..K with a changed Message-ID."""
    target = OUT / f"enron-x{copies}"
    originals = list(files_under(source))
    if target.is_dir() and sum(1 for _ in files_under(target)) == copies * len(originals):
        return target
    if target.exists():
        shutil.rmtree(target)
    print(f"writing {copies} copies of {len(originals):,} files into {target} ...",
          file=sys.stderr)
    for n in range(1, copies + 1):
        for path in originals:
            dest = target / f"copy{n}" / os.path.relpath(path, source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            data = Path(path).read_bytes()
            if n > 1:
                head, sep, body = data.partition(b"\n\n")  # header lines only
                head = MESSAGE_ID.sub(rb"\1\2.copy%d\3" % n, head)
                data = head + sep + body
            dest.write_bytes(data)
    return target


def make_mbox(source: Path) -> Path:
    """bench/out/enron-1x.mbox: the slice's files as the messages of one mbox, each after a
    ``From `` line, ``From `` lines in bodies quoted (mboxrd); counted as one message each."""
    target = OUT / "enron-1x.mbox"
    if target.is_file():
        return target
    OUT.mkdir(parents=True, exist_ok=True)
    quote = re.compile(rb"^(>*From )", re.MULTILINE)
    with open(target, "wb") as out:
        for path in files_under(source):
            data = quote.sub(rb">\1", Path(path).read_bytes()).rstrip(b"\n")
            out.write(b"From MAILER-DAEMON Mon Jan  1 00:00:00 2001\n" + data + b"\n\n")
    return target


def describe(source: Path) -> dict[str, Any]:
    if source.is_file():
        size = source.stat().st_size
        count = sum(1 for line in source.open("rb") if line.startswith(b"From MAILER-DAEMON "))
        return {"path": str(source), "files": count, "bytes": size}
    count = size = 0
    for path in files_under(source):
        count += 1
        size += os.path.getsize(path)
    return {"path": str(source), "files": count, "bytes": size}


def machine_and_code() -> dict[str, Any]:
    code = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "dossier"],
                           capture_output=True, text=True).stdout.strip()
    return {**machine(PACKAGES),
            "dossier_code": code + (" + uncommitted changes in dossier/" if dirty else "")}


def print_table(label: str, info: dict[str, Any], rows: dict[str, dict[str, Any]]) -> None:
    n = info["files"]
    ref = rows.get("dossier-ingest", {}).get("seconds")
    print(f"\n{label}: {n:,} files, {info['bytes']:,} bytes ({info['path']})")
    print(f"{'contender':15} {'seconds':>8} {'msgs/s':>9} {'vs Dossier':>10} {'peak RSS':>9} "
          f"{'tree RSS':>9} {'CPU s':>7} {'cores':>5} {'messages':>9}  status")
    for name, row in rows.items():
        secs = row.get("seconds")
        if secs:
            row["msgs_per_s"] = n / secs
            row["speed_vs_dossier"] = ref / secs if ref else None
            ratio = f"{ref / secs:9.2f}x" if ref else "-"
            cells = f"{secs:8.2f} {n / secs:9,.0f} {ratio:>10}"
            cores = f"{row['cpu_seconds'] / row['wall_seconds']:5.2f}"
        else:
            cells, cores = f"{'-':>8} {'-':>9} {'-':>10}", f"{'-':>5}"
        count = row.get("count")
        shown = f"{count:9,}" if count is not None else f"{'-':>9}"
        print(f"{name:15} {cells} {row['peak_rss_mb']:7.0f}MB "
              f"{row['peak_tree_rss_sampled_mb']:7.0f}MB {row['cpu_seconds']:7.2f} {cores} "
              f"{shown}  {row['status']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(CORPUS), help="the shared/corpora/email folder")
    ap.add_argument("--copies", type=int, default=5, help="K: the larger set is K copies")
    ap.add_argument("--scales", default="1,K",
                    help="which sets to run: 1, K, mbox (the 1x slice as one mbox file)")
    ap.add_argument("--only", help="comma-separated contenders: " + ",".join(CHILDREN))
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--runs", type=int, default=3, help="runs of every contender (best kept)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per run")
    ap.add_argument("--profile", action="store_true",
                    help="one more Dossier ingest at 1x under cProfile (top 10 in dossier/)")
    ap.add_argument("--out", default=str(OUT / "email_results.json"))
    ap.add_argument("--child", choices=list(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_child(args)
        return
    source = Path(args.corpus) / "enron" / "maildir"
    if not source.is_dir():
        sys.exit(f"no Enron maildir at {source} (use --corpus)")
    names = list(CHILDREN) if not args.only else args.only.split(",")
    names = [n for n in names if not (args.skip_peers and n in PEERS)]
    sets: dict[str, Path] = {}
    for scale in args.scales.split(","):
        if scale == "1":
            sets["1x"] = source
        elif scale == "K":
            sets[f"{args.copies}x"] = make_copies(source, args.copies)
        elif scale == "mbox":
            sets["1x-mbox"] = make_mbox(source)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    host = machine_and_code()
    results: dict[str, Any] = {}
    for tag, folder in sets.items():
        info = describe(folder)
        case = OUT / f"email-case-{tag}"
        rows: dict[str, dict[str, Any]] = {}
        for name in names:
            print(f"[{tag}] running {name} x{args.runs} ...", file=sys.stderr, flush=True)
            rows[name] = best_of(name, args, folder, case, tag)
            print(f"  {rows[name]['status']}, {rows[name].get('seconds', 0):.2f} s",
                  file=sys.stderr, flush=True)
        results[tag] = {"input": info, "rows": rows}
    print(f"dossier code: {host['dossier_code']}; best of {args.runs} runs")
    for tag, found in results.items():
        print_table(tag, found["input"], found["rows"])
    print(f"\ngoal: Dossier ingest >= {GOAL_MSGS_S:,} msgs/s")
    verdict = {}
    for tag, found in results.items():
        secs = found["rows"].get("dossier-ingest", {}).get("seconds")
        if secs:
            rate = found["input"]["files"] / secs
            verdict[tag] = {"msgs_s": rate, "target": GOAL_MSGS_S, "met": rate >= GOAL_MSGS_S}
            print(f"  {tag:4} {rate:9,.0f} msgs/s  {'met' if rate >= GOAL_MSGS_S else 'NOT met'}"
                  f" ({rate / GOAL_MSGS_S:.0%} of the goal)")
    profile = None
    if args.profile:
        print("\nprofiling one Dossier ingest at 1x ...", file=sys.stderr, flush=True)
        profile = spawn("dossier-ingest", args, source, OUT / "email-case-profile", "profile",
                        profile=True)
        print(f"\ncProfile, one ingest at 1x ({profile.get('seconds', 0):.2f} s under the "
              "profiler), top 10 cumulative in dossier/:")
        for entry in profile.get("detail", {}).get("profile_top", []):
            print(f"  {entry['cumtime']:7.2f} s cum {entry['tottime']:6.2f} s own "
                  f"{entry['calls']:9,} calls  {entry['where']}")
        print("top 10 by own time, any code:")
        for entry in profile.get("detail", {}).get("profile_own", []):
            print(f"  {entry['tottime']:7.2f} s own {entry['cumtime']:6.2f} s cum "
                  f"{entry['calls']:9,} calls  {entry['where']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"started": started, "machine": host, "runs": args.runs,
                               "results": results, "goal": verdict, "profile": profile},
                              indent=2, default=str), encoding="utf-8")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
