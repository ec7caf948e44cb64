"""The header grammar: one regex for every timestamp shape WhatsApp has written.

A header is ``[invisible*] ['[' invisible*] DATE DT TIME [AMPM] ['.'] [']'] SEP`` at a line
start. The variants are alternatives inside the pattern (data), not branches in the parser:

* DATE  three 1-4 digit fields separated by ``/``, ``.``, ``-`` or ``". "`` (``13. 6. 2018.``);
* DT    ``", "``, ``","``, ``" "`` or ``" klo "`` (Finnish);
* TIME  ``H:MM``, ``HH:MM:SS``, dot times ``01.55``, then an optional 12 h marker
        (``AM``, ``pm``, ``a.m.``, ``p. m.``) with a plain space, U+00A0 or U+202F;
* SEP   ``"] "`` when bracketed (iOS); otherwise ``" - "`` (Android), ``": "`` (colon style),
        or a single space when the date ends with a dot (Czech/Hungarian ``13. 6. 2018.``).

Group ``hdr`` is the timestamp exactly as written (invisible prefix and brackets included);
``m.end()`` is where the author or system text begins.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from dossier.formats.whatsapp.locale_strings import INVISIBLE


def _char_class(chars: str) -> str:
    return "[" + chars + "]"


def _chars_run(chars: str) -> str:
    return _char_class(chars) + "*"


def _byte_alternatives(chars: str) -> str:
    # Encoded to UTF-8, a class of non-ASCII characters would become a class of single
    # bytes; an alternation of characters becomes an alternation of byte sequences.
    return "(?:" + "|".join(re.escape(c) for c in chars) + ")"


def _bytes_run(chars: str) -> str:
    # A "*" over an alternation costs a slow repeat at every line, though the run is nearly
    # always empty; the lookahead on the lead bytes skips it (same matches).
    leads = "".join(sorted({f"\\x{c.encode('utf-8')[0]:02x}" for c in chars}))  # escapes
    return "(?:(?=[" + leads + "])" + _byte_alternatives(chars) + "*|)"


def _header_pattern(any_of: Callable[[str], str], run_of: Callable[[str], str]) -> str:
    # "(?:X|)" is "(?:X)?" (X first, then nothing) but compiles to a cheap branch instead of
    # a repeat: the header regex runs about a fifth faster over a big file.
    inv, sp = run_of(INVISIBLE), any_of(" \u00a0\u202f")
    return (
        r"^(?P<hdr>" + inv + r"(?:(?P<ob>\[" + inv + r")|)"
        r"(?P<date>[0-9]{1,4}(?P<ds>[./-]|\. )[0-9]{1,4}(?P=ds)[0-9]{1,4}(?:(?P<ddot>\.)|))"
        r"(?P<dt>, ?| | klo )"
        r"(?P<tm>[0-9]{1,2}[:.][0-9]{2}(?:[:.][0-9]{2}|)"
        r"(?:" + sp + r"?[AaPp]\.?" + sp + r"?[Mm]\.?|))"
        r"(?(ob)\.?\]|\.?))"
        r"(?P<sep>(?(ob) ?|(?: - |: |(?(ddot) |(?!)))))"
    )


HEADER_PATTERN = _header_pattern(_char_class, _chars_run)
HEADER_RE = re.compile(HEADER_PATTERN, re.MULTILINE)
# The same after a line break: a pattern that starts with a literal lets the regex engine
# skip from "\n" to "\n" instead of trying every character (twice as fast on big blocks).
# Its matches start at the "\n"; group 1 ("hdr") starts at the line.
HEADER_AFTER_NL_RE = re.compile("\n" + HEADER_PATTERN.removeprefix("^"))
# The same grammar over UTF-8 bytes (same groups), for the UTF-8 fast path.
HEADER_AFTER_NL_BYTES_RE = re.compile(
    ("\n" + _header_pattern(_byte_alternatives, _bytes_run).removeprefix("^")).encode("utf-8")
)

# Pieces of a time text: hour, minute, optional second, optional a/p letter.
TIME_PARTS_RE = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})(?:[:.]([0-9]{2}))?(?:.*?([AaPp]))?")
DATE_FIELDS_RE = re.compile(r"[0-9]+")


def parse_time(text: str) -> tuple[int, int, int, bool, tuple[str, ...]]:
    """Read ``"1:55 p.m."`` as (13, 55, 0, has_seconds, flags).

    Impossible 12 h values (``23:59 PM``, ``00:04 AM``, ``13:37:00 p.m.``) are read as the
    24 h value they spell and flagged "impossible-12h": the hour cannot be converted, and
    guessing a different hour would invent evidence.
    """
    m = TIME_PARTS_RE.match(text)
    if m is None:  # the header regex guarantees a match; keep mypy and readers calm
        raise ValueError(f"not a time: {text!r}")
    hour, minute = int(m.group(1)), int(m.group(2))
    second = int(m.group(3)) if m.group(3) else 0
    flags: tuple[str, ...] = ()
    marker = m.group(4)
    if marker is not None:
        if hour == 0 or hour > 12:
            flags = ("impossible-12h",)
        elif marker in "Pp":
            hour = 12 if hour == 12 else hour + 12
        elif hour == 12:
            hour = 0
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"time out of range: {text!r}")
    return hour, minute, second, m.group(3) is not None, flags


def describe(m: re.Match[str], order: str) -> str:
    """A readable header format such as ``"dd/mm/yyyy, HH:MM - "`` for the fact table."""
    fields = DATE_FIELDS_RE.findall(m.group("date"))
    sep = m.group("ds")
    letters = _order_for(fields, order)
    parts = []
    for letter, field in zip(letters, fields, strict=True):
        width = 4 if letter == "y" and len(field) == 4 else 2
        parts.append(letter * width)
    date = sep.join(parts) + ("." if m.group("ddot") else "")
    tm = m.group("tm")
    hours = "hh" if re.search("[AaPp]", tm) else "HH"
    time = hours + ":MM" + (":SS" if tm.count(":") + tm.count(".") >= 2 else "")
    if tm[2:3] == "." or tm[1:2] == ".":
        time = time.replace(":", ".")
    if hours == "hh":
        time += " " + re.sub(r"^[0-9:. ]+", "", tm).replace("\u00a0", "<NBSP>").replace(
            "\u202f", "<NNBSP>"
        )
    head = f"{date}{m.group('dt')}{time}"
    if m.group("ob"):
        head = f"[{head}]"
    return head + m.group("sep")


def _order_for(fields: list[str], order: str) -> str:
    """The order letters for these fields: the year sits where the 4-digit field is."""
    widths = [len(f) for f in fields]
    if 4 not in widths:
        return order
    pos = widths.index(4)
    rest = [c for c in order if c != "y"]
    rest.insert(pos, "y")
    return "".join(rest)


def signature(m: re.Match[str]) -> tuple[object, ...]:
    """The shape of a header, to tell a file's own headers from a pasted-in one."""
    tm = m.group("tm")
    return (
        bool(m.group("ob")),
        m.group("ds"),
        m.group("dt"),
        m.group("sep"),
        bool(re.search("[AaPp]", tm)),
        len(DATE_FIELDS_RE.findall(tm)),
    )
