"""Parse speed of the WhatsApp parser on one export.

    python bench/parse_speed.py FILE [--digest] [--runs N]

Prints messages, seconds and messages per second (the best of ``--runs``), and the peak
RSS of the process. ``--digest`` also prints a SHA-256 over the repr of every record, to
check that a faster parser yields exactly the same records (it slows the run down; do not
time with it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import time
from collections.abc import Callable

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import WHATSAPP
from dossier.model import MessageRecord


def run(path: str, update: Callable[[bytes], object] | None) -> tuple[int, int, float]:
    """(messages, other records, seconds) of one parse of ``path``."""
    count = others = 0
    start = time.perf_counter()
    with open(path, "rb") as fh:
        for rec in WHATSAPP.parse(fh, os.path.basename(path), ParseOptions()):
            if type(rec) is MessageRecord:
                count += 1
            else:
                others += 1
            if update is not None:
                update(repr(rec).encode("utf-8", "surrogatepass"))
    return count, others, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--digest", action="store_true")
    ap.add_argument("--runs", type=int, default=1, help="parse this many times, report the best")
    args = ap.parse_args()
    digest = hashlib.sha256() if args.digest else None
    count, others, took = run(args.path, None if digest is None else digest.update)
    for _ in range(args.runs - 1):
        took = min(took, run(args.path, None)[2])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    print(f"{count} messages, {others} other records, {took:.2f} s, {count / took:,.0f} msgs/s, "
          f"peak RSS {rss_mb:.0f} MB")
    if digest is not None:
        print("digest", digest.hexdigest())


if __name__ == "__main__":
    main()
