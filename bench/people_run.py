"""Benchmark: how often `dossier people suggest` is right, on the Enron slice.

    python bench/people_run.py                 # ingest the 4 mailboxes, suggest, judge
    python bench/people_run.py --top 200       # judge more suggestions
    python bench/people_run.py --corpus PATH   # another Enron-style maildir

Each custodian folder (lay-k, kaminski-v, ...) is ingested with its folder name as the
custodian, into a fresh case under bench/out/people-case. Suggestions are made twice:

* as shipped (every clue, including the display names written in From:/X-From: headers);
* without header names: only addresses, person names, custodian labels. The truth below
  comes from X-From display names, so this run is judged on evidence it never saw.

The truth: for every email file, the From address and the display name of its X-From header
(Enron's export writes the sender's name there, e.g. "Lay, Kenneth </O=ENRON/...>"), and the
same for To/X-To and Cc/X-cc when they hold a single recipient, read with Python's email
parser, independently of Dossier. A suggested pair of two addresses is
*verified same* when the two were written under one name (first and last name, initials and
titles ignored); *verified different* when both have names and their surnames differ, or
their surnames agree and neither first name starts the other (Linda Lay, Mark Lay); other
pairs (a side with no X-From name, Ken/Kenneth) are *unverifiable* and left out of precision.

Results: a table on stdout and bench/out/people_results.json.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
CORPUS = ROOT.parent / "shared" / "corpora" / "email" / "enron" / "maildir"
PACKAGES = ("dossier", "rapidfuzz", "phonenumbers")
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_NOISE = {"e", "mail", "jr", "sr", "iii", "ii", "mr", "mrs", "ms", "dr"}


# --- the truth, read from the files ---------------------------------------------------------


def truth_names(corpus: Path) -> dict[str, set[tuple[str, str]]]:
    """address -> {(first, last)} from every file's From/X-From headers, and its To/X-To and
    Cc/X-cc headers when they hold one address and one name (so the two pair up)."""
    names: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        with path.open("rb") as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.compat32)
        for field, x_field in (("From", "X-From"), ("To", "X-To"), ("Cc", "X-cc")):
            found = [a.lower() for _, a in email.utils.getaddresses([str(msg.get(field, ""))])]
            written = " ".join(str(msg.get(x_field, "")).split())
            if len(found) != 1 or not found[0] or written.count("<") > 1:
                continue
            name = person_name(written)
            if name:
                names[found[0]].add(name)
    return names


def person_name(x_from: str) -> tuple[str, str] | None:
    """'Lay, Kenneth L. </O=...>' or 'Kenneth Lay <x@y>' -> ('kenneth', 'lay')."""
    text = re.sub(r"\([^)]*\)", " ", x_from.split("<", 1)[0]).strip().strip('"').lower()
    if "@" in text or not text:
        return None
    if "," in text:
        last, _, first = text.partition(",")
        words_first = [w for w in _WORD.findall(first) if len(w) > 1 and w not in _NOISE]
        words_last = [w for w in _WORD.findall(last) if len(w) > 1 and w not in _NOISE]
        if words_first and words_last:
            return words_first[0], words_last[-1]
        return None
    words = [w for w in _WORD.findall(text) if len(w) > 1 and w not in _NOISE]
    return (words[0], words[-1]) if len(words) >= 2 else None


def judge(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> str:
    if not a or not b:
        return "unverifiable"
    if a & b:
        return "same"
    for first_a, last_a in a:
        for first_b, last_b in b:
            if last_a == last_b and (first_a.startswith(first_b) or first_b.startswith(first_a)):
                return "unverifiable"  # Ken / Kenneth Lay
    return "different"


# --- running Dossier ------------------------------------------------------------------------


def build_case(corpus: Path, case: Path) -> float:
    shutil.rmtree(case, ignore_errors=True)
    dossier = [sys.executable, "-m", "dossier.cli.main"]
    subprocess.run([*dossier, "init", str(case), "--tz", "America/Chicago"], check=True,
                   capture_output=True)
    start = time.perf_counter()
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        subprocess.run([*dossier, "ingest", str(case), str(folder), "--custodian", folder.name],
                       check=True, capture_output=True)
    return time.perf_counter() - start


def suggestions(case: Path, top: int, header_names: bool) -> tuple[list[Any], float]:
    from dossier.case import Case
    from dossier.people.edits import phone_region
    from dossier.people.suggest import suggest

    with Case.open(case) as opened:
        start = time.perf_counter()
        found = suggest(opened.store, region=phone_region(opened), limit=top, min_score=0.3,
                        header_names=header_names)
        seconds = time.perf_counter() - start
        persons = {p["id"]: p for p in opened.store.people_summary()}
    rows = []
    for s in found:
        rows.append({
            "score": round(s.score, 3),
            "a": addresses(persons[s.a["id"]]),
            "b": addresses(persons[s.b["id"]]),
            "clues": [f"{c.kind} {c.score:.2f}: {c.detail}" for c in s.clues],
        })
    return rows, seconds


def addresses(person: dict[str, Any]) -> list[str]:
    return [i["value"] for i in person["identities"] if i["kind"] == "email"]


def precision(rows: list[dict[str, Any]], truth: dict[str, set[tuple[str, str]]],
              cutoffs: tuple[int, ...]) -> dict[str, Any]:
    for row in rows:
        a = set().union(*(truth.get(x, set()) for x in row["a"]))
        b = set().union(*(truth.get(x, set()) for x in row["b"]))
        row["verdict"] = judge(a, b)
    table = {}
    for k in cutoffs:
        head = rows[:k]
        same = sum(r["verdict"] == "same" for r in head)
        different = sum(r["verdict"] == "different" for r in head)
        table[str(k)] = {
            "suggestions": len(head),
            "verified_same": same,
            "verified_different": different,
            "unverifiable": len(head) - same - different,
            "precision": round(same / (same + different), 3) if same + different else None,
        }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--top", type=int, default=100)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"No corpus at {args.corpus}")
    OUT.mkdir(exist_ok=True)
    case = OUT / "people-case"
    files = sum(1 for p in args.corpus.rglob("*") if p.is_file())
    ingest_seconds = build_case(args.corpus, case)
    truth = truth_names(args.corpus)
    cutoffs = tuple(k for k in (10, 25, 50, 100, 200, 500) if k <= args.top)
    runs = {}
    for label, header_names in (("as shipped", True), ("without header names", False)):
        rows, seconds = suggestions(case, args.top, header_names)
        runs[label] = {"seconds": round(seconds, 2), "precision": precision(rows, truth, cutoffs),
                       "suggestions": rows}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": machine(PACKAGES),
        "input": {"corpus": str(args.corpus), "files": files,
                  "addresses_with_a_name": len(truth)},
        "ingest_seconds": round(ingest_seconds, 1),
        "runs": runs,
    }
    (OUT / "people_results.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"{files:,} files, {len(truth):,} addresses with a name in X- headers; "
          f"ingest {ingest_seconds:.1f} s; commit {commit}")
    for label, run in runs.items():
        print(f"\n{label}: suggest took {run['seconds']} s")
        print(f"{'top':>5} {'same':>5} {'diff':>5} {'unver':>6} {'precision':>9}")
        for k, row in run["precision"].items():
            shown = "-" if row["precision"] is None else f"{row['precision']:.3f}"
            print(f"{k:>5} {row['verified_same']:>5} {row['verified_different']:>5} "
                  f"{row['unverifiable']:>6} {shown:>9}")


if __name__ == "__main__":
    main()
