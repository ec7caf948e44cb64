"""Operator queries to time search with, matching the content of bench/gen_whatsapp.py.

    python bench/gen_whatsapp.py 1000000 "WhatsApp Chat with Campaign team.txt"
    (ingest it into a case), then
    python bench/search_queries.py CASE_DB.sqlite [--tz UTC] [--repeat 5]

The file name gives the conversation its title ("Campaign team"), which the in: queries use.
The generator writes 2019-01-13 onwards, about 2.5 minutes a message, so 1M messages reach
late 2023; its words are few and all common, so most text queries take the "many matches" plan,
and "zebra" checks the "no match" one.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

QUERIES: list[str] = [
    # words
    "budget",
    "meeting agenda",
    "noon tomorrow draft",
    "zebra",
    "👍",
    # exact phrases (index + literal check; emoji by scanning)
    '"see you there"',
    '"not sure about this"',
    '"plan not"',
    '"👍"',
    # prefix
    "agend*",
    "tom*",
    # sender: names, a phone identity, accents
    "from:alice",
    'from:"Carol Dawson"',
    "from:+447700900123",
    "from:émile",
    "from:zoë budget",
    # conversation
    "in:campaign",
    'in:"campaign team" vote',
    # dates (case zone)
    "after:2020-03-01 before:2020-04-01",
    "budget after:2021-01-01",
    "before:2019-02-01 meeting",
    "after:2022-06-01T09:00 before:2022-06-01T18:00",
    # kinds and attachments
    "kind:system",
    "kind:media",
    "has:attachment",
    "has:media from:bob",
    # negations
    "meeting -noon",
    '-"see you there"',
    "-from:alice -budget",
    "vote -from:dave after:2020-01-01",
    # OR and grouping
    "budget OR agenda",
    "(vote OR call) from:alice",
    '"see you" OR has:attachment',
    "kind:system OR from:dave",
]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from dossier.store.search import search

    ap = argparse.ArgumentParser(description="Time QUERIES against a case's SQLite file.")
    ap.add_argument("db")
    ap.add_argument("--tz", default="UTC")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    conn = sqlite3.connect(args.db)
    times: list[float] = []
    for query in QUERIES:
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            hits = search(conn, query, tz=args.tz)
            runs.append((time.perf_counter() - start) * 1000)
        best = min(runs)
        times.extend(runs)
        print(f"{best:8.1f} ms  {len(hits):3d} hits  {query}")
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms over {len(times)} runs")


if __name__ == "__main__":
    main()
