"""Shortcuts for the common case, each giving exactly what the general code gives.

Most emails are one text part with plain headers. For those, two stdlib steps cost more than
the rest of reading the message together, and both can be skipped without changing a thing:

* ``one_part``: Python's feed parser builds a ``Message`` line by line. For a message with no
  MIME parts and nothing the parser would flag as a defect, that message is just the header
  fields (as compat32 keeps them) and the body text, so we build it directly. Anything else
  (multipart, message/*, a header block the parser would complain about) returns None and
  goes through the parser.
* ``simple_addresses``: ``email.utils.getaddresses`` walks address lists a character at a time.
  Lists of plain ``local@domain`` and ``Name <local@domain>`` entries are split here with one
  regular expression; anything else (comments, groups, routes, quoted local parts, empty
  entries) returns None and goes to ``getaddresses``.
* ``content_headers`` (with ``mime.text_body``): a one-part text message needs no ``Message``
  at all, only its Content-* values.
* ``usual_date``: ``email.utils.parsedate_to_datetime`` tries every way a date was ever
  written; the usual RFC 2822 form is read here with one regular expression.

``tests/test_email_speed_paths.py`` and ``tests/test_email_fast_paths.py`` check them against
the general code, over the shared corpora and over tricky cases.
"""

from __future__ import annotations

import re
from datetime import date
from email.message import Message
from email.policy import compat32
from typing import Any

# Runs of characters the stdlib's address parser (email._parseaddr) reads as words: anything
# but its specials, space, tab, CR and LF. Dots are kept: inside an address it copies them as
# they are ("k..allen@enron.com"), in a display name it does not split words at them. The
# quantifiers are possessive (never give back), so a long list that does not match fails fast.
# Other whitespace (vertical tab, NBSP, U+2028 ...) is left out too: the stdlib drops a piece
# of an address that is nothing but such characters ("\x0b@example.org" gives
# "@example.org"), so lists with any go to it.
_WORDS = r'[^()<>@,:;"\[\]\s]++'
_ADDR_SPEC = rf"{_WORDS}@{_WORDS}"
# One list entry: a bare address, or a display name (words and quoted strings without
# backslashes) then an address in angle brackets; then a comma or the end.
_ENTRY = re.compile(
    rf"[ \t]*(?:(?P<bare>{_ADDR_SPEC})"
    rf'|(?P<name>(?:(?:{_WORDS}|"[^"\\\r\n]*+")[ \t]*+)*+)<(?P<angle>{_ADDR_SPEC})>)'
    r"[ \t]*(?:,|$)"
)
_NAME_PART = re.compile(rf'{_WORDS}|"([^"\\\r\n]*)"')


def simple_addresses(values: list[str]) -> list[tuple[str, str]] | None:
    """``getaddresses(values)`` for lists of plain entries; None when not sure."""
    text = ", ".join(values)  # as getaddresses joins several headers
    found: list[tuple[str, str]] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _ENTRY.match(text, pos)
        if match is None or match.end() == pos:
            return None
        bare = match.group("bare")
        if bare is not None:
            found.append(("", bare))
        else:
            found.append((_display(match.group("name")), match.group("angle")))
        pos = match.end()
        if pos == end and text.endswith(","):
            return None  # a trailing comma gives getaddresses an empty entry: let it say so
    return found


def _display(name: str) -> str:
    """Words and quoted strings of a display name joined by single spaces, as the stdlib does
    (quotes dropped, runs of space squeezed)."""
    parts = []
    for match in _NAME_PART.finditer(name):
        quoted = match.group(1)
        parts.append(quoted if quoted is not None else match.group(0))
    return " ".join(parts)


class _OnePart(Message):
    """A compat32 message whose headers never change: it finds a header by name and parses
    its parameters once, where ``Message`` scans all headers and parses again for every
    ``get`` and ``get_param``."""

    _params: dict[str, Any]
    _first: dict[str, tuple[str, str]]  # lowercase name -> the first header of that name

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._first

    def get(self, name: str, failobj: Any = None) -> Any:
        found = self._first.get(name.lower())
        if found is None:
            return failobj
        return self.policy.header_fetch_parse(*found)

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        key = header.lower()
        if key not in self._params:
            self._params[key] = super()._get_params_preserve(_MISSING, header)  # type: ignore[misc]
        found = self._params[key]
        return failobj if found is _MISSING else found


_MISSING = object()


def one_part(raw: bytes, block: bytes, body: bytes) -> Message | None:
    """The message Python's parser (compat32) would build from ``raw``, when ``raw`` is a
    single text part whose header block ``block`` ends in a blank line; else None.

    ``block`` and ``body`` are ``raw`` split by ``headers.split_block``.
    """
    if not _separated(raw, block, body):
        return None
    fields = _fields(block.decode("ascii", "surrogateescape"))
    if fields is None:
        return None
    message = _OnePart(policy=compat32)
    message._params = {}
    message._first = {}
    for name, value in fields:
        message.set_raw(name, value)
        message._first.setdefault(name.lower(), (name, value))
    if message.get_content_maintype() in ("multipart", "message"):
        return None
    message.set_payload(body.decode("ascii", "surrogateescape"))
    return message


# The value of a Content-Type, Content-Transfer-Encoding or Content-Disposition field: the rest
# of its first line and its continuation lines, without the last line break (the next field
# starts with it: "\n" first lets the search skip from line start to line start).
_CONTENT_FIELD = re.compile(
    rb"\n(?i:(content-(?:type|transfer-encoding|disposition))):([^\n]*+(?:\n[ \t][^\n]*+)*+)"
)

ContentHeaders = tuple[str | None, str | None, str | None]


def content_headers(raw: bytes, block: bytes, body: bytes) -> ContentHeaders | None:
    """The Content-Type, Content-Transfer-Encoding and Content-Disposition of the message
    ``one_part`` would build (the first of each, as compat32 keeps it; None when absent),
    without building it; None when ``one_part`` would not build one. (Whether it is a single
    part the values tell: see ``mime.text_body``.)

    ``block`` and ``body`` are ``raw`` split by ``headers.split_block``.
    """
    if not _separated(raw, block, body) or not _plain(block):
        return None
    found: dict[bytes, str] = {}
    for name, value in _CONTENT_FIELD.findall(b"\n" + block):
        text = value.decode("ascii", "surrogateescape")
        found.setdefault(name.lower(), text.lstrip(" \t").rstrip("\r\n"))  # as in _fields
    get = found.get
    return get(b"content-type"), get(b"content-transfer-encoding"), get(b"content-disposition")


def _separated(raw: bytes, block: bytes, body: bytes) -> bool:
    """A header block ended by a blank line, and lines ended only by LF or CRLF."""
    separator = raw[len(block) : len(raw) - len(body)]
    if separator not in (b"\n", b"\r\n") or not block:
        return False
    # The parser ends lines at a lone CR too; split_block does not.
    return b"\r" not in block or block.count(b"\r") == block.count(b"\r\n")


def _plain(block: bytes) -> bool:
    """``_fields`` finds no defect in ``block``, a header block cut by ``split_block``.

    Each of its lines is a field, a continuation or a 'From ' line (split_block's test): so
    it is enough that no continuation comes first, and no line starts with 'From ' or ':'.
    """
    if block.startswith((b" ", b"\t", b"From ", b":")):
        return False
    return b"\nFrom " not in block and b"\n:" not in block


def _fields(text: str) -> list[tuple[str, str]] | None:
    """(name, value) as compat32's header_source_parse gives them; None if the parser would
    record a defect (a leading continuation, a 'From ' line, a line starting with a colon)."""
    fields: list[tuple[str, str]] = []
    lines = text.split("\n")  # every line but the last ends in a newline: put it back
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    name = ""
    value: list[str] = []
    for line in lines:
        first = line[:1]
        if first in (" ", "\t"):
            if not name:
                return None
            value.append(line)
            continue
        if line.startswith("From ") or first == ":":
            return None
        if name:
            fields.append((name, "".join(value).rstrip("\r\n")))
        colon = line.find(":")
        if colon < 0:
            return None
        name, value = line[:colon], [line[colon + 1 :].lstrip(" \t")]
    if name:
        fields.append((name, "".join(value).rstrip("\r\n")))
    return fields


# "Mon, 21 May 2001 18:45:34 -0700", maybe with a comment after it ("(PDT)"). Whitespace is
# \s, as for the stdlib's split(); the year has four digits (no two-digit year rules); times
# and zones are in range (the stdlib reads "+0560" as six hours; a zone of -0000 means "UTC,
# the sender's zone unknown"): those are left to it.
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_USUAL_DATE = re.compile(
    r"\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s+([0-9]{1,2})\s+"
    rf"({'|'.join(_MONTHS)})\s+([1-9][0-9]{{3}})\s+"
    r"([01]?[0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])\s+"
    r"(?!-0000)([+-])([01][0-9]|2[0-3])([0-5][0-9])"
    r"\s*(?:\([^()]*\)\s*)?"
)
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def usual_date(text: str) -> tuple[int, str] | None:
    """What ``headers.parse_date`` makes of a Date header in the usual form (epoch seconds,
    "+HH:MM"), by arithmetic; None for any other form or a day the month does not have."""
    usual = _USUAL_DATE.fullmatch(text)
    if usual is None:
        return None
    day, month, year, hour, minute, second, sign, zone_h, zone_m = usual.groups()
    try:
        days = date(int(year), _MONTHS[month], int(day)).toordinal() - _EPOCH_DAY
    except ValueError:  # the 31st of June: the stdlib says it cannot be read
        return None
    offset = int(zone_h) * 3600 + int(zone_m) * 60
    clock = int(hour) * 3600 + int(minute) * 60 + int(second)
    utc = days * 86400 + clock + (offset if sign == "-" else -offset)
    return utc, f"{sign}{zone_h}:{zone_m}"
