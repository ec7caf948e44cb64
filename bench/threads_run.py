"""Benchmark: threading a big case in one piece against threading it in groups (memory).

    python bench/threads_run.py                    # 1,000,000 emails
    python bench/threads_run.py --emails 200000

The input: the mailing list (linux-mips, 1,500 messages, most with References) and the Enron
slice (3,054 files, threads by subject only) ingested into a case once, then copied inside
the case's database by SQL until it holds the number of emails asked for. Copy k gets ".ck"
after every Message-ID, In-Reply-To and References id, so copies never thread together and
the case holds k times the threads. Every email is then marked as waiting to be threaded, as
a first ingest leaves them, and each way of threading runs on its own copy of that case, in
a fresh process: peak RSS (VmHWM) and seconds, and the threads each made, compared.

Results: a table on stdout and bench/out/threads_results.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, rss_mb

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
CORPUS = ROOT.parent / "shared" / "corpora" / "email"


def base_case(corpus: Path) -> Path:
    """The mailing list and the Enron slice, ingested once (kept in bench/out/)."""
    from dossier.case import Case
    from dossier.ingest import IngestOptions, ingest

    case = OUT / "threads-base"
    if (case / "case.sqlite").is_file():
        return case
    if case.exists():
        shutil.rmtree(case)
    inputs = [corpus / "mailing-list" / "linux-mips-2019q4.mbox", corpus / "enron" / "maildir"]
    with Case.create(case, title="threads", tz="UTC") as opened:
        ingest(opened, inputs, IngestOptions())
    return case


def _suffixed(column: str, k: int) -> str:
    """SQL: every space-separated id of ``column`` with ".ck" after it."""
    return (
        f"CASE {column} WHEN '' THEN '' ELSE replace({column}, ' ', '.c{k} ') || '.c{k}' END"
    )


def big_case(base: Path, emails: int) -> Path:
    """A copy of the base case grown by SQL to ``emails`` emails, all waiting to be threaded."""
    import sqlite3

    target = OUT / f"threads-{emails}"
    if (target / "case.sqlite").is_file():
        return target
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target)
    conn = sqlite3.connect(target / "case.sqlite", isolation_level=None)
    have = conn.execute("SELECT count(*) FROM emails").fetchone()[0]
    offset = conn.execute("SELECT max(id) FROM messages").fetchone()[0]
    conn.execute("BEGIN")
    for k in range(1, -(-emails // have)):
        left = emails - k * have
        shift = k * offset
        conn.execute(
            "INSERT INTO messages(id, uid, conversation_id, kind, sender_id, body, body_search,"
            " sent_at, local_text, tz, has_seconds, time_flags, edited, source_id, line_start,"
            " line_end, byte_start, byte_end)"
            f" SELECT m.id + {shift}, m.uid || '.c{k}', m.conversation_id, m.kind, m.sender_id,"
            " '', '', m.sent_at, m.local_text, m.tz, m.has_seconds, m.time_flags, m.edited,"
            " m.source_id, m.line_start, m.line_end, m.byte_start, m.byte_end"
            f" FROM messages m JOIN emails e ON e.message_id = m.id WHERE m.id <= {offset}"
            f" ORDER BY m.id LIMIT {left}"
        )
        conn.execute(
            "INSERT INTO emails(message_id, subject, header_message_id, in_reply_to, refs,"
            " headers_raw, content_hash, text_hash)"
            f" SELECT message_id + {shift}, subject, {_suffixed('header_message_id', k)},"
            f" {_suffixed('in_reply_to', k)}, {_suffixed('refs', k)}, '',"
            f" content_hash || '.c{k}', text_hash || '.c{k}' FROM emails"
            f" WHERE message_id <= {offset} ORDER BY message_id LIMIT {left}"
        )
    conn.execute("DELETE FROM unthreaded")
    conn.execute("INSERT INTO unthreaded(message_id) SELECT message_id FROM emails")
    conn.execute("COMMIT")
    conn.close()
    return target


def child(case: Path, way: str) -> None:
    """Runs in a fresh process: thread the case one way; prints a JSON result."""
    sys.path.insert(0, str(ROOT))
    from dossier.case import Case
    from dossier.ingest import threading as threading_module

    threading_module.IN_MEMORY_EMAILS = 0 if way == "groups" else 10**12
    threading_module.WHOLE_CASE_SHARE = 0.0
    with Case.open(case) as opened:
        before = rss_mb()
        start = time.perf_counter()
        with opened.store.transaction():
            threads = threading_module.thread_case(opened.store)
        seconds = time.perf_counter() - start
        peak = rss_mb()
        rows = opened.store.conn.execute(
            "SELECT m.uid, c.uid FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.kind = 'email' ORDER BY m.id"
        )
        import hashlib

        digest = hashlib.sha256()
        for message, conversation in rows:
            digest.update(f"{message}\t{conversation}\n".encode())
    print(json.dumps({"way": way, "seconds": seconds, "threads": threads,
                      "rss_before_mb": before, "peak_rss_mb": peak,
                      "threads_digest": digest.hexdigest()}))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--emails", type=int, default=1_000_000)
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--child", choices=["whole", "groups"], help=argparse.SUPPRESS)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.case), args.child)
        return
    sys.path.insert(0, str(ROOT))
    OUT.mkdir(exist_ok=True)
    print(f"building a case of {args.emails:,} emails ...", file=sys.stderr)
    source = big_case(base_case(Path(args.corpus)), args.emails)
    results: list[dict[str, Any]] = []
    for way in ("whole", "groups"):
        work = OUT / f"threads-run-{way}"
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(source, work)
        print(f"threading it {'in one piece' if way == 'whole' else 'in groups'} ...",
              file=sys.stderr)  # fmt: skip
        done = subprocess.run(
            [sys.executable, __file__, "--child", way, "--case", str(work)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        shutil.rmtree(work)
    same = results[0]["threads_digest"] == results[1]["threads_digest"]
    print(f"\n{args.emails:,} emails, all waiting to be threaded (as after a first ingest)")
    print(f"{'way':8} {'seconds':>8} {'threads':>9} {'RSS before':>11} {'peak RSS':>9}")
    for row in results:
        print(f"{row['way']:8} {row['seconds']:8.1f} {row['threads']:9,} "
              f"{row['rss_before_mb']:9.0f}MB {row['peak_rss_mb']:7.0f}MB")  # fmt: skip
    print(f"same threads both ways: {'yes' if same else 'NO'}")
    report = {"emails": args.emails, "results": results, "same_threads": same,
              "machine": machine(["dossier"])}  # fmt: skip
    (OUT / "threads_results.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
