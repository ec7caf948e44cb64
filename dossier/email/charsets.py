"""Turn bytes into text under a declared charset that may be missing, unknown or a lie.

Mail from the wild declares charsets Python does not know (``DEFAULT``, ``CHINESEBIG5``),
declares ``us-ascii`` over 8-bit bytes, or names a charset its bytes do not follow. We never
raise: we decode with the best candidate and say in an issue what we did, so a reviewer knows
the text is an interpretation.
"""

from __future__ import annotations

import codecs
import functools
import re

from charset_normalizer import from_bytes

# Labels seen in real mail that Python does not know, mapped to what the senders meant.
_ALIASES = {
    "chinesebig5": "big5",
    "big5-hkscs": "big5hkscs",
    "x-gbk": "gbk",
    "gb2312": "gb18030",  # gb18030 is a superset; senders labelled GBK text as gb2312
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-sjis": "shift_jis",
    "x-user-defined": "latin-1",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "utf8": "utf-8",
}
# Labels that name no charset at all: decode by guessing, and say so.
_MEANINGLESS = {"default", "default_charset", "x-unknown", "unknown", "unknown-8bit", "charset"}
# Text codecs Python would accept but which are not charsets: decoding mail with them would
# interpret escapes or punycode, i.e. invent text.
_NOT_CHARSETS = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"}
_C1 = re.compile(rb"[\x80-\x9f]")

_ESCAPED = re.compile("[\udc80-\udcff]")
GUESS_PREFIX = 64 * 1024  # enough bytes for charset-normalizer to decide; guessing is slow
SHORT = 64  # below this many bytes charset-normalizer's guesses are noise (CJK for "café")
MOSTLY_RIGHT = 200  # at most 1 bad sequence in this many characters: keep the declared charset


def lookup(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when unknown or not a charset."""
    if not label:
        return None
    # Once per label: a mailbox uses a handful, and asking the codec registry costs more.
    # (A label too long to be one is not remembered: a hostile message must not fill memory.)
    return _remembered_lookup(label) if len(label) <= 64 else _lookup(label)


def _lookup(label: str) -> str | None:
    name = label.strip().strip("\"'").lower()
    if name in _MEANINGLESS:
        return None
    name = _ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):
        return None
    if codec.replace("-", "_") in _NOT_CHARSETS:
        return None
    try:
        b"".decode(codec)  # rejects bytes-to-bytes codecs such as base64 or zlib
    except (LookupError, ValueError):
        return None
    return codec


_remembered_lookup = functools.lru_cache(maxsize=256)(_lookup)


def decode(data: bytes, label: str | None, where: str) -> tuple[str, str | None]:
    """Decode ``data`` declared as ``label``; return the text and an issue sentence or None.

    ``where`` names the place in the message for the issue ("the text/plain body", ...).
    """
    codec = lookup(label)
    if codec is not None:
        if codec == "iso8859-1" and _C1.search(data):
            codec = "cp1252"  # as browsers do (WHATWG): C1 bytes under latin-1 mean cp1252
        text = _strict(data, codec)
        if text is not None:
            return text, None
        return _lying(data, label, codec, where)
    if label and label.strip():
        guessed, used = guess(data)
        return guessed, f"{where} declares unknown charset {label!r}; decoded as {used}."
    if data.isascii():
        return data.decode("ascii"), None
    guessed, used = guess(data)
    return guessed, f"{where} has 8-bit bytes and no declared charset; decoded as {used}."


def _lying(data: bytes, label: str | None, codec: str, where: str) -> tuple[str, str]:
    """Bytes that break their declared charset: UTF-8 mislabelled, or a few stray bytes."""
    lead = f"{where} declares charset {label!r} but its bytes are not valid {codec}"
    text = _strict(data, "utf-8")
    if text is not None:
        return text, f"{lead}; decoded as utf-8."
    if codec == "ascii" and (text := _strict(data, "cp1252")) is not None:
        return text, f"{lead}; decoded as cp1252."
    text = data.decode(codec, "replace")
    bad = text.count("\ufffd")
    if bad * MOSTLY_RIGHT <= len(text):
        return text, f"{lead}; decoded as {codec} with {bad} bad sequence(s) replaced by U+FFFD."
    guessed, used = guess(data)
    return guessed, f"{lead}; decoded as {used}."


def mixed_utf8(data: bytes) -> str:
    """UTF-8 where the bytes are valid UTF-8, latin-1 for each byte that is not.

    For headers that mix a UTF-8 name with a stray 8-bit byte; lossless byte by byte.
    """
    text = data.decode("utf-8", "surrogateescape")
    return _ESCAPED.sub(lambda m: chr(ord(m.group(0)) - 0xDC00), text)


def guess(data: bytes) -> tuple[str, str]:
    """Best-effort decode: UTF-8, then charset-normalizer's guess, then latin-1 (never fails)."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    best = None
    try:
        if len(data) >= SHORT:
            best = from_bytes(data[:GUESS_PREFIX]).best()
    except Exception:  # the guesser is a heuristic; any failure just means "no guess"
        best = None
    if best is not None:
        codec = lookup(best.encoding)
        if codec is not None:
            text = _strict(data, codec)
            if text is not None:
                return text, f"{codec} (guessed)"
    text = _strict(data, "cp1252")  # the likeliest 8-bit charset in Western mail
    if text is not None:
        return text, "cp1252 (fallback)"
    return data.decode("latin-1"), "latin-1 (fallback)"


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None
