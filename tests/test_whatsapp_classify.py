"""The classifier's fast checks answer exactly as the plain ones they stand in for."""

from __future__ import annotations

import random
import re
import re._casefix

from dossier.formats.whatsapp import classify as C
from dossier.formats.whatsapp import locale_strings as L


def test_system_text_matches_the_one_regex_it_replaces() -> None:
    # is_system_text splits the patterns (".*X" as a search for X) and lower-cases ASCII text
    # for speed; it must answer exactly as the single case-insensitive regex would.
    loose = re.compile("(?:" + "|".join(L.SYSTEM_PATTERNS) + ")", re.IGNORECASE)
    strict = re.compile(
        "(?:" + "|".join(p for p in L.SYSTEM_PATTERNS if not p.startswith(".*")) + ")",
        re.IGNORECASE,
    )
    words = (
        "added",
        "ADDED",
        "left",
        "a ajouté",
        "hat",
        "die gruppe",
        "verlassen",
        "hinzugefügt",
        "\u017f",
        "\u212a",
        "\u0130",
        "\u0131",
        "Σ",
        "messages",
        "are",
        "end-to-end",
        "encrypt",
        "you",
        "created",
        "group",
        "\u200e",
        "é",
        "😂",
        "changed to",
        "+44 7700",
        "joined using this group's invite link",
        "Bob",
        "\r",
        "\t",
        " ",
        "you're now an admin",
        "ha aggiunto",
        "\n",
        "removed",
    )
    rng = random.Random(3)
    hits = 0
    for _ in range(20000):
        text = "".join(rng.choice(words) + rng.choice(("", " ")) for _ in range(rng.randint(0, 7)))
        stripped = text.strip(C._STRIP)
        for regex, is_strict in ((strict, True), (loose, False)):
            expected = regex.match(stripped) is not None
            hits += expected
            assert C.is_system_text(text, is_strict) == expected, (text, is_strict)
    assert hits > 1000


def test_system_text_ignores_case_exactly_beyond_ascii() -> None:
    # Lower-casing before a case-sensitive match must fold exactly as the regex engine's
    # ignore-case does, for any character put in place of a pattern letter.
    loose = re.compile("(?:" + "|".join(L.SYSTEM_PATTERNS) + ")", re.IGNORECASE)
    odd = {chr(c) for k, v in re._casefix._EXTRA_CASES.items() for c in (k, *v)}
    letters = {ch for p in L.SYSTEM_PATTERNS for ch in p}
    cased = {x for ch in letters for x in (ch.upper(), ch.lower(), ch.title()) if len(x) == 1}
    sample = {chr(c) for c in range(0x80, 0x30000, 37) if not 0xD800 <= c < 0xE000}
    templates = (
        "Bob a{}ded Carol 😂",
        "Bob {}dded Carol",
        "Messages and calls are end-to-end encr{}pted 👍",
        "{}ou were added",
        "Bob hat die Gruppe verlassen{}",
        "Eve a rejoint ce groupe via {}",
        "Ana sal{}ó del grupo",
    )
    for ch in sorted(odd | letters | cased | sample):
        for template in templates:
            text = template.format(ch)
            expected = loose.match(text.strip(C._STRIP)) is not None
            assert C.is_system_text(text, strict=False) == expected, (text, hex(ord(ch)))


def test_plain_lines_only_vouches_for_what_split_calls_text() -> None:
    from dossier.formats.base import ParseOptions
    from dossier.formats.whatsapp.emit import Emitter
    from dossier.formats.whatsapp.segments import TextStats

    emitter = Emitter("chat.txt", ParseOptions(), 0, len, 1, TextStats())
    emitter.known.add("Bob")
    pieces = (
        "hello",
        " ",
        "\t",
        "\r",
        "\u200e",
        "<",
        ">",
        ")",
        "(file attached)",
        "<attached>",
        "<Media omitted>",
        "Messages and calls are end-to-end encrypted",
        "POLL:",
        "location: x",
        "<this message was edited>",
        "you were added",
        "😂",
        "é",
        "x.jpg",
    )
    rng = random.Random(12)
    vouched = 0
    for _ in range(20000):
        lines = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))
            for _ in range(rng.randint(2, 3))
        ]
        body = rng.choice(("\n", "\r\n")).join(lines)
        if "\n" in body[1:-1] and C.plain_lines(body):
            vouched += 1
            assert emitter.split("Bob: " + body) == ("Bob", "text", body, (), False), body
    assert vouched > 1000
