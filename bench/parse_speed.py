"""Parse speed of the WhatsApp parser on one export.

    python bench/parse_speed.py FILE [--digest]

Prints messages, seconds and messages per second. ``--digest`` also prints a SHA-256 over
the repr of every record, to check that a faster parser yields exactly the same records
(it slows the run down; do not time with it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import WHATSAPP
from dossier.model import MessageRecord


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--digest", action="store_true")
    args = ap.parse_args()
    digest = hashlib.sha256() if args.digest else None
    count = others = 0
    start = time.perf_counter()
    with open(args.path, "rb") as fh:
        for rec in WHATSAPP.parse(fh, os.path.basename(args.path), ParseOptions()):
            if type(rec) is MessageRecord:
                count += 1
            else:
                others += 1
            if digest is not None:
                digest.update(repr(rec).encode("utf-8", "surrogatepass"))
    took = time.perf_counter() - start
    print(f"{count} messages, {others} other records, {took:.2f} s, {count / took:,.0f} msgs/s")
    if digest is not None:
        print("digest", digest.hexdigest())


if __name__ == "__main__":
    main()
