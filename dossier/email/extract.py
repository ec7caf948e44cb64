"""Text from attachments, so that search finds words inside them.

Plain text, CSV and HTML are read directly; PDF with pypdf and DOCX with python-docx when they
are installed (they are declared dependencies). Anything that fails gives no text, never an
error: the attachment itself is kept either way.
"""

from __future__ import annotations

import io
import logging

MAX_TEXT = 2_000_000  # characters kept per attachment
MAX_INPUT = 50 * 1024 * 1024  # bytes; larger files are not opened for text

_TEXT_TYPES = ("text/plain", "text/csv", "text/tab-separated-values", "text/markdown")
_TEXT_SUFFIXES = (".txt", ".csv", ".tsv", ".md", ".log")


def attachment_text(name: str, content_type: str, payload: bytes) -> str | None:
    if len(payload) > MAX_INPUT:
        return None
    lower, ctype = name.lower(), content_type.lower()
    try:
        if ctype in _TEXT_TYPES or lower.endswith(_TEXT_SUFFIXES):
            text = _decode(payload)
        elif ctype == "text/html" or lower.endswith((".html", ".htm")):
            from dossier.email.html import html_to_text

            text = html_to_text(_decode(payload))
        elif ctype == "application/pdf" or lower.endswith(".pdf"):
            text = _pdf(payload)
        elif lower.endswith(".docx") or "wordprocessingml" in ctype:
            text = _docx(payload)
        else:
            return None
    except Exception:  # a damaged attachment has no text; the file itself is still kept
        return None
    return text[:MAX_TEXT] if text else None


def _decode(payload: bytes) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def _pdf(payload: bytes) -> str:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(payload))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _docx(payload: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(payload))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)
