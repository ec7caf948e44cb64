"""One RFC 822 message in a file: ``.eml``, RFC 822 ``.msg``, Enron-style maildir files
(``inbox/12``), real Maildir files (``cur/1234.host:2,S``) and Apple Mail ``.emlx``.

Public API: ``EML`` (a ``dossier.formats.base.MessageFormat``), ``maildir_folder`` and
``maildir_flags``.

Each file gives one ``EmailRecord`` whose ``raw`` is the message bytes exactly as stored:

* a plain message: the whole file, or everything after a leading mbox ``From `` line (as in
  the SpamAssassin corpus; that line is reported as ``SourceFact("mbox_from_line", ...)``);
* ``.emlx``: the byte count on the first line says how many RFC 822 bytes follow; those are
  ``raw``, and the XML property list after them becomes ``SourceFact("emlx_<key>", ...)``
  (flags decoded into ``emlx_flags``, dates as ISO 8601 UTC).

``folder`` is "": the folder comes from where the file sits, which only the ingest sees;
``maildir_folder`` turns that path into a folder name. A Maildir file name's flags
(``:2,RS``) are reported as ``SourceFact("maildir_flags", "replied,seen")``.
"""

from __future__ import annotations

import plistlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePath
from typing import BinaryIO, Literal

from dossier.formats.base import HEAD_SIZE, ParseOptions
from dossier.formats.mbox import second_message_at
from dossier.model import EmailRecord, ParseIssue, ParseRecord, SourceFact

__all__ = ["EML", "EmlFormat", "maildir_flags", "maildir_folder"]

_HEADER = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]*:")
# A header block as _header_scan reads it: whitespace-only lines, then a header line followed
# by header and continuation lines. Each line runs to its newline (or the end of the data).
_LINE_END = rb"[^\n]*+(?:\n|\Z)"
_WHITE_LINE = rb"[ \t][ \t\r\v\f]*+(?:\n|\Z)"
_HEADER_LINE = rb"[\x21-\x39\x3b-\x7e]++[ \t]*+:" + _LINE_END
_CONTINUATION = rb"[ \t]" + _LINE_END
_BLOCK = re.compile(
    rb"(?:%s)*+(?:%s(?:%s|%s)*+)?" % (_WHITE_LINE, _HEADER_LINE, _HEADER_LINE, _CONTINUATION)
)
# A header name after a line break ("\n" first lets the regex engine skip ahead to each one).
_NAME_AFTER_NEWLINE = re.compile(rb"\n([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_EMLX_LENGTH = re.compile(rb"^[ \t]*(\d{1,12})[ \t]*\r?\n")
_MAX_PLIST = 1 << 20
_ISSUE_TEXT = 2000

# Header names that mark a mail message; X- headers count for less.
_KNOWN = frozenset(
    b"from to cc bcc date subject message-id received return-path mime-version content-type "
    b"content-transfer-encoding reply-to sender in-reply-to references delivered-to "
    b"x-mailer user-agent list-id thread-index dkim-signature authentication-results".split()
)
_MESSAGE_NAMES = (".eml", ".msg", ".emlx", ".mail", ".txt", ".message")
_MAILDIR_SUBDIRS = ("cur", "new", "tmp")
_MAILDIR_FLAGS = {
    "P": "passed",
    "R": "replied",
    "S": "seen",
    "T": "trashed",
    "D": "draft",
    "F": "flagged",
}
# Apple Mail's "flags" integer: bit -> meaning (bits 10-15 count attachments, 16-22 priority).
_EMLX_FLAG_BITS = {
    0: "read",
    1: "deleted",
    2: "answered",
    3: "encrypted",
    4: "flagged",
    5: "recent",
    6: "draft",
    7: "initial",
    8: "forwarded",
    9: "redirected",
    23: "signed",
    24: "junk",
    25: "not-junk",
    29: "highlight-in-toc",
}


def _base_name(filename: str) -> str:
    """``PurePath(filename).name`` with backslashes read as slashes; a plain file name (what
    the ingest passes) is its own name, and building a path for it costs more than a sniff."""
    name = filename.replace("\\", "/")
    if "/" in name or name in ("", ".") or name[1:2] == ":":  # dirs, ".", a Windows drive
        return PurePath(name).name
    return name


def maildir_flags(filename: str) -> str:
    """The flags in a Maildir file name (``1234.host:2,RS`` -> "replied,seen"), "" if none."""
    name = _base_name(filename)
    _, sep, info = name.rpartition(":2,")
    if not sep:
        _, sep, info = name.rpartition("!2,")  # the Windows-safe spelling
    if not sep:
        return ""
    return ",".join(_MAILDIR_FLAGS[c] for c in info if c in _MAILDIR_FLAGS)


def _maildir_name(part: str) -> str:
    """Maildir++ ``.Archive.2019`` -> "Archive/2019"; other names as they are."""
    if part.startswith(".") and len(part) > 1:
        return part[1:].replace(".", "/")
    return part


def maildir_folder(path: str, root: str | None = None) -> str:
    """The mail folder of a message file, from its path.

    ``.../Maildir/.Sent/cur/123:2,S`` -> "Sent"; ``.../Maildir/cur/1:2,`` -> "INBOX";
    ``.../kaminski-v/inbox/12`` -> "inbox"; ``.../maildir/lay-k/inbox/projects/3`` (Enron:
    the folders under the custodian) -> "inbox/projects". With ``root`` (the mail tree the
    ingest walked), every folder between it and the file counts: ``foo/baz`` for
    ``root/foo/baz/cur/13:2,``.
    """
    p = PurePath(path.replace("\\", "/"))
    dirs = list(p.parent.parts)
    if root is not None:
        dirs = list(p.parent.relative_to(PurePath(root.replace("\\", "/"))).parts)
    if dirs and dirs[-1] in _MAILDIR_SUBDIRS:
        dirs.pop()
        if root is not None:
            names = [_maildir_name(d) for d in dirs]
            return "/".join(n for n in names if n) or "INBOX"
        if not dirs or dirs[-1].lower() == "maildir":
            return "INBOX"
        return _maildir_name(dirs[-1])
    if root is not None:
        return "/".join(dirs)
    lowered = [d.lower() for d in dirs]
    if "maildir" in lowered:
        below = dirs[lowered.index("maildir") + 2 :]  # skip the custodian's folder
        if below:
            return "/".join(below)
    return dirs[-1] if dirs else ""


_Scan = tuple[int, int, bool, int]
# The last scan and the bytes it read: recognising a file and then parsing it scan the same
# bytes one right after the other (usually the very same object). Only bytes as small as a
# sniffed head are kept, so a big file is not held in memory after its turn.
_last_scan: tuple[bytes, _Scan] = (b"", (0, 0, False, 0))


def _header_scan(data: bytes) -> _Scan:
    """``_scan_headers(data)``, once for the same bytes twice in a row."""
    global _last_scan
    last_data, last_result = _last_scan
    if data == last_data:
        return last_result
    result = _scan_headers(data)
    if len(data) <= HEAD_SIZE:
        _last_scan = (data, result)
    return result


def _scan_headers(data: bytes) -> _Scan:
    """Scan the header block at the start of ``data``: (header lines, known header names,
    whether a blank line ended the block, offset where the block ends or the scan stopped).

    Header lines and folded continuations run until a blank line or any other line; before
    the first header only whitespace lines may stand. One regular expression finds where the
    block ends and another its header names: a line-by-line loop costs several times more.
    """
    block = _BLOCK.match(data)
    pos = block.end() if block else 0  # (it always matches, if only the empty string)
    first = _HEADER.match(data)
    names = [first.group(1)] if first else []
    names += _NAME_AFTER_NEWLINE.findall(data, 0, pos)  # continuation lines cannot match
    known = len(_KNOWN.intersection([name.lower() for name in names]))
    for blank in (b"\n", b"\r\n"):
        if data.startswith(blank, pos):
            return len(names), known, True, pos + len(blank)
    return len(names), known, False, pos


def _from_line_length(data: bytes) -> int:
    """Length of a leading mbox ``From `` line (not a ``From:`` header), 0 if none."""
    if not data.startswith(b"From ") or data.startswith(b"From :"):
        return 0
    nl = data.find(b"\n")
    if nl < 0 or nl > 1000:
        return 0
    rest = data[nl + 1 :]
    return nl + 1 if _HEADER.match(rest) else 0


def _emlx_length(data: bytes) -> tuple[int, int] | None:
    """(where the message starts, its declared length) for an ``.emlx`` head, else None."""
    m = _EMLX_LENGTH.match(data)
    if not m:
        return None
    body = data[m.end() :]
    if not _HEADER.match(body):
        return None
    return m.end(), int(m.group(1))


def sniff(head: bytes, filename: str) -> float:
    """0..1 from the header block at the start of the file.

    Three or more typical header names: 0.9 (two: 0.8, one: 0.55, only unknown ones: 0.3
    with three or more lines); +0.05 for a message-like name (``.eml``, ``.msg``, a Maildir
    ``:2,`` name, a bare number); a leading ``From `` line costs 0.05, and a second message in
    the head (an mbox) brings the score to 0.4 so that MBOX takes the file. ``.emlx``: 0.95.
    """
    if not head or head.find(b"\x00", 0, 4096) >= 0:  # (without copying the head)
        return 0.0
    name = _base_name(filename).lower()
    emlx = _emlx_length(head)
    if emlx is not None:
        count, known, _, _ = _header_scan(head[emlx[0] :])
        return 0.95 if known >= 1 or name.endswith(".emlx") else 0.5
    skip = _from_line_length(head)
    count, known, ended, stop = _header_scan(head[skip:])
    if count == 0:
        return 0.0
    if not ended and stop + skip < len(head) and count < 3:
        return 0.0  # a line or two that look like headers, then text
    if known >= 3:
        score = 0.9
    elif known == 2:
        score = 0.8
    elif known == 1:
        score = 0.55
    else:
        score = 0.3 if count >= 3 else 0.0
    if not score:
        return 0.0
    if name.endswith(_MESSAGE_NAMES) or ":2," in name or name.rstrip(".").isdigit():
        score += 0.05
    if skip:
        score -= 0.05
        if second_message_at(head) >= 0:
            score = min(score, 0.4)
    return round(min(score, 1.0), 3)


def _issue(reason: str, raw: bytes, severity: str = "warning") -> ParseIssue:
    level: Literal["warning", "error"] = "error" if severity == "error" else "warning"
    return ParseIssue(reason, raw[:_ISSUE_TEXT].decode("utf-8", "replace"), None, None, 0, level)


def _plist_facts(data: bytes) -> Iterator[ParseRecord]:
    """The scalar entries of an ``.emlx`` property list as facts."""
    if not data.strip():
        return
    try:
        plist = plistlib.loads(data[:_MAX_PLIST])
    except Exception as exc:  # plistlib raises several types for bad input
        yield _issue(f"emlx property list could not be read: {exc}", data)
        return
    if not isinstance(plist, dict):
        return
    for key, value in sorted(plist.items()):
        if key == "flags" and isinstance(value, int):
            yield SourceFact("emlx_flags", _emlx_flag_names(value))
            yield SourceFact("emlx_flags_raw", str(value))
        elif key.startswith("date-") and isinstance(value, int | float):
            stamp = datetime.fromtimestamp(value, UTC).isoformat()
            yield SourceFact(f"emlx_{key}", stamp)
        elif isinstance(value, str | int | float | bool | datetime):
            yield SourceFact(f"emlx_{key}", str(value))


def _emlx_flag_names(flags: int) -> str:
    names = [name for bit, name in _EMLX_FLAG_BITS.items() if flags >> bit & 1]
    attachments = flags >> 10 & 0x3F
    if attachments:
        names.append(f"attachments={attachments}")
    return ",".join(names)


def _line_count(data: bytes) -> int:
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _parse_emlx(data: bytes, start: int, length: int) -> Iterator[ParseRecord]:
    raw = data[start : start + length]
    yield EmailRecord(raw, "", start, start + len(raw), 2, 1 + _line_count(raw))
    if len(raw) < length:
        yield _issue(f"emlx truncated: declares {length} bytes, {len(raw)} present", raw[-200:])
        return
    yield from _plist_facts(data[start + length :])


def _parse(data: bytes, filename: str) -> Iterator[ParseRecord]:
    if not data or data.isspace():  # (not data.strip(), without copying the file)
        yield _issue("empty file: no message", data, "error")
        return
    flags = maildir_flags(filename)
    if flags:
        yield SourceFact("maildir_flags", flags)
    emlx = _emlx_length(data)
    if emlx is not None:
        yield from _parse_emlx(data, *emlx)
        return
    skip = _from_line_length(data)
    if skip:
        yield SourceFact("mbox_from_line", data[:skip].rstrip(b"\r\n").decode("utf-8", "replace"))
    count, _, ended, _ = _header_scan(data[skip:])
    if count == 0:
        yield _issue("not an RFC 822 message: the file does not start with headers", data, "error")
        return
    raw = data[skip:]
    yield EmailRecord(raw, "", skip, len(data), 2 if skip else 1, _line_count(data))
    if not ended:
        yield _issue("headers only: no blank line before a body (the file may be cut)", raw[-200:])
    # (No second message can start where no line starts with "From ": the common case, and
    # the test costs far less than looking.)
    second = second_message_at(data) if b"\nFrom " in data else -1
    if second >= 0:
        yield _issue(
            "an mbox 'From ' line and headers follow inside this message: the file may be an "
            "mbox (read it with --format mbox)",
            data[second : second + 200],
        )


class EmlFormat:
    name = "eml"
    platform = "email"
    companion_names: frozenset[str] = frozenset()

    def sniff(self, head: bytes, filename: str) -> float:
        return sniff(head, filename)

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        # One message: its bytes are the record, so holding them is no worse than the record.
        return _parse(stream.read(), filename)


EML = EmlFormat()
