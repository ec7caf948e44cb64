"""Turning an accepted header and its text into a MessageRecord, with exact positions.

Positions: ``line_start``/``line_end`` are 1-based and inclusive; ``byte_start`` is the first
byte of the header line in the original file and ``byte_end`` is just past the message's last
character. Trailing line breaks are not content: WhatsApp trims messages when they are sent,
so blank lines after a message's text (before the next header or at the end of the file) are
layout. They stay inside the file's byte ranges *between* messages, not in any body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import classify as C
from dossier.formats.whatsapp.decode import BAD_CHARS_RE
from dossier.formats.whatsapp.grammar import describe
from dossier.formats.whatsapp.names import conversation_title_from_filename
from dossier.formats.whatsapp.segments import Overflow, TextStats
from dossier.model import MessageRecord, ParseIssue, ParseRecord, SourceFact

RAW_CAP = 4096
_new: Callable[..., Any] = tuple.__new__
_INVISIBLE_FIRST = C.SLOW_FIRST
_SLOW_FIRST, _SLOW_LAST, _SLOW_PREFIXES, _SLOW_EXACT = (
    C.SLOW_FIRST,
    C.SLOW_LAST,
    C.SLOW_PREFIXES,
    C.SLOW_EXACT,
)


# year, month, day, ordinal * 86400, midnight as a datetime
DAY = tuple[int, int, int, int, datetime]
# h, m, s, seconds of the day, has_seconds, flags, seconds as a timedelta
TIME = tuple[int, int, int, int, bool, tuple[str, ...], timedelta]
# A header being built: [match, timestamp seconds, DAY, TIME, text so far, Overflow | None].
# A list rather than an object: one is made per message.
Header = list[Any]


def absorb(h: Header, text: str, over: Overflow | None) -> None:
    """Append a continuation (a rejected header line and its text) to header ``h``."""
    if h[5] is None:
        h[4] += text
        h[5] = over
        return
    # Already over the cap: everything after is counted, not kept.
    o: Overflow = h[5]
    nbytes = o.nbytes + len(text.encode("utf-8", "surrogateescape"))  # exact for UTF-8
    chars, newlines, tail = o.chars + len(text), o.newlines + text.count("\n"), (o.tail + text)
    if over is not None:
        chars, nbytes = chars + over.chars, nbytes + over.nbytes
        newlines, tail = newlines + over.newlines, over.tail
    h[5] = Overflow(chars, nbytes, newlines, tail[-256:])


class Emitter:
    def __init__(
        self,
        filename: str,
        options: ParseOptions,
        base_bytes: int,
        byte_len: Callable[[str], int],
        unit: int,
        stats: TextStats,
    ) -> None:
        self.title = (
            options.conversation or conversation_title_from_filename(filename) or "WhatsApp chat"
        )
        self.byte = base_bytes
        self.line = 1
        self.byte_len = byte_len
        self.unit = unit
        self.stats = stats
        self.base_bytes = base_bytes
        self.known: set[str] = set()
        self.first = True
        self.crlf_mode = False
        self.order = "dmy"
        self.issues: list[ParseRecord] = []  # records to yield after the current message

    def flush(self) -> Iterator[ParseRecord]:
        issues, self.issues = self.issues, []
        yield from issues

    # -- text before the first header -----------------------------------------------------

    def preamble(self, text: str, over: Overflow | None) -> Iterator[ParseRecord]:
        nbytes = self.byte_len(text) + (over.nbytes if over else 0)
        lines = text.count("\n") + (over.newlines if over else 0)
        full = len(text) + (over.chars if over else 0)
        if text.strip("\r\n"):
            raw = text[:RAW_CAP]
            note = "" if full <= RAW_CAP else f" (first {RAW_CAP} of {full} characters shown)"
            yield ParseIssue(
                reason="text before the first WhatsApp header line" + note,
                raw=_clean(raw),
                line_start=self.line,
                line_end=self.line + max(lines - (1 if text.endswith("\n") else 0), 0),
                byte_start=self.byte,
            )
        self.line += lines
        self.byte += nbytes

    # -- messages ---------------------------------------------------------------------------

    def message(self, h: Header) -> MessageRecord:
        """The record for header ``h``; positions advance past its text."""
        m, _, day, tm, text, over = h
        start = m.start(1)
        byte_start, line_start, unit = self.byte, self.line, self.unit
        if over is None:
            content = text.rstrip("\r\n")
            nbytes = len(text) * unit if text.isascii() else self.byte_len(text)
            nl = text.count("\n")
            cut = len(text) - len(content)
            line_end = line_start + nl - (1 if cut == 1 else text.count("\n", len(content)))
            byte_end = byte_start + nbytes - cut * unit
        else:
            content = text
            nbytes = self.byte_len(text) + over.nbytes
            nl = text.count("\n") + over.newlines
            kept = over.tail.rstrip("\r\n")
            line_end = line_start + nl - over.tail.count("\n", len(kept))
            byte_end = byte_start + nbytes - (len(over.tail) - len(kept)) * unit
            self._overflow_issue(over, len(text), line_start, line_end, byte_start, byte_end)
        self.line += nl
        self.byte += nbytes
        if self.first:
            self._first_facts(m)
        header_text = text[: m.end(1) - start]
        # Fast path: "Known Name: plain text" on one line; everything else goes to _split.
        r0 = m.end() - start
        nl = content.find("\n", r0)
        colon = content.find(": ", r0, len(content) if nl < 0 else nl)
        name = content[r0:colon] if colon > r0 else None
        body = content[colon + 2 :] if name is not None else ""
        if (
            name in self.known
            and nl < 0
            and body
            and body[0] not in _SLOW_FIRST
            and body[-1] not in _SLOW_LAST
            and not body.startswith(_SLOW_PREFIXES)
            and (len(body) >= 48 or body.lower() not in _SLOW_EXACT)
        ):
            sender, kind, edited = name, "text", False
            attachments: tuple[str, ...] = ()
        else:
            sender, kind, body, attachments, edited = self.split(content[r0:])
        if self.stats.bad and BAD_CHARS_RE.search(text):
            body, header_text = _clean(body), _clean(header_text)
            sender = None if sender is None else _clean(sender)
            self._bad_bytes_issue(content, line_start, line_end, byte_start)
        rec: MessageRecord = _new(
            MessageRecord,
            (
                self.title,
                sender,
                kind,
                body,
                header_text,
                day[4] + tm[6],
                tm[4],
                line_start,
                line_end,
                byte_start,
                byte_end,
                attachments,
                edited,
                tm[5],
                None,
                None,
            ),
        )
        return rec

    def _overflow_issue(
        self, over: Overflow, kept: int, line_start: int, line_end: int, start: int, end: int
    ) -> None:
        self.issues.append(
            ParseIssue(
                reason=f"message longer than the parser keeps: {over.chars} characters after "
                f"the first {kept} are not in the body (bytes {start}-{end} of the source "
                "hold all of it)",
                raw=_clean(over.tail[-RAW_CAP:]),
                line_start=line_start,
                line_end=line_end,
                byte_start=start,
            )
        )

    def _bad_bytes_issue(self, content: str, line_start: int, line_end: int, start: int) -> None:
        self.issues.append(
            ParseIssue(
                reason="undecodable bytes in this message were replaced by U+FFFD",
                raw=_clean(content[:RAW_CAP]),
                line_start=line_start,
                line_end=line_end,
                byte_start=start,
            )
        )

    def split(self, rest: str) -> tuple[str | None, str, str, tuple[str, ...], bool]:
        """(sender, kind, body, attachments, edited) of the text after the header."""
        nl = rest.find("\n")
        first = rest if nl < 0 else rest[:nl]
        colon = first.find(": ")
        if colon > 0:
            name, body = first[:colon], rest[colon + 2 :]
            if name in self.known:
                if (
                    (body and (body[0] in C.SLOW_FIRST or body[-1] in C.SLOW_LAST))
                    or "\n" in body
                    or body.startswith(C.SLOW_PREFIXES)
                    or (len(body) < 48 and body.lower() in C.SLOW_EXACT)
                ):
                    return self._authored(name, body)
                return name, "text", body, (), False
            # A system line whose quoted subject/description holds ": " looks authored; the
            # would-be name then quotes or is itself system text, and is nobody we know.
            suspicious = C.has_quote(name) or C.is_system_text(name, strict=False)
            if suspicious and C.is_system_text(first, strict=False):
                return None, C.system_kind(first), rest, (), False
            return self._authored(name, body)
        line = first.rstrip("\r")
        if line.endswith(":.") and " " not in line[-3:-2]:
            name = line[:-2]
            return name, "view_once", rest[len(name) + 1 :], (), False
        if line.endswith(":") and len(line) > 1:
            name = line[:-1]
            self.known.add(name)
            return name, "text", rest[len(line) :], (), False
        return None, C.system_kind(first), rest, (), False

    def _authored(self, name: str, body: str) -> tuple[str | None, str, str, tuple[str, ...], bool]:
        lead_invisible = body[:1] in _INVISIBLE_FIRST and body[:1] != "<"
        if C.is_system_text(body.split("\n", 1)[0], strict=not lead_invisible):
            return name, C.system_kind(body), body, (), False
        self.known.add(name)
        kind, attachments, edited = C.body_kind(body)
        return name, kind, body, attachments, edited

    # -- facts ----------------------------------------------------------------------------

    def _first_facts(self, m: re.Match[str]) -> None:
        self.first = False
        self.issues.append(SourceFact("layout", "ios" if m.group("ob") else "android"))
        self.issues.append(SourceFact("header_format", describe(m, self.order)))

    def finish(self) -> Iterator[ParseRecord]:
        s = self.stats
        bare = s.lf - s.crlf
        endings = "crlf" if s.crlf and not bare else "mixed" if s.crlf else "lf"
        if s.lf:
            yield SourceFact("line_endings", endings)
        boms = s.feff + (1 if self.base_bytes else 0)
        if boms:
            yield SourceFact("bom_count", str(boms))


def _clean(text: str) -> str:
    """Output text must be valid Unicode: lone surrogates (undecodable bytes) become U+FFFD."""
    return BAD_CHARS_RE.sub("\ufffd", text)
