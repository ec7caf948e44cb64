"""Generate a big synthetic Android WhatsApp export for speed work.

    python bench/gen_whatsapp.py N OUT.txt [--seed S]

Deterministic (seeded). Header ``dd/mm/yyyy, HH:MM - ``; times move forward by 0-5 minutes
per message. Mix: ~6% multi-line messages (some with blank lines), ~1% authorless system
lines, ~3% ``<Media omitted>``, ~1% attachments with U+200E, emoji, U+200E inside bodies.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta

NAMES = ("Alice", "Bob", "Carol Dawson", "Dave", "+44 7700 900123", "Émile", "Zoë Ng",
         "~\u202fGuest")
WORDS = ("the", "meeting", "is", "at", "noon", "ok", "see", "you", "there", "budget",
         "draft", "sent", "call", "me", "later", "thanks", "👍", "😂", "🇪🇺", "vote", "plan",
         "not", "sure", "about", "this", "tomorrow", "agenda", "list")
SYSTEM = ("Alice added Dave", "Bob left", "Carol Dawson changed the group description",
          "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
          "WhatsApp, can read or listen to them. Tap to learn more.",
          "Dave joined using this group's invite link")


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(2, 14))
    if rng.random() < 0.03:
        words.insert(0, "\u200e")
    return " ".join(words)


def message(rng: random.Random, n: int) -> str:
    roll = rng.random()
    if roll < 0.01:
        return rng.choice(SYSTEM)
    name = rng.choice(NAMES)
    if roll < 0.04:
        return f"{name}: <Media omitted>"
    if roll < 0.05:
        return f"{name}: \u200eIMG-2020{n % 10000:04d}-WA{n % 9999:04d}.jpg (file attached)"
    if roll < 0.11:
        lines = [sentence(rng) for _ in range(rng.randint(2, 5))]
        if rng.random() < 0.3:
            lines.insert(1, "")
        return f"{name}: " + "\n".join(lines)
    return f"{name}: {sentence(rng)}"


def generate(count: int, path: str, seed: int = 42) -> None:
    rng = random.Random(seed)
    when = datetime(2019, 1, 13, 8, 0)
    out: list[str] = []
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for n in range(count):
            when += timedelta(minutes=rng.randint(0, 5))
            out.append(f"{when:%d/%m/%Y, %H:%M} - {message(rng, n)}\n")
            if len(out) >= 50_000:
                fh.write("".join(out))
                out.clear()
        fh.write("".join(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    generate(args.count, args.out, args.seed)


if __name__ == "__main__":
    main()
