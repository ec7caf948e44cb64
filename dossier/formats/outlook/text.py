"""Plain text from the other bodies Outlook stores: RTF and HTML.

Both converters are deliberately simple. They are used only when an item has no plain-text
body of its own; the original RTF/HTML is kept alongside (``ParsedEmail.html``, or the RTF in
``extra``) so nothing is lost. The RTF reader keeps the text runs, paragraph and line breaks,
tabs, ``\\'hh`` code-page escapes and ``\\uN`` Unicode escapes, and drops every destination
group (font and colour tables, pictures, ``{\\*...}`` groups). RTF that encapsulates HTML
(``\\fromhtml1``) comes out as the HTML's text with tags, which is good enough for search.
"""

from __future__ import annotations

import html
import mimetypes
import re

_RTF_TOKEN = re.compile(
    rb"\\([a-zA-Z]+)(-?\d+)? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|[\r\n]+|([^\\{}\r\n]+)"
)
# Groups whose text is not part of the body.
_SKIP_DESTINATIONS = frozenset(
    b"fonttbl colortbl stylesheet info pict object header footer headerl headerr footerl "
    b"footerr listtable listoverridetable rsidtbl generator xmlnstbl themedata "
    b"colorschememapping latentstyles datastore filetbl revtbl".split()
)
_BREAKS = {b"par": "\n", b"line": "\n", b"tab": "\t", b"page": "\n", b"sect": "\n"}


def _codepage(rtf: bytes) -> str:
    match = re.search(rb"\\ansicpg(\d+)", rtf[:2048])
    name = f"cp{int(match.group(1))}" if match else "cp1252"
    try:
        "".encode(name)
    except LookupError:
        return "cp1252"
    return name


def rtf_to_text(rtf: bytes) -> str:
    """The readable text of an RTF document (see the module notes for what is kept)."""
    encoding = _codepage(rtf)
    out: list[str] = []
    pending = bytearray()  # \'hh bytes, decoded together (multi-byte code pages)
    stack: list[tuple[bool, int]] = []
    skip, uc, to_skip = False, 1, 0

    def flush() -> None:
        if pending:
            out.append(pending.decode(encoding, errors="replace"))
            pending.clear()

    for match in _RTF_TOKEN.finditer(rtf):
        word, arg, hexbyte, symbol, brace, text = match.groups()
        if hexbyte is not None:
            if to_skip:
                to_skip -= 1
            elif not skip:
                pending.append(int(hexbyte, 16))
            continue
        flush()
        if brace == b"{":
            stack.append((skip, uc))
        elif brace == b"}":
            skip, uc = stack.pop() if stack else (False, 1)
        elif word is not None:
            if word in _SKIP_DESTINATIONS:
                skip = True
            elif word == b"uc" and arg is not None:
                uc = int(arg)
            elif word == b"u" and arg is not None:
                if not skip:
                    out.append(chr(int(arg) % 0x10000))
                to_skip = uc
            elif word in _BREAKS and not skip:
                out.append(_BREAKS[word])
        elif symbol is not None:
            if symbol == b"*":
                skip = True
            elif symbol in b"\\{}" and not skip:
                out.append(symbol.decode("latin-1"))
            elif symbol == b"~" and not skip:
                out.append("\u00a0")
        elif text is not None and not skip:
            chunk = text
            if to_skip:
                dropped = min(to_skip, len(chunk))
                chunk, to_skip = chunk[dropped:], to_skip - dropped
            out.append(chunk.decode(encoding, errors="replace"))
    flush()
    return "".join(out).strip("\x00")


_HTML_DROP = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_BREAK = re.compile(r"<(br|/p|/div|/tr|/li|/h\d)\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]*>")


def html_to_text(markup: str) -> str:
    """A rough plain-text rendering of an HTML body (tags dropped, entities decoded)."""
    markup = _HTML_DROP.sub("", markup)
    markup = _HTML_BREAK.sub("\n", markup)
    text = html.unescape(_HTML_TAG.sub("", markup))
    return re.sub(r"\n[ \t\r]*\n(?:[ \t\r]*\n)+", "\n\n", text).strip()


def guess_type(filename: str) -> str:
    """A content type from a file name, ``application/octet-stream`` when unknown."""
    lowered = filename.lower()
    if lowered.endswith(".msg"):
        return "application/vnd.ms-outlook"
    if lowered.endswith((".eml", ".mht")):
        return "message/rfc822"
    if lowered.endswith(".dat") and lowered.startswith("winmail"):
        return "application/ms-tnef"
    return mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"
