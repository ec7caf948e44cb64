"""Walk a parsed MIME tree into bodies, attachments and embedded messages, within limits.

Embedded messages (message/rfc822, attached .eml) are handed back as raw bytes and not walked
here: the ingest reads each as a message of its own, linked to its parent. Limits on depth,
part count and decoded size keep a hostile message (an attachment or nesting bomb) from
exhausting memory; hitting one is recorded as an issue, and what was read so far is kept.
"""

from __future__ import annotations

import functools
import importlib
import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32
from typing import NamedTuple

from dossier.email import charsets, headers
from dossier.email.model import Part


@dataclass(frozen=True)
class Limits:
    depth: int = 30  # multipart nesting levels
    parts: int = 5000  # MIME parts in one message
    decoded: int = 512 * 1024 * 1024  # bytes of decoded bodies and attachments together


@dataclass
class Found:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    nested: list[bytes] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    tnef_text: list[str] = field(default_factory=list)
    raw: bytes = b""  # the whole message as read, to find attached emails' own bytes in
    count: int = 0
    decoded: int = 0
    stopped: bool = False


_BODY_TYPES = ("text/plain", "text/html")
_MESSAGE_TYPES = ("message/rfc822", "message/global", "message/news")
_TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")
_KNOWN_CTE = {"7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def walk(message: Message, limits: Limits, raw: bytes = b"") -> Found:
    found = Found(raw=raw)
    _visit(message, 0, limits, found)
    return found


class TextBody(NamedTuple):
    """How ``walk`` reads a message of one text part (see ``text_body``)."""

    ctype: str  # "text/plain" or "text/html"
    charset: str | None  # declared, as ``get_content_charset`` gives it
    encoding: str  # the Content-Transfer-Encoding, stripped and lowercase ("" if none)
    quoted_printable: bool  # the body is decoded as quoted-printable (else taken as it is)


def text_body(
    content_type: str | None, transfer_encoding: str | None, disposition: str | None
) -> TextBody | None:
    """How ``walk`` reads a one-part message with these headers (their values as compat32
    keeps them; None when absent), when it reads it as a text body with nothing to decode but
    quoted-printable; None for anything else (an attachment, a container, base64 ...).

    ``walk`` asks the stdlib's ``Message`` for the content type, charset, disposition and file
    name, and it parses the parameters slowly, again for each question. The answers depend on
    these three values only, and the messages of a mailbox share a handful of them: so they
    are worked out once per combination, by the same code, on a message with just these
    headers. (Not remembered for values too long to be usual: a hostile message must not
    fill memory.)
    """
    values = (content_type, transfer_encoding, disposition)
    if sum(len(value) for value in values if value is not None) > _REMEMBERED:
        return _work_out_text_body(*values)
    return _remembered_text_body(*values)


_REMEMBERED = 1024  # characters of header values in one remembered answer, at most


def _work_out_text_body(
    content_type: str | None, transfer_encoding: str | None, disposition: str | None
) -> TextBody | None:
    part = Message(policy=compat32)
    for name, value in (
        ("Content-Type", content_type),
        ("Content-Transfer-Encoding", transfer_encoding),
        ("Content-Disposition", disposition),
    ):
        if value is not None:
            part.set_raw(name, value)
    if part.get_content_maintype() in ("multipart", "message"):
        return None  # a container: the parser reads its parts (as in fastparse.one_part)
    ctype = _content_type(part)
    unread = Found()
    if not _is_body(ctype, _safe(part.get_content_disposition), _filename(part, unread)):
        return None
    # Message.get_payload(decode=True) looks at the value lowercased, not stripped; base64
    # and uuencode can record defects or fail, so those go the general way.
    decoder = str(part.get("Content-Transfer-Encoding", "")).lower()
    if unread.issues or decoder in ("base64", "x-uuencode", "uuencode", "uue", "x-uue"):
        return None
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    return TextBody(ctype, _charset(part), encoding, decoder == "quoted-printable")


_remembered_text_body = functools.lru_cache(maxsize=512)(_work_out_text_body)


def walk_text(body_type: TextBody, body: bytes, limits: Limits, raw: bytes = b"") -> Found:
    """``walk`` of a message of one text part read as ``body_type`` says, whose body (after
    the header block) is ``body``: the same result, without building a ``Message``."""
    found = Found(raw=raw)
    if _enter(found, 0, limits):
        _check_encoding(body_type.encoding, body_type.ctype, found)
        data = quopri.decodestring(body) if body_type.quoted_printable else body
        if _room(found, data, limits):
            _body(found, body_type.ctype, data, body_type.charset)
    return found


def _visit(part: Message, depth: int, limits: Limits, found: Found) -> None:
    if not _enter(found, depth, limits):
        return
    ctype = _content_type(part)
    children = part.get_payload() if part.is_multipart() else None
    if isinstance(children, list):
        if ctype in _MESSAGE_TYPES:
            found.nested.extend(_message_bytes(child, found) for child in children)
        else:
            for child in children:
                if isinstance(child, Message):
                    _visit(child, depth + 1, limits, found)
    else:
        _leaf(part, ctype, limits, found)
    _defects(part, ctype, found)


def _enter(found: Found, depth: int, limits: Limits) -> bool:
    """Count one more part; False (the walk stops) once a limit is passed."""
    if found.stopped:
        return False
    found.count += 1
    if found.count > limits.parts:
        _stop(found, f"More than {limits.parts} MIME parts; the rest were not read.")
        return False
    if depth > limits.depth:
        _stop(found, f"MIME parts nested deeper than {limits.depth} levels were not read.")
        return False
    return True


def _stop(found: Found, issue: str) -> None:
    found.stopped = True
    found.issues.append(issue)


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a mangled Content-Type: treat as the RFC default
        return "text/plain"


def _leaf(part: Message, ctype: str, limits: Limits, found: Found) -> None:
    data = _payload(part, ctype, found)
    if not _room(found, data, limits):
        return
    disposition = _safe(part.get_content_disposition)
    filename = _filename(part, found)
    if _is_body(ctype, disposition, filename):
        _body(found, ctype, data, _charset(part))
    elif ctype in _MESSAGE_TYPES or filename.lower().endswith(".eml"):
        found.nested.append(data)
    elif ctype in _TNEF_TYPES or filename.lower() == "winmail.dat":
        _tnef(data, filename, ctype, found)
    else:
        content_id = (part.get("Content-ID") or "").strip().strip("<>") or None
        inline = disposition == "inline" or (disposition is None and content_id is not None)
        found.parts.append(Part(filename, ctype, data, inline, content_id))


def _room(found: Found, data: bytes, limits: Limits) -> bool:
    """Count a part's decoded bytes; False (the walk stops) when they pass the limit."""
    if found.decoded + len(data) > limits.decoded:
        _stop(found, f"Decoded parts exceed {limits.decoded} bytes; the rest were not read.")
        return False
    found.decoded += len(data)
    return True


def _body(found: Found, ctype: str, data: bytes, charset: str | None) -> None:
    text, issue = charsets.decode(data, charset, f"The {ctype} body")
    (found.html if ctype == "text/html" else found.plain).append(text)
    if issue:
        found.issues.append(issue)


def _is_body(ctype: str, disposition: str | None, filename: str) -> bool:
    # A multipart whose boundaries are missing arrives as one string: it is body text.
    body_type = ctype in _BODY_TYPES or ctype.startswith("multipart/")
    return body_type and disposition != "attachment" and not filename


def _payload(part: Message, ctype: str, found: Found) -> bytes:
    """The part's bytes with its transfer encoding undone (compat32 never raises on bad data)."""
    _check_encoding(str(part.get("Content-Transfer-Encoding", "")).strip().lower(), ctype, found)
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:  # e.g. a uuencode body the decoder chokes on
        found.issues.append(f"The {ctype} part could not be decoded ({exc}); kept as is.")
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _check_encoding(cte: str, ctype: str, found: Found) -> None:
    if cte and cte not in _KNOWN_CTE:
        found.issues.append(f"The {ctype} part has unknown transfer encoding {cte!r}; kept as is.")


def _safe(getter: Callable[[], str | None]) -> str | None:
    try:
        return getter()
    except Exception:  # malformed parameters must not stop the walk
        return None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def _filename(part: Message, found: Found) -> str:
    """Filename from RFC 2231 parameters or encoded words, in Content-Disposition or -Type."""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        return ""
    if isinstance(name, tuple):  # an RFC 2231 value get_param left undecoded
        name = name[2]
    name = str(name).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return headers.decode_words(name, "filename", found.issues).strip()


def _message_bytes(child: object, found: Found) -> bytes:
    if not isinstance(child, Message):
        return b""
    try:
        written = child.as_bytes(policy=compat32)
    except Exception as exc:  # RecursionError on absurd nesting, encoding trouble
        found.issues.append(f"An embedded message could not be written out ({exc!r}).")
        return b""
    return _as_in_original(written, found)


def _as_in_original(written: bytes, found: Found) -> bytes:
    """The attached email's bytes as they stand in the message that carries it. The parser
    hands back a parsed message, which is written out again: that is the original when it
    can be found in the carrier as it is (or with the carrier's CRLF line ends); otherwise
    the copy is said to be a rewrite, so nobody takes it for the original bytes."""
    if not found.raw or found.raw.find(written) >= 0:
        return written
    crlf = written.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if found.raw.find(crlf) >= 0:
        return crlf
    found.issues.append(
        "An attached email is kept as Python's email package wrote it out again: its bytes "
        "may differ from the original ones, which are inside this email's own bytes."
    )
    return written


def _tnef(data: bytes, filename: str, ctype: str, found: Found) -> None:
    """Unpack winmail.dat when the TNEF module is present; else keep it as an attachment."""
    unpack = _tnef_unpacker()
    if unpack is not None:
        try:
            body, parts, issues = unpack(data)
        except Exception as exc:  # a broken winmail.dat must not lose the rest of the mail
            found.issues.append(f"The TNEF attachment could not be unpacked ({exc!r}).")
        else:
            found.issues.extend(issues)
            found.parts.extend(parts)
            if body.strip():
                found.tnef_text.append(body)
            if parts:
                return
    # Kept whole when nothing (or only a body) came out, so no file inside it is lost.
    found.parts.append(Part(filename or "winmail.dat", ctype, data))


TnefUnpack = Callable[[bytes], tuple[str, tuple[Part, ...], list[str]]]


def _tnef_unpacker() -> TnefUnpack | None:
    # Imported by name so this module works (and type-checks) before tnef.py exists.
    try:
        module = importlib.import_module("dossier.email.tnef")
    except ImportError:
        return None
    unpack = getattr(module, "unpack", None)
    return unpack if callable(unpack) else None


def _defects(part: Message, ctype: str, found: Found) -> None:
    for defect in getattr(part, "defects", []):
        words = _CAMEL.sub(" ", type(defect).__name__.removesuffix("Defect")).lower()
        found.issues.append(f"MIME defect in the {ctype} part: {words}.")
