"""The header block: where it ends, its fields, RFC 2047 encoded words, addresses, dates, ids.

We split and decode headers ourselves rather than through ``email``'s policies: they either
keep surrogate escapes (compat32) or raise on unknown charsets (default), and neither tells us
what it had to guess. Every guess here becomes an issue sentence appended to ``issues``.
"""

from __future__ import annotations

import binascii
import functools
import re
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from dossier.email import charsets
from dossier.email.fastparse import simple_addresses, usual_date
from dossier.email.model import Address

# Same test as the stdlib feed parser (email.feedparser.headerRE), so our header block is the
# one Python's MIME parser saw: a field name and colon, a continuation, or an envelope line.
_HEADER_LINE = rb"(?:From |[\041-\071\073-\176]*:|[\t ])"
# The header block: header lines, each to its newline (or the end); one match, not a loop.
_BLOCK = re.compile(rb"(?:" + _HEADER_LINE + rb"[^\n]*+(?:\n|\Z))*+")
# A line that is blank once its line break is taken off: CRs, then LF (or the end).
_BLANK_LINE = re.compile(rb"\r*+(?:\n|\Z)")
# A field of a plain header block (as text): its name, the rest of its first line, its
# continuation lines.
_FIELD_TEXT = r"([\x21-\x39\x3b-\x7e]++):([^\n]*+)\n((?:[ \t][^\n]*+\n)*+)"
_FIELD = re.compile(_FIELD_TEXT)
_PLAIN_BLOCK = re.compile(f"(?:{_FIELD_TEXT})*+")
_BYTES_WHITESPACE = " \t\n\r\v\f"  # what bytes.strip() strips
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")
_ANGLE_ID = re.compile(r"<([^<>]*)>")
_COMMENT = re.compile(r"\([^()]*\)")


def split_block(raw: bytes) -> tuple[bytes, bytes, bool]:
    """Split a message into (header block, body, had a blank separator line).

    The header block excludes the blank line; when a non-header line comes first the block
    ends there and that line starts the body (Python's parser does the same).
    """
    block = _BLOCK.match(raw)
    pos = block.end() if block else 0  # (it always matches, if only the empty string)
    if pos == len(raw):
        return raw, b"", False
    blank = _BLANK_LINE.match(raw, pos)
    if blank is not None:
        return raw[:pos], raw[blank.end() :], True
    return raw[:pos], raw[pos:], False


def line_text(line: bytes) -> str:
    """Raw header bytes as text: UTF-8 when the line is valid UTF-8, else latin-1.

    Per line, so that one 8-bit latin-1 line does not turn valid UTF-8 lines into mojibake;
    both decodings are lossless, so the original bytes can be recovered line by line.
    """
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def raw_text(block: bytes) -> str:
    """The block as text, each line as ``line_text`` reads it."""
    try:
        # Valid UTF-8 as a whole is valid line by line (line breaks are never inside a
        # character): one decode does.
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(line_text(line) for line in block.splitlines(keepends=True))


def field_texts(
    block: bytes, hint: str | None, issues: list[str]
) -> tuple[list[tuple[str, str]], bytes | None]:
    """``fields`` with each value read by ``value_text`` (``hint``: the message's charset)."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and _plain_fields(text):
        # A plain block of UTF-8 (most are): each value is valid UTF-8 too, and value_text
        # would decode it as such, without an issue. So the fields are read off the text.
        return [
            (name, _unfolded(first, folded) if folded else first.strip(_BYTES_WHITESPACE))
            for name, first, folded in _FIELD.findall(text)
        ], None
    found, envelope = fields(block)
    return [(name, value_text(name, value, hint, issues)) for name, value in found], envelope


def _plain_fields(text: str) -> bool:
    """Every line is a field (a name of printable ASCII and a colon) or a continuation, each
    ended by LF or CRLF: then ``_FIELD`` finds the fields ``fields`` finds. (A lone CR ends a
    line for splitlines; an envelope or a stray line are left to ``fields``.)"""
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return False
    return _PLAIN_BLOCK.fullmatch(text) is not None


def _unfolded(first: str, folded: str) -> str:
    """A field's value as ``fields`` makes it: its first line stripped (as bytes are), the
    continuation lines added without their line breaks."""
    value = first.strip(_BYTES_WHITESPACE)
    if folded:
        value += folded.replace("\r\n", "").replace("\n", "")
    return value


def fields(block: bytes) -> tuple[list[tuple[str, bytes]], bytes | None]:
    """Unfolded (name, raw value) pairs in order, and the mbox envelope line if any."""
    out: list[tuple[str, bytes]] = []
    envelope = None
    for index, line in enumerate(block.splitlines()):
        if index == 0 and line.startswith(b"From "):
            envelope = line
        elif line[:1] in (b" ", b"\t") and out:
            last_name, last_value = out[-1]
            out[-1] = (last_name, last_value + line)  # unfolding drops only the line break
        elif b":" in line:
            raw_name, _, raw_value = line.partition(b":")
            out.append((raw_name.decode("latin-1").strip(), raw_value.strip()))
    return out, envelope


def value_text(name: str, value: bytes, hint: str | None, issues: list[str]) -> str:
    """Raw header bytes to text, before encoded words are decoded.

    UTF-8 is legal in headers (RFC 6532); other 8-bit bytes are usually in the body's charset.
    """
    if value.isascii():
        return value.decode("ascii")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = charsets.lookup(hint)
    if codec is not None:
        try:
            text = value.decode(codec)
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
        else:
            issues.append(f"Header {name} has raw 8-bit bytes; decoded as {codec}.")
            return text
    issues.append(f"Header {name} has raw 8-bit bytes; decoded as UTF-8 where valid, else latin-1.")
    return charsets.mixed_utf8(value)


def decode_words(text: str, name: str, issues: list[str]) -> str:
    """Decode RFC 2047 encoded words; whitespace between adjacent words is dropped.

    Adjacent words in the same charset are joined as bytes before decoding, because senders
    split multibyte characters across words.
    """
    if "=?" not in text:
        return text  # no encoded word can start: most header values
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    last = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[last : match.start()]
        charset, kind, payload = match.groups()
        data = _word_bytes(kind, payload)
        if data is None:
            issues.append(f"Header {name} has a broken encoded word {match.group(0)!r}.")
        joinable = pending and (not gap or gap.isspace())
        if pending and (not joinable or charset.lower() != pending_charset or data is None):
            out.append(_decode_pending(pending, pending_charset, name, issues))
            pending = []
        if not joinable:
            out.append(gap)
        if data is None:
            out.append(match.group(0))
        else:
            pending.append(data)
            pending_charset = charset.lower()
        last = match.end()
    if pending:
        out.append(_decode_pending(pending, pending_charset, name, issues))
    out.append(text[last:])
    return "".join(out)


def _word_bytes(kind: str, payload: str) -> bytes | None:
    raw = payload.encode("utf-8")
    if kind in "Qq":
        return binascii.a2b_qp(raw, header=True)
    try:
        return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
    except binascii.Error:
        return None


def _decode_pending(pending: list[bytes], charset: str, name: str, issues: list[str]) -> str:
    text, issue = charsets.decode(b"".join(pending), charset, f"Header {name}")
    if issue:
        issues.append(issue)
    return text


def addresses(values: list[str], name: str, issues: list[str]) -> tuple[Address, ...]:
    """Addresses from raw header texts; display names decoded after splitting.

    Decoding first would let a comma inside an encoded name split one address in two.
    """
    # A mailbox repeats its lists of people (the owner in To, a team in Cc): about half the
    # address headers of the Enron slice are the same as an earlier one. A list read without
    # any issue is kept, as it is the same whenever it is read again.
    key = (name, *values)
    found = _LISTS_READ.get(key)
    if found is not None:
        return found
    said = len(issues)
    found = _addresses(values, name, issues)
    if len(issues) == said and sum(map(len, values)) <= _LIST_KEPT_CHARS:
        if len(_LISTS_READ) >= _LISTS_KEPT:
            _LISTS_READ.clear()
        _LISTS_READ[key] = found
    return found


_LISTS_READ: dict[tuple[str, ...], tuple[Address, ...]] = {}
_LISTS_KEPT = 4096  # lists kept at most (then forgotten, all at once)
_LIST_KEPT_CHARS = 4096  # a longer list (a hostile header) is not kept


def _addresses(values: list[str], name: str, issues: list[str]) -> tuple[Address, ...]:
    simple = simple_addresses(values)
    if simple:
        # Plain entries: each has an address, without spaces; only names need decoding.
        return tuple(
            [
                _person(decode_words(display, name, issues).strip() if display else "", address)
                for display, address in simple
            ]
        )
    out = []
    for display, address in getaddresses(values):
        display = decode_words(display, name, issues).strip()
        address = address.strip()
        if display or address:
            out.append(_person(display, address))
    return tuple(out)


def _person(name: str, address: str) -> Address:
    """``Address(name, address)``; the same people write and are written to again and again,
    so one Address (frozen: it can be shared) is made for each, as building one costs more
    than looking it up. (Not for odd long ones: a hostile message must not fill memory.)"""
    if len(name) + len(address) > 256:
        return Address(name, address)
    return _remembered_address(name, address)


_remembered_address = functools.lru_cache(maxsize=4096)(Address)


def parse_date(text: str, issues: list[str]) -> tuple[int | None, str]:
    """Epoch seconds and "+HH:MM" from a Date header; (None, "") when unreadable."""
    if not text.strip():
        return None, ""
    usual = usual_date(text)
    if usual is not None:
        return usual
    try:
        # Comments such as "(EDT)" before the offset make the stdlib parser miss the zone.
        when = parsedate_to_datetime(_COMMENT.sub(" ", text))
    except (TypeError, ValueError, IndexError, OverflowError):
        issues.append(f"Date header {text.strip()!r} could not be read.")
        return None, ""
    if when.tzinfo is None and "-0000" in text:
        issues.append(f"Date header {text.strip()!r} is UTC with the sender's zone unknown.")
        when = when.replace(tzinfo=UTC)
        offset = ""
    elif when.tzinfo is None:
        issues.append(f"Date header {text.strip()!r} has no time zone; taken as UTC.")
        when = when.replace(tzinfo=UTC)
        offset = ""
    else:
        offset = _offset_text(when)
    try:
        return int(when.timestamp()), offset
    except (OverflowError, OSError, ValueError):
        issues.append(f"Date header {text.strip()!r} is out of range.")
        return None, ""


def _offset_text(when: datetime) -> str:
    delta = when.utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def message_ids(text: str) -> tuple[str, ...]:
    """Ids in angle brackets, brackets removed; junk between ids (comments, names) ignored.

    Whitespace inside brackets is folding, not part of the id. Without any brackets, tokens
    that look like ids (contain "@") are taken as written.
    """
    if not text:
        return ()  # (no In-Reply-To or References: the usual case)
    found = ["".join(m.split()) for m in _ANGLE_ID.findall(text)]
    ids = [i for i in found if i]
    if ids or found:
        return tuple(ids)
    return tuple(tok.strip("<>,;") for tok in text.split() if "@" in tok)
