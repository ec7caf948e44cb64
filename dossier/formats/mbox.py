"""Unix mbox files: many RFC 822 messages, each after a ``From `` separator line.

Public API: ``MBOX`` (a ``dossier.formats.base.MessageFormat``), ``is_separator``,
``unquote_from`` and ``mbox_folder``.

Each message becomes one ``EmailRecord``:

* ``raw`` is the message exactly as stored: from the first header byte (the ``From ``
  separator line is not part of it) to the end of its last line, line break included. The one
  blank line an mbox writer puts before the next separator is framing and is left out.
  ``>From `` quoting is *kept* (the bytes are evidence); the variant is reported as
  ``SourceFact("mbox_variant", ...)`` after the messages (before them for an mboxrd, whose
  quoting the reader undoes: see ``_records``), and ``unquote_from`` undoes it for reading.
* ``folder`` is always "": the parser sees one file and cannot know where it sits. An ingest
  walking a mail tree (Thunderbird ``Inbox``, ``Sent.mbox``, ``Inbox.sbd/Work``) gets the
  folder from ``mbox_folder``.
* ``byte_start``/``byte_end`` index the file (``file[byte_start:byte_end] == raw``);
  ``line_start``/``line_end`` are the 1-based lines of the first header and the last line.
  The envelope (``From addr date``) is the line just before ``line_start``.

A ``From `` line separates messages only when it follows a blank line (or starts the file)
and looks like ``From addr date``, or when the next line is a header. A message whose
``Content-Length`` header agrees with the separators (mboxcl, mboxcl2) is framed by that
length, so unquoted ``From `` lines in its body stay in the body. The file is read as a stream:
only the message being read is held in memory.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import BinaryIO

from dossier.formats.base import ParseOptions, few_collections
from dossier.model import EmailRecord, ParseIssue, ParseRecord, SourceFact

__all__ = [
    "MBOX",
    "MboxFormat",
    "is_separator",
    "mbox_folder",
    "second_message_at",
    "unquote_from",
]

# A stream is read in lines of at most this many bytes (a file with no line breaks must not
# be read whole into one line).
_LINE_LIMIT = 1 << 20
_BLOCK = 256 * 1024  # bytes read from the stream at a time
# A Content-Length above this is not trusted (it would make us read that much at once).
_MAX_CONTENT_LENGTH = 1 << 30
_ISSUE_TEXT = 2000  # how much raw text a ParseIssue quotes

_TIME = re.compile(rb"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_YEAR = re.compile(rb"(?<!\d)(?:19|20)\d{2}(?!\d)")
_MONTH = re.compile(rb"(?i)(?<![a-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)")
_HEADER = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
_CONTENT_LENGTH = re.compile(rb"(?i)^content-length:[ \t]*(\d{1,12})[ \t]*\r?\n?$")
_C_LINE = re.compile(rb"(?m)^[Cc][^\n]*\n")  # a header line that may be a Content-Length
_QUOTED_FROM = re.compile(rb"^(>+)From ")
_QUOTED_FROM_LINE = re.compile(rb"(?m)^>+From ")
_DEEP_QUOTED = re.compile(rb"\n>>+From ")
_SCAN_BLOCK = 1 << 20  # bytes read at a time looking for such lines
_CARRIED = 4096  # the most of a line's start carried over to the next block
_MBOX_NAMES = (".mbox", ".mbx", ".mbs", ".mbox.txt")
_SINGLE_MESSAGE_NAMES = (".eml", ".emlx", ".msg", ".txt")


def is_separator(line: bytes) -> bool:
    """A ``From addr date`` line as mbox writers put before each message.

    The envelope address is taken as written (8-bit, spaces as in ``goran at domain.com``);
    the date must show a time, a month and a year (asctime or RFC 2822 order).
    """
    if not line.startswith(b"From ") or len(line) > 1000:
        return False
    rest = line[5:]
    return bool(_TIME.search(rest) and _YEAR.search(rest) and _MONTH.search(rest))


_CANDIDATE = re.compile(rb"\n\r?\n(From [^\n]*\n)[\x21-\x39\x3b-\x7e]+:")
_BOUNDARY = re.compile(rb'(?is)\ncontent-type:[^\n]*(?:\n[ \t][^\n]*)*?boundary="?([^"\r\n;]+)')


def second_message_at(data: bytes) -> int:
    """Where a second mbox message starts in ``data`` (a file's head), or -1.

    A candidate is a blank line, a ``From addr date`` line and a header. One that sits inside
    the first message's multipart body (its closing boundary not yet seen), such as a
    ``git format-patch`` attachment or an embedded complaint, is not counted.
    """
    header_end = re.search(rb"\n\r?\n", data)
    headers = data[: header_end.start() + 1] if header_end else data
    m = _BOUNDARY.search(b"\n" + headers)
    close = b"--" + m.group(1).strip() + b"--" if m else None
    for cand in _CANDIDATE.finditer(data):
        if not is_separator(cand.group(1)):
            continue
        if close is not None and data.find(close, 0, cand.start()) < 0:
            continue
        return cand.start(1)
    return -1


def _is_header(line: bytes) -> bool:
    return _HEADER.match(line) is not None


def _is_blank(line: bytes) -> bool:
    return line in (b"\n", b"\r\n")


def unquote_from(raw: bytes, variant: str) -> bytes:
    """A message's bytes with the mbox ``>From `` quoting undone, for reading.

    mboxrd removes one ``>`` from every ``>+From `` line; mboxo and mboxcl from ``>From ``
    lines only; mboxcl2 (and "mbox": nothing seen to undo) leave the bytes as they are.
    """
    if variant == "mboxrd":
        return re.sub(rb"(?m)^>(>*From )", rb"\1", raw)
    if variant in ("mboxo", "mboxcl"):
        return re.sub(rb"(?m)^>(From )", rb"\1", raw)
    return raw


def mbox_folder(path: str, root: str | None = None) -> str:
    """The mail folder an mbox file stands for: ``Sent.mbox`` -> "Sent", Thunderbird's
    ``Inbox.sbd/Work`` -> "Inbox/Work". With ``root`` (the mail tree walked), the folders
    between it and the file are part of the path."""
    p = PurePath(path.replace("\\", "/"))
    parts = list(p.relative_to(root).parts) if root else [p.name]
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if last:
            for ext in _MBOX_NAMES:
                if part.lower().endswith(ext):
                    part = part[: -len(ext)]
                    break
        elif part.endswith(".sbd"):
            part = part[:-4]
        if part:
            out.append(part)
    return "/".join(out)


class _Reader:
    """Lines and byte counts from a stream, with bytes that can be pushed back.

    The stream is read in blocks into a buffer of our own, searched in place: a body or a
    header block is taken as one run of whole lines (``plain_lines``, ``header_lines``)
    instead of a line at a time, with one search for where the run ends. (A stream's own
    ``peek`` would copy its buffer at every look.) ``runs=False``: a line at a time only,
    as a reference for tests; ``block``: bytes read at a time.
    """

    def __init__(self, stream: BinaryIO, runs: bool = True, block: int = _BLOCK) -> None:
        self._stream = stream
        self._runs = runs
        self._block = block
        self._buf = b""
        self._at = 0  # where the next byte is in _buf
        self._eof = False
        self.pos = 0  # offset of the next byte to be returned

    def _fill(self, size: int = 0) -> bool:
        """Read another block (or ``size`` bytes) after what is left; False at the end."""
        if self._eof:
            return False
        more = self._stream.read(size or self._block)
        if not more:
            self._eof = True
            return False
        self._buf = self._buf[self._at :] + more
        self._at = 0
        return True

    def _take(self, size: int) -> bytes:
        data = self._buf[self._at : self._at + size]
        self._at += len(data)
        self.pos += len(data)
        return data

    def readline(self) -> bytes:
        """A line, as ``readline(_LINE_LIMIT)`` of the stream would give it."""
        while True:
            end = self._buf.find(b"\n", self._at, self._at + _LINE_LIMIT)
            if end >= 0:
                return self._take(end + 1 - self._at)
            have = len(self._buf) - self._at
            if have >= _LINE_LIMIT or not self._fill(max(self._block, have)):  # (doubling)
                return self._take(_LINE_LIMIT)

    def read(self, size: int) -> bytes:
        have = len(self._buf) - self._at
        if size <= have + self._block:
            while len(self._buf) - self._at < size and self._fill():
                pass
            return self._take(size)
        # Much more than a block (a Content-Length body): read at once, not block by block.
        data = self._buf[self._at :] + self._stream.read(size - have)
        self._buf, self._at = b"", 0
        self.pos += len(data)
        return data

    def unread(self, data: bytes) -> None:
        """Push back ``data``: the bytes last read and not pushed back yet, in order."""
        if len(data) <= self._at:  # still in the buffer, just before the next byte
            self._at -= len(data)
        else:
            self._buf = data + self._buf[self._at :]
            self._at = 0
        self.pos -= len(data)

    def _window(self) -> int:
        """Where the buffered bytes end, with at least a block from here unless the stream
        ends first."""
        if len(self._buf) - self._at < self._block:
            self._fill()
        return len(self._buf)

    def plain_lines(self) -> bytes:
        """Whole lines from here up to the next one that starts with ``From `` (which may be
        a separator), as many as the buffer holds; b"" when the next line is such a line or
        is not whole in the buffer (then read a line at a time). A body is mostly such
        lines: taken together they cost one search instead of a loop per line. Call only at
        the start of a line."""
        if not self._runs:
            return b""
        end = self._window()
        buf, at = self._buf, self._at
        if buf.startswith(b"From ", at):
            return b""
        cut = buf.find(b"\nFrom ", at, end) + 1 or buf.rfind(b"\n", at, end) + 1
        return self._take(cut - at) if cut > at else b""

    def header_lines(self) -> bytes:
        """Whole header lines from here up to the blank line that ends them (not taken), as
        ``plain_lines`` takes body lines: none that starts with ``From `` (a message with no
        body may be followed by the next one's separator), and b"" when the next line is
        blank or is such a line. Call only at the start of a line."""
        if not self._runs:
            return b""
        end = self._window()
        buf, at = self._buf, self._at
        if buf.startswith((b"\n", b"\r\n", b"From "), at):
            return b""
        # The first blank line: a CRLF one is looked for only before the first LF one.
        lf = buf.find(b"\n\n", at, end)
        crlf = buf.find(b"\n\r\n", at, lf + 2 if lf >= 0 else end)
        blank = crlf if crlf >= 0 else lf
        cut = blank + 1 if blank >= 0 else buf.rfind(b"\n", at, end) + 1
        cut = buf.find(b"\nFrom ", at, cut) + 1 or cut
        return self._take(cut - at) if cut > at else b""


class _Variant:
    """What the file's quoting says about its mbox variant."""

    def __init__(self) -> None:
        self.deep_quoted = False  # a ">>From " line: only mboxrd writes those
        self.quoted = False  # a ">From " line
        self.by_length = False  # a message framed by a consistent Content-Length

    def see(self, line: bytes) -> None:
        if line.startswith(b">"):
            m = _QUOTED_FROM.match(line)
            if m:
                self.quoted = True
                if len(m.group(1)) > 1:
                    self.deep_quoted = True

    def see_lines(self, data: bytes) -> None:
        """``see`` for every line of ``data`` (whole lines)."""
        if self.deep_quoted or b"From " not in data:
            return  # nothing more to learn, or no line to learn from
        for m in _QUOTED_FROM_LINE.finditer(data):
            self.see(m.group(0))

    def name(self) -> str:
        if self.by_length:
            return "mboxcl" if self.quoted else "mboxcl2"
        if self.deep_quoted:
            return "mboxrd"
        if self.quoted:
            return "mboxo"
        return "mbox"


class _Message:
    """The message being read: its lines and where it started."""

    def __init__(self, byte_start: int, line_start: int) -> None:
        self.byte_start = byte_start
        self.line_start = line_start
        self.parts: list[bytes] = []
        self.lines = 0
        self.in_headers = True
        self.content_length: int | None = None

    def add(self, data: bytes, lines: int) -> None:
        self.parts.append(data)
        self.lines += lines


class _MboxParser:
    def __init__(self, stream: BinaryIO, runs: bool = True, block: int = _BLOCK) -> None:
        self.r = _Reader(stream, runs, block)
        self.line_no = 0  # lines read so far
        self.variant = _Variant()
        self.count = 0

    def _next_is_message(self) -> bool:
        """Whether the line after a ``From `` line is a header (peeks, then pushes back)."""
        nxt = self.r.readline()
        self.r.unread(nxt)
        return _is_header(nxt)

    def _starts_message(self, line: bytes, after_blank: bool) -> bool:
        if not line.startswith(b"From "):
            return False
        if after_blank and is_separator(line):
            return True
        return self._next_is_message() and (after_blank or is_separator(line))

    def run(self) -> Iterator[ParseRecord]:
        yield from self._preamble()
        msg: _Message | None = None
        after_blank = True
        line = b"\n"
        while True:
            if msg is not None and line.endswith(b"\n"):
                if msg.in_headers:
                    block = self.r.header_lines()
                    if block:
                        self._header_block(msg, block)
                        after_blank = False
                        continue
                else:
                    body = self.r.plain_lines()
                    if body:
                        after_blank = self._body_lines(msg, body)
                        continue
            line = self.r.readline()
            if not line:
                break
            self.line_no += 1
            if self._starts_message(line, after_blank):
                if msg is not None:
                    yield from self._finish(msg, at_eof=False)
                msg = _Message(self.r.pos, self.line_no + 1)
                after_blank = True
                continue
            if msg is None:  # only reached after the preamble when the file has none
                continue
            msg.add(line, 1)
            after_blank = _is_blank(line)
            if msg.in_headers:
                self._header_line(msg, line)
            else:
                self.variant.see(line)
        if msg is not None:
            yield from self._finish(msg, at_eof=True)
        if self.count:
            yield SourceFact("mbox_variant", self.variant.name())

    def _body_lines(self, msg: _Message, data: bytes) -> bool:
        """Body lines none of which starts with ``From ``, as the line loop would take them one
        by one; returns whether the last is blank. A blank last line stays a part of its own,
        as ``_finish`` looks for it there."""
        lines = data.count(b"\n")
        self.line_no += lines
        self.variant.see_lines(data)
        last_start = data.rfind(b"\n", 0, len(data) - 1) + 1
        blank = _is_blank(data[last_start:])
        if blank and last_start:
            msg.add(data[:last_start], lines - 1)
            msg.add(data[last_start:], 1)
        else:
            msg.add(data, lines)
        return blank

    def _preamble(self) -> Iterator[ParseRecord]:
        """Bytes before the first separator: blank lines are skipped, anything else reported."""
        skipped: list[bytes] = []
        start_line = self.line_no + 1
        found = False
        while True:
            line = self.r.readline()
            if not line:
                break
            if line.startswith(b"From ") and (is_separator(line) or self._next_is_message()):
                self.r.unread(line)
                found = True
                break
            self.line_no += 1
            skipped.append(line)
        text = b"".join(skipped)
        if text.strip():
            reason = (
                "text before the first 'From ' separator line, kept only here"
                if found
                else "not an mbox: no 'From ' separator line found"
            )
            yield ParseIssue(
                reason,
                text[:_ISSUE_TEXT].decode("utf-8", "replace"),
                start_line,
                self.line_no,
                0,
                "warning" if found else "error",
            )

    def _header_block(self, msg: _Message, data: bytes) -> None:
        """Header lines, none blank and none starting with ``From ``, as the line loop would
        take them one by one."""
        lines = data.count(b"\n")
        self.line_no += lines
        msg.add(data, lines)
        for m in _C_LINE.finditer(data):  # (only a Content-Length line matters here)
            self._header_line(msg, m.group(0))

    def _header_line(self, msg: _Message, line: bytes) -> None:
        if _is_blank(line):
            msg.in_headers = False
            if msg.content_length is not None:
                self._body_by_length(msg, msg.content_length)
            return
        if line[:1] in (b"C", b"c"):
            m = _CONTENT_LENGTH.match(line)
            if m:
                msg.content_length = int(m.group(1))

    def _body_by_length(self, msg: _Message, length: int) -> None:
        """Take the body as ``length`` bytes when the separators agree (mboxcl/mboxcl2)."""
        if length > _MAX_CONTENT_LENGTH:
            return
        body = self.r.read(length)
        peeked = [self.r.readline()]
        if _is_blank(peeked[0]):
            peeked.append(self.r.readline())
        end = peeked[-1]
        self.r.unread(b"".join(peeked))
        fits = not end or (end.startswith(b"From ") and is_separator(end))
        if len(body) < length and not end:
            msg.content_length = -length  # truncated: reported when the message is finished
            fits = True
        if not fits:
            self.r.unread(body)
            msg.content_length = None
            return
        self.variant.by_length = True
        for body_line in body.splitlines(keepends=True):
            self.variant.see(body_line)
        lines = body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)
        msg.add(body, lines)
        self.line_no += lines

    def _finish(self, msg: _Message, at_eof: bool) -> Iterator[ParseRecord]:
        parts = msg.parts
        if len(parts) > 1 and _is_blank(parts[-1]):
            # The blank line an mbox writer adds after each message (the last one too) is
            # framing, not message.
            parts.pop()
            msg.lines -= 1
        raw = b"".join(parts)
        if not raw.strip():
            where = (msg.line_start - 1, msg.line_start - 1, msg.byte_start)
            yield ParseIssue("empty message: a 'From ' line with nothing after it", "", *where)
            return
        self.count += 1
        line_end = msg.line_start + max(msg.lines, 1) - 1
        end = msg.byte_start + len(raw)
        yield EmailRecord(raw, "", msg.byte_start, end, msg.line_start, line_end)
        yield from self._problems(msg, raw, at_eof, line_end)

    def _problems(
        self, msg: _Message, raw: bytes, at_eof: bool, line_end: int
    ) -> Iterator[ParseIssue]:
        where = (msg.line_start, line_end, msg.byte_start)
        if msg.content_length is not None and msg.content_length < 0:
            yield ParseIssue(
                f"message truncated: Content-Length says {-msg.content_length} bytes, "
                "the file ends before",
                raw[-_ISSUE_TEXT:].decode("utf-8", "replace"),
                *where,
            )
        elif msg.in_headers:
            yield ParseIssue(
                "message has headers only (no blank line before a body): it may be truncated",
                raw[-_ISSUE_TEXT:].decode("utf-8", "replace"),
                *where,
            )
        elif at_eof and not raw.endswith(b"\n"):
            yield ParseIssue(
                "last message does not end with a line break: the file may be truncated",
                raw[-_ISSUE_TEXT:].decode("utf-8", "replace"),
                *where,
            )


class MboxFormat:
    name = "mbox"
    platform = "email"
    companion_names: frozenset[str] = frozenset()
    emails_at_offsets = True  # each email's byte_end is where it ends in the file: progress

    def sniff(self, head: bytes, filename: str) -> float:
        return sniff(head, filename)

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        return few_collections(_records(stream))


def _records(stream: BinaryIO) -> Iterator[ParseRecord]:
    """The file's records; the variant first when reading its messages depends on it.

    Only an mboxrd's quoting is undone for reading (an mboxo cannot tell a quoted line from
    one written with ">From "), and the variant is known only once the whole file is read. So
    a file that has a line quoted twice, which only mboxrd writes, is read twice: a first pass
    for its variant, then its messages after that fact (seeking back, for a stream that can).
    """
    variant = _variant_first(stream)
    if variant is None:
        yield from _MboxParser(stream).run()
        return
    yield SourceFact("mbox_variant", variant)
    for record in _MboxParser(stream).run():
        if not (isinstance(record, SourceFact) and record.key == "mbox_variant"):
            yield record


def _variant_first(stream: BinaryIO) -> str | None:
    """The variant, from a first pass, when the file has a line quoted twice and is cheap to
    read again; else None (read in one pass: nothing to undo, or no cheap way to look ahead).
    A file on disk or in memory is cheap (looking for such lines costs about 1 ms a MB); a
    member of a zip is not (each pass decompresses it again), so a zipped mboxrd keeps its
    quoting in the text read, as written."""
    try:
        if not (isinstance(stream, io.BytesIO) or _on_disk(stream)) or not stream.seekable():
            return None
        start = stream.tell()
        deep = _has_deep_quoting(stream)
        stream.seek(start)
        if not deep:
            return None
        first = _MboxParser(stream)
        for _ in first.run():
            pass
        stream.seek(start)
    except (OSError, ValueError):  # a stream that says it can seek and cannot
        return None
    return first.variant.name() if first.count else None


def _on_disk(stream: BinaryIO) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):  # (io.UnsupportedOperation is an OSError)
        return False
    return True


def _has_deep_quoting(stream: BinaryIO) -> bool:
    """Whether a line starts with ">>From " (or more ">"), read a block at a time."""
    carried = b"\n"  # the file's start is a line's start
    while True:
        block = stream.read(_SCAN_BLOCK)
        if not block:
            return False
        buffer = carried + block
        if _DEEP_QUOTED.search(buffer):
            return True
        # The start of the line the next block may end (a line of thousands of ">" is not
        # looked at whole: then the file is read in one pass, as any other).
        last_line = buffer.rfind(b"\n")
        carried = buffer[last_line:] if 0 <= last_line >= len(buffer) - _CARRIED else b""


def sniff(head: bytes, filename: str) -> float:
    """0..1: a ``From addr date`` first line followed by header lines.

    0.9 for a separator with a header after it (0.7 when only the header vouches for the
    ``From `` line); +0.05 for a second separator in the head or an mbox-like name; -0.15 for a
    single-message name (``.eml``) with one message in the head, so that EML keeps those.
    """
    lines = head.split(b"\n", 40)
    while lines and not lines[0].strip():
        lines.pop(0)
    if len(lines) < 2 or not lines[0].startswith(b"From "):
        return 0.0
    first = lines[0] + b"\n"
    if not _is_header(lines[1]):
        return 0.3 if is_separator(first) else 0.0
    score = 0.9 if is_separator(first) else 0.7
    name = filename.lower()
    many = second_message_at(head) >= 0
    if many:
        score += 0.05
    if name.endswith(_MBOX_NAMES) or "." not in PurePath(name).name:
        score += 0.05
    elif name.endswith(_SINGLE_MESSAGE_NAMES) and not many:
        score -= 0.15
    return round(min(score, 1.0), 3)


MBOX = MboxFormat()
