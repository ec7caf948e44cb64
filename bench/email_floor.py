"""Benchmark: the two floors under Dossier's email ingest, on this machine.

    python bench/email_floor.py                  # the Enron slice (3,054 files)
    python bench/email_floor.py --folder PATH    # another folder of email files

An ingest does two kinds of work, which its processes share out over the cores: reading the
files (recognise, hash, parse, the rows worked out; in the workers) and storing them (SQLite,
in the writer). This measures each alone, in one process, with nothing else going on:

- **store**: SQLite's own work to store the rows an ingest of the folder stored, and nothing
  more: every table of a case made by an ingest copied into a new, empty case with one
  ``INSERT ... SELECT`` each (no Python per row), the full-text index built, committed and
  the log written back into the database. No Python code, no parsing: what the writer could
  not do with less, whatever its Python did.
- **read**: the workers' work on every file (``prefetch._prepare``: read, recognise, hash,
  parse, the rows worked out), one file after another, then pickling the results as they
  are sent to the writer.

What these floors allow: with the read on one core and the store on the other, never
waiting for each other, an ingest could not take less than the larger of the two, and with
both cores sharing all the work not less than half their sum.

Results: a table on stdout and bench/out/email_floor.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine
from email_run import files_under

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
SLICE = ROOT.parent / "shared" / "corpora" / "email" / "enron" / "maildir"
TABLES = ("sources", "custody", "persons", "identities", "conversations", "messages", "emails",
          "recipients", "blobs", "parse_issues", "source_facts")  # fmt: skip


def ingested(folder: Path) -> Path:
    """A case made by an ingest of the folder (its rows are what the store floor copies)."""
    from dossier.case import Case
    from dossier.ingest import IngestOptions, ingest

    case = OUT / "floor-source"
    if case.exists():
        shutil.rmtree(case)
    with Case.create(case, title="floor", tz="UTC") as opened:
        ingest(opened, [folder], IngestOptions())
    return case / "case.sqlite"


def store_floor(source: Path) -> dict[str, float]:
    """Seconds for each step of storing the source case's rows into an empty case."""
    from dossier.store.schema import migrate
    from dossier.store.sqlite import connect

    target = OUT / "floor-target.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    conn = connect(target)
    migrate(conn, str(target))
    conn.execute(f"ATTACH DATABASE '{source}' AS source")
    steps: dict[str, float] = {}
    start = time.perf_counter()
    conn.execute("BEGIN")
    for table in TABLES:
        began = time.perf_counter()
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM source.{table}")
        steps[f"rows: {table}"] = time.perf_counter() - began
    began = time.perf_counter()
    conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
    steps["full-text index"] = time.perf_counter() - began
    began = time.perf_counter()
    conn.execute("COMMIT")
    steps["commit (the log written)"] = time.perf_counter() - began
    began = time.perf_counter()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    steps["checkpoint (log into the database)"] = time.perf_counter() - began
    steps["total"] = time.perf_counter() - start
    conn.close()
    return steps


def read_floor(folder: Path) -> dict[str, float]:
    """CPU seconds of the workers' work on every file, in this one process."""
    sys.path.insert(0, str(ROOT))
    from dossier.formats.base import relax_collector
    from dossier.ingest import prefetch

    paths = list(files_under(folder))
    prefetch._import_worker_modules()
    prefetch._start_worker(None, None)
    gc.freeze()
    relax_collector()  # as in a worker
    began = time.process_time()
    results = [prefetch._prepare(path, "") for path in paths]
    read = time.process_time() - began
    began = time.process_time()
    sent = sum(len(pickle.dumps(results[at : at + prefetch.CHUNK], pickle.HIGHEST_PROTOCOL))
               for at in range(0, len(results), prefetch.CHUNK))  # fmt: skip
    pickled = time.process_time() - began
    return {"files": len(paths), "read": read, "pickle": pickled, "pickled_bytes": sent}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folder", default=str(SLICE), help="a folder of email files")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    OUT.mkdir(exist_ok=True)
    folder = Path(args.folder)
    read = read_floor(folder)
    store = store_floor(ingested(folder))
    files = read["files"]
    print(f"{files:,} files in {folder}\n")
    print("store (SQLite alone, one thread)        seconds")
    for step, seconds in store.items():
        print(f"  {step:38} {seconds:7.3f}")
    print("\nread (the workers' work, one process)   CPU s   µs a file")
    for step in ("read", "pickle"):
        print(f"  {step:38} {read[step]:7.3f}   {read[step] / files * 1e6:7.0f}")
    work = read["read"] + read["pickle"]
    one_each = max(work, store["total"])
    shared = (work + store["total"]) / 2
    print(f"\nat best, one core each: {one_each:.2f} s = {files / one_each:,.0f} msgs/s;"
          f" both cores sharing everything: {shared:.2f} s = {files / shared:,.0f} msgs/s")
    report = {"folder": str(folder), "store": store, "read": read,
              "best_msgs_per_s": {"one_core_each": files / one_each,
                                  "both_cores_shared": files / shared},
              "machine": machine(["dossier"])}  # fmt: skip
    (OUT / "email_floor.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
