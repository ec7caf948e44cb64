"""What the sender wrote: a body without quoted replies, forwarded chains and signature.

Only material that is certainly not the sender's new text is cut: everything from the first
reply/forward header on ("-----Original Message-----", "On ... wrote:", an Outlook
"From: / Sent:" block, a Lotus Notes "Forwarded by" bar), lines quoted with ">", and the
signature after the standard "-- " delimiter or a mobile "Sent from my ..." line. Sign-offs
("Thanks, Ken") stay: they are part of what was written. The full text is kept elsewhere;
this copy serves search, near-duplicate detection and exhibits that show only new words.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(
    r"""^\s*(
        -{2,}\s*(Original\s+Message|Ursprüngliche\s+Nachricht|Message\s+d'origine
                |Forwarded\s+message|Forwarded\s+Message|Mensaje\s+original)\s*-{2,}
      | -{2,}\s*Original\s+message\s+follows\.?
      | -{4,}\s*Forwarded\s+by\s                   # Lotus Notes; the bar may wrap
      | Begin\s+forwarded\s+message:
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_INLINE_SEPARATOR = re.compile(r"-{3,}\s*Original\s+Message\s*-{3,}", re.IGNORECASE)
# Attribution lines that end in "wrote:"; Gmail and Apple Mail wrap them over two lines.
_WROTE = re.compile(r"^.{0,200}\b(wrote|écrit|schrieb|escribió)\s*:\s*$", re.IGNORECASE)
_ON_START = re.compile(r"^\s*(On|Le|Am|El|Op)\s.+", re.IGNORECASE)
# An Outlook/Notes header block: a From: line followed closely by Sent:/Date:/To:.
_FROM = re.compile(r"^\s*\*?(From|Von|De)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_FOLLOW = re.compile(
    r"^\s*\*?(Sent|Sent by|Date|To|Subject|Gesendet|Envoyé)\s*:", re.IGNORECASE
)
# Lotus Notes reply header: "Jane Doe@ECT" / "01/02/2001 08:41 AM" then "To:".
_NOTES_STAMP = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?\s*(AM|PM)?\s*$")
_TO = re.compile(r"^\s*(To|Sent by)\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE = re.compile(
    r"^\s*(Sent\s+(from|with|wirelessly\s+from)\s+my\s+\S.*|Sent\s+from\s+(Mail|Outlook|Yahoo"
    r"\s+Mail)\s+for\s+\S.*|Get\s+Outlook\s+for\s+\S.*)$",
    re.IGNORECASE,
)
_LOOKAHEAD = 5  # lines after a From:/stamp line in which the rest of a header block must follow

# Lines that may start quoted material (together a superset of what _first_cut looks for),
# found with a few searches over the text instead of five tries per line. They run on the
# lines joined by "\n" with one "\n" in front, so a pattern that starts with "\n" finds line
# starts fast; "[^\S\n]" is "\s" within one line, so no match crosses into the next line.
_MAY_CUT = (
    # separators, Outlook "From:" blocks, the first line of "On ... wrote:"
    re.compile(
        r"\n[^\S\n]*(?i:-{2,}|Begin[^\S\n]|\*?(?:From|Von|De)[^\S\n]*:|(?:On|Le|Am|El|Op)[^\S\n])"
    ),
    re.compile(r":[^\S\n]*$", re.MULTILINE),  # "... wrote:" on one line ends with a colon
    re.compile(r"/(?<=\d/)\d"),  # a Lotus Notes date stamp
)
# Lines that may start the signature (a superset of _SIGNATURE and _MOBILE).
_MAY_SIGN = (re.compile(r"\n(?:--|[^\S\n]*(?i:Sent|Get)[^\S\n])"),)


def new_text(text: str) -> str:
    """The sender's own words from a plain-text body."""
    lines = text.splitlines()
    if "---" in text:  # a separator needs it (and no line break splits one)
        lines = _split_inline_separators(lines)
    cut = _first_cut(lines)
    if ">" in text:
        kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    else:
        kept = lines[:cut]  # no line can be quoted
    kept = _drop_signature(kept)
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


def _split_inline_separators(lines: list[str]) -> list[str]:
    """Put a separator glued to the end of a line ("Sound.-----Original Message-----") on its own.

    Converters that dropped a line break leave it there; the words before it are the sender's.
    """
    out: list[str] = []
    for line in lines:
        # (Looked for only where it can be: searching every line, or the whole text, for a
        # pattern that ignores case costs far more than this test.)
        found = _INLINE_SEPARATOR.search(line) if "---" in line else None
        if found and line[: found.start()].strip():
            out.extend((line[: found.start()], line[found.start() :]))
        else:
            out.append(line)
    return out


def _candidates(lines: list[str], patterns: tuple[re.Pattern[str], ...]) -> list[int]:
    """Indexes of the lines any of ``patterns`` matches in, in order."""
    text = "\n" + "\n".join(lines)  # lines hold no "\n": splitlines took every break out
    starts = sorted({match.start() for pattern in patterns for match in pattern.finditer(text)})
    found: list[int] = []
    index = -1
    position = 0
    for start in starts:  # the line of a match: the "\n"s up to its first character
        index += text.count("\n", position, start + 1)
        position = start + 1
        if not found or found[-1] != index:
            found.append(index)
    return found


def _first_cut(lines: list[str]) -> int:
    """Index of the first line of quoted or forwarded material (len(lines) if none)."""
    for index in _candidates(lines, _MAY_CUT):
        line = lines[index]
        if _SEPARATORS.match(line) or _starts_attribution(lines, index):
            return index
        if _FROM.match(line) and _followed_by(lines, index, _HEADER_FOLLOW):
            return index
        if "/" in line and _NOTES_STAMP.search(line) and _followed_by(lines, index, _TO):
            return _notes_block_start(lines, index)
    return len(lines)


def _starts_attribution(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _may_say_wrote(line) and _WROTE.match(line):
        return True
    if index + 1 < len(lines) and _ON_START.match(line):
        after = lines[index + 1]
        if _may_say_wrote(line) or _may_say_wrote(after):
            return bool(_WROTE.match(line.rstrip() + " " + after.strip()))
    return False


def _may_say_wrote(line: str) -> bool:
    """False only if _WROTE cannot match: none of its words is there. (Letters such as i and s
    have case variants beyond I and S that the pattern accepts, so only safe pieces are
    looked for.)"""
    lowered = line.lower()
    return "wrote" in lowered or "cr" in lowered or "hr" in lowered


def _followed_by(lines: list[str], index: int, pattern: re.Pattern[str]) -> bool:
    return any(pattern.match(line) for line in lines[index + 1 : index + 1 + _LOOKAHEAD])


def _notes_block_start(lines: list[str], index: int) -> int:
    """Notes writes "Name on <stamp>" on one line, or the name on the line before the stamp."""
    stamp = _NOTES_STAMP.search(lines[index])
    alone = stamp is not None and not lines[index][: stamp.start()].strip()
    if alone and index > 0 and lines[index - 1].strip():
        return index - 1
    return index


def _drop_signature(lines: list[str]) -> list[str]:
    for index in _candidates(lines, _MAY_SIGN):
        line = lines[index]
        if _SIGNATURE.match(line) or _MOBILE.match(line):
            return lines[:index]
    return lines
