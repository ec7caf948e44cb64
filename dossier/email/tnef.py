"""TNEF (``application/ms-tnef``, ``winmail.dat``): the body and the files inside.

``unpack`` never raises. What it could not read becomes an issue string, and what it read
before the damage is still returned. The body is the plain-text body when TNEF carries one;
otherwise the HTML body or the RTF body turned into plain text by a deliberately simple
converter (``dossier.formats.outlook.text``: text runs and line breaks, no formatting).
Attachments that are themselves messages (embedded TNEF objects) are returned as parts with
content type ``application/ms-tnef``; the caller may unpack them in turn.
"""

from __future__ import annotations

import logging
import struct

from tnefparse.tnef import TNEF

from dossier.email.model import Part
from dossier.formats.outlook.text import guess_type, html_to_text, rtf_to_text

SIGNATURE = b"\x78\x9f\x3e\x22"
_HEADER = 6  # signature + key
_OBJECT_OVERHEAD = 11  # level (1) + name (2) + type (2) + length (4) + checksum (2)

# tnefparse reports bad checksums and oddities through logging; they come back as issues here.
logging.getLogger("tnefparse").setLevel(logging.ERROR)


def unpack(payload: bytes) -> tuple[str, tuple[Part, ...], list[str]]:
    """The body text, the attachments and the issues of one TNEF stream."""
    issues: list[str] = []
    if not payload.startswith(SIGNATURE):
        return "", (), ["not TNEF: the stream does not start with the TNEF signature"]
    ends = _boundaries(payload)
    tail = payload[ends[-1] :] if ends else payload[_HEADER:]
    if not ends or tail.strip(b"\x00"):  # zero padding after the last attribute is harmless
        where = ends[-1] if ends else _HEADER
        issues.append(f"TNEF truncated or damaged: no whole attribute after byte {where}")
    tnef = _decode(payload, ends, issues)
    if tnef is None:
        return "", (), issues
    bad = sum(1 for obj in tnef.objects if not obj.good_checksum)
    if bad:
        issues.append(f"TNEF: {bad} attribute(s) with a bad checksum (read anyway)")
    return _body(tnef, issues), _parts(tnef, issues), issues


def _boundaries(payload: bytes) -> list[int]:
    """Where each TNEF attribute ends, as far as the length fields can be followed."""
    ends, offset = [], _HEADER
    while offset + _OBJECT_OVERHEAD <= len(payload):
        (length,) = struct.unpack_from("<I", payload, offset + 5)
        end = offset + _OBJECT_OVERHEAD + length
        if end > len(payload):
            break
        ends.append(end)
        offset = end
    return ends


def _decode(payload: bytes, ends: list[int], issues: list[str]) -> TNEF | None:
    try:
        return TNEF(payload)
    except Exception as exc:  # tnefparse raises anything on damaged input
        first_error = f"{type(exc).__name__}: {exc}"
    # Salvage: the longest run of whole attributes that tnefparse can read.
    for end in reversed(ends[-64:]):
        try:
            tnef = TNEF(payload[:end])
        except Exception:
            continue
        issues.append(f"TNEF unreadable ({first_error}); read the first {end} bytes only")
        return tnef
    issues.append(f"TNEF unreadable: {first_error}")
    return None


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        return (
            value.decode("utf-8", errors="replace")
            if _is_utf8(value)
            else value.decode("cp1252", errors="replace")
        )
    return value if isinstance(value, str) else ""


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _body(tnef: TNEF, issues: list[str]) -> str:
    try:
        if tnef.body:
            return _as_text(tnef.body).rstrip("\x00")
        if tnef.htmlbody:
            return html_to_text(_as_text(tnef.htmlbody))
        rtf = tnef.rtfbody
        if isinstance(rtf, bytes) and rtf:
            return rtf_to_text(rtf)
    except Exception as exc:
        issues.append(f"TNEF body unreadable: {type(exc).__name__}: {exc}")
    return ""


def _parts(tnef: TNEF, issues: list[str]) -> tuple[Part, ...]:
    parts = []
    for index, attachment in enumerate(tnef.attachments, 1):
        try:
            name = _as_text(attachment.long_filename()).strip("\x00")
        except Exception as exc:
            issues.append(f"TNEF attachment {index}: unreadable name ({exc})")
            name = ""
        data = attachment.data if isinstance(attachment.data, bytes) else b""
        if hasattr(attachment, "embed"):
            content_type = "application/ms-tnef"
        else:
            content_type = guess_type(name) if name else "application/octet-stream"
        parts.append(Part(filename=name, content_type=content_type, payload=data))
    return tuple(parts)
