"""Store the emails a mailbox source yields: messages, recipients, attachments, copies.

Runs inside the caller's transaction, like the chat loader. The same email found in several
mailboxes (the sender's Sent folder, each recipient's inbox) is stored once: later finds become
further copies of it, each with its own source and custodian. Threads are made afterwards, for
the whole case at once (``dossier.ingest.threading``).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from dossier.email.dkim import DkimResult, KeyStore, verify
from dossier.email.extract import attachment_text
from dossier.email.model import Address, ParsedEmail
from dossier.email.threads import NO_SUBJECT, lone_thread_uid
from dossier.formats.base import MessageFormat, ParseOptions
from dossier.formats.mbox import unquote_from
from dossier.model import EmailRecord, ParseIssue, ParseRecord, SourceFact
from dossier.store.sqlite import SqliteStore
from dossier.textnorm import search_text
from dossier.timeutil import now_iso

if TYPE_CHECKING:
    from dossier.case import Case
    from dossier.ingest.mailboxbatch import MailboxBatch

MAX_NESTING = 5  # emails attached to emails attached to ...


@dataclass
class MailContext:
    source_id: int
    source_sha: str
    options: ParseOptions
    dkim_keys: KeyStore | None = None  # verify signatures as they are read, when given
    folder: str = ""  # the mailbox folder the file stands for (Maildir, mbox name), if any
    # Told how many more bytes of the file are read, for a format whose emails say where they
    # end in it (an mbox); None: no progress shown.
    advance: Callable[[int], None] | None = None


@dataclass
class MailResult:
    messages: int = 0  # new messages stored
    duplicates: int = 0  # emails already in the case: recorded as further copies
    near_duplicates: int = 0  # same text as an email in the case, different headers
    issues: int = 0
    facts: dict[str, str] = field(default_factory=dict)
    conversations: dict[str, int] = field(default_factory=dict)


class Signatures(NamedTuple):
    """What an email's signatures say: DKIM's status and why, and the ARC chain's status
    (none: no ARC set; unchecked: a set, but no key store; else pass, fail or no-key)."""

    dkim: str
    detail: str | None
    arc: str


def check_signatures(raw: bytes, keys: KeyStore | None) -> Signatures:
    """Verified against ``keys``; without them, only whether the email is signed."""
    if keys is not None:
        result = verify(raw, keys)
        if "fail" in (result.status, result.arc):
            result = _as_sent(raw, keys, result)
        detail = result.detail
        if result.arc != "none":  # an ARC chain was present: say how it fared
            detail = f"{detail}; ARC {result.arc}" + (
                f" ({result.arc_detail})" if result.arc_detail else ""
            )
        return Signatures(result.status, detail, result.arc)
    head = b"\n" + raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0].lower()
    arc = "unchecked" if b"\narc-seal:" in head else "none"
    if b"\ndkim-signature:" in head:
        return Signatures("unchecked", "signed; give a key store (--dkim-keys) to verify it", arc)
    return Signatures("unsigned", None, arc)


NOT_CHECKED = Signatures("unchecked", None, "none")  # an item without RFC 822 bytes
_QUOTED_FROM_LINE = re.compile(rb"^>+From ", re.MULTILINE)


def _as_sent(raw: bytes, keys: KeyStore, failed: DkimResult) -> DkimResult:
    """An email kept in an mbox has a ">" put before every line that began with "From "
    (and, in an mboxrd, before every such line already quoted): the stored bytes are not the
    signed ones, and the signature fails on them. It is checked again on the lines as sent;
    a pass there is proof (the signature covers the body), and says how it was found."""
    if not _QUOTED_FROM_LINE.search(raw):
        return failed
    tried = {raw}
    for variant in ("mboxrd", "mboxo"):
        sent = unquote_from(raw, variant)
        if sent in tried:
            continue
        tried.add(sent)
        again = verify(sent, keys)
        if not {again.status, again.arc} & {"fail", "error"}:
            note = f" (on the message as sent: the mbox's '>From ' quoting undone, {variant})"
            return replace(again, detail=again.detail + note)
    # An mboxo file cannot tell a line the sender began with ">From " from one it quoted.
    note = " Lines of it begin with '>From ': if it was kept in an mbox, that quoting may be why."
    return replace(failed, detail=failed.detail + note)


# Headers that each mailbox or server on the way adds to its own copy: two copies that differ
# only in these are the same email. Any other difference (a changed Subject, another Date, an
# extra To) makes them different emails, reported as near-duplicates when the text is the same.
TRACE_HEADERS = frozenset(
    h.lower()
    for h in (
        "Received",
        "Return-Path",
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "Status",
        "X-Status",
        "X-Keywords",
        "X-UID",
        "Content-Length",
        "Lines",
        "X-Folder",
        "X-FileName",
        "X-Origin",
        "X-From",
        "X-To",
        "X-cc",
        "X-bcc",
        "DKIM-Signature",
        "ARC-Seal",
        "ARC-Message-Signature",
        "ARC-Authentication-Results",
        "Authentication-Results",
        "Received-SPF",
        "X-Received",
        "X-Apparently-To",
        "X-Gmail-Labels",
        "X-GM-THRID",
        "X-Google-DKIM-Signature",
        "X-Google-Smtp-Source",
        "X-Spam-Status",
        "X-Spam-Score",
        "X-Spam-Level",
        "X-Spam-Checker-Version",
        "X-Spam-Flag",
        "X-Virus-Scanned",
        "X-Mozilla-Status",
        "X-Mozilla-Status2",
        "X-Mozilla-Keys",
        "X-Evolution-Source",
        "X-Account-Key",
        "X-Antivirus",
        "X-Antivirus-Status",
        "X-Originating-IP",
        "X-MS-Exchange-Organization-AuthAs",
        "X-MS-Has-Attach",
        "X-MS-TNEF-Correlator",
    )
)
_TRACE_PREFIXES = ("x-ms-exchange-", "x-forefront-", "x-microsoft-antispam", "x-spam-")


def content_hash(mail: ParsedEmail, text_key: str | None = None) -> str:
    """What makes two copies the same email: every header the sender's side set (not the
    trace headers each mailbox adds), the text and the attachments' bytes. ``text_key``:
    ``body_key(mail)``, when the caller has it."""
    digest = hashlib.sha256(_sender_headers(mail).encode("utf-8", "surrogatepass"))
    if not mail.headers:
        # An Outlook item with no transport headers (a draft, a sent item, a contact, an
        # appointment): what Outlook recorded of it instead, so two different items with the
        # same text are not taken for copies of one email.
        digest.update(_envelope_key(mail).encode("utf-8", "surrogatepass"))
    digest.update((text_key or body_key(mail)).encode("utf-8", "surrogatepass"))
    for part_hash in sorted(hashlib.sha256(p.payload).hexdigest() for p in mail.parts):
        digest.update(part_hash.encode())
    return digest.hexdigest()


def _sender_headers(mail: ParsedEmail) -> str:
    """Each header but the trace headers as "name:value" and a NUL, the name lowercase and
    the value's spacing squeezed, all in one string (hashed at once rather than in pieces)."""
    kept = []
    for name, value in mail.headers:
        lower = name.lower()
        if lower not in TRACE_HEADERS and not lower.startswith(_TRACE_PREFIXES):
            kept.append(f"{lower}:{' '.join(value.split())}\x00")
    return "".join(kept)


def _envelope_key(mail: ParsedEmail) -> str:
    people = [mail.sender, *mail.to, *mail.cc, *mail.bcc]
    fields = [
        mail.subject,
        str(mail.date_utc),
        mail.message_id,
        mail.extra.get("message_class", ""),
        *(f"{a.name}<{a.address.lower()}>" for a in people if a is not None),
    ]
    return "\x00".join(fields)


# When copies disagree, the message shows the most telling result: a copy that fails says
# something was altered; a pass says the email is authentic.
DKIM_RANK = ("fail", "pass", "no-key", "error", "unchecked", "unsigned")
ARC_RANK = ("fail", "pass", "no-key", "unchecked", "none")


def combine_dkim(first: str, second: str) -> str:
    return most_telling(DKIM_RANK, first, second)


def combine_signatures(old: Signatures, copy: Signatures) -> Signatures:
    """A message's result once another copy of it is checked: the most telling DKIM and ARC
    results, and the copy's own result noted when it changed either."""
    dkim = combine_dkim(old.dkim, copy.dkim)
    arc = most_telling(ARC_RANK, old.arc, copy.arc)
    if (dkim, arc) == (old.dkim, old.arc):
        return old
    note = f"another copy: {copy.dkim}" + (f" ({copy.detail})" if copy.detail else "")
    return Signatures(dkim, "; ".join(filter(None, [old.detail, note])), arc)


def most_telling(rank: tuple[str, ...], first: str, second: str) -> str:
    order = {status: n for n, status in enumerate(rank)}
    return min(first, second, key=lambda status: order.get(status, len(order)))


def text_hash(mail: ParsedEmail, text_key: str | None = None) -> str:
    """Same text, whatever the headers: near-duplicates share it."""
    key = text_key or body_key(mail)
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def body_key(mail: ParsedEmail) -> str:
    """The text two copies are compared on: spacing and case ignored."""
    if mail.text.isascii():
        return _ascii_key(mail.text)
    return " ".join(search_text(mail.text).split()).casefold()


# The characters str.split() splits ASCII text at, but space, made spaces; runs of spaces.
_ASCII_WHITESPACE = bytes.maketrans(b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f", b" " * 9)
_SPACES = re.compile(rb"  +")


def _ascii_key(text: str) -> str:
    """``body_key`` of ASCII text, done on bytes (search_text only turns CRs into LFs, which
    the squeezing makes spaces anyway): ' '.join(text.split()) makes a string of each word,
    which costs more than translating and squeezing the whole text."""
    spaced = text.encode("ascii").translate(_ASCII_WHITESPACE)
    return _SPACES.sub(b" ", spaced).strip(b" ").lower().decode("ascii")


# How an address is looked up as an identity: (kind, value, context, display name).
IdentityKey = tuple[str, str, str, str]
IssueRow = tuple[str, str, str, int | None, int | None, int | None]


def identity_key(address: Address, source_sha: str) -> IdentityKey | None:
    """An address's identity: the address itself, else a bare name (per source), else none."""
    if address.address:
        return ("email", address.address.lower(), "", address.name or address.address)
    if address.name:
        return ("name", address.name, source_sha, address.name)
    return None


def recipient_keys(mail: ParsedEmail, source_sha: str) -> list[tuple[str, int, IdentityKey]]:
    """(role, position, identity) for From, To, Cc, Bcc and Reply-To, in that order."""
    rows: list[tuple[str, int, IdentityKey]] = []
    groups = (
        ("from", (mail.sender,) if mail.sender else ()),
        ("to", mail.to),
        ("cc", mail.cc),
        ("bcc", mail.bcc),
        ("reply-to", mail.reply_to),
    )
    for role, addresses in groups:
        for position, address in enumerate(addresses):
            key = identity_key(address, source_sha)
            if key is not None:
                rows.append((role, position, key))
    return rows


def message_uid(source_sha: str, record: EmailRecord) -> str:
    """Stable: the file's hash, where the email starts in it, and the item inside it if any."""
    uid = f"m{source_sha[:10]}-{record.byte_start}"
    if record.item:
        uid += "-" + hashlib.blake2b(record.item.encode(), digest_size=4).hexdigest()
    return uid


def attached_record(record: EmailRecord, raw: bytes | None, number: int) -> EmailRecord:
    """The record of the ``number``th email attached to ``record``'s: where its own bytes sit
    in the file, when the parent carries them as they are (a message/rfc822 part, not
    re-encoded); otherwise the parent's place, with the attachment named in ``item``."""
    inner = record._replace(item=f"{record.item or ''}#attached-{number}")
    if raw is None or record.raw is None or record.item:
        return inner  # re-encoded, an Outlook item, or inside a .pst/.msg: no place in a file
    offset = record.raw.find(raw)
    if offset < 0 or not raw:
        return inner
    start = record.byte_start + offset
    first_line = (record.line_start or 1) + record.raw.count(b"\n", 0, offset)
    return inner._replace(
        raw=raw,
        byte_start=start,
        byte_end=start + len(raw),
        line_start=first_line,
        line_end=first_line + raw.count(b"\n", 0, len(raw) - 1),
    )


def searchable_text(mail: ParsedEmail, attachment_texts: list[str]) -> str:
    """What the full-text index sees: subject, body and the text read from attachments."""
    return search_text("\n\n".join([mail.subject, mail.text, *attachment_texts]))


def sent_time(mail: ParsedEmail) -> tuple[int, str]:
    """(epoch seconds, time flags): 0 and "no-date" when the Date header gave no time."""
    if mail.date_utc is None:
        return 0, "no-date"
    return mail.date_utc, ""


def record_issue_row(issue: ParseIssue) -> IssueRow:
    return (
        issue.severity,
        issue.reason,
        issue.raw[:4096],
        issue.line_start,
        issue.line_end,
        issue.byte_start,
    )


def email_issue_row(record: EmailRecord, reason: str) -> IssueRow:
    """A problem with one email, placed by its item or byte range."""
    where = record.item or f"bytes {record.byte_start}-{record.byte_end}"
    return (
        "warning",
        f"{where}: {reason}",
        "",
        record.line_start,
        record.line_end,
        record.byte_start,
    )


class _MailLoader:
    def __init__(self, case: Case, fmt: MessageFormat, ctx: MailContext) -> None:
        self.case = case
        self.store: SqliteStore = case.store
        self.fmt = fmt
        self.ctx = ctx
        self.result = MailResult()
        self.issues: list[IssueRow] = []
        self.batch: MailboxBatch | None = None  # plain emails workers read, stored in bulk

    def run(self, records: Iterator[object]) -> MailResult:
        self.next_id = self.unindexed = self.store.max_message_id() + 1
        read = 0  # bytes of the file read so far, as far as its emails say
        for record in records:
            if isinstance(record, EmailRecord):
                if self.batch is None or not self.batch.take(record):
                    self._flush()  # what is queued goes first: ids follow the mailbox
                    self._email(record)
                if self.ctx.advance is not None and record.byte_end > read:
                    self.ctx.advance(record.byte_end - read)
                    read = record.byte_end
            elif isinstance(record, ParseIssue):
                self._flush()  # (its issue row comes after those of the emails before it)
                self.issues.append(record_issue_row(record))
            elif isinstance(record, SourceFact):
                self.result.facts[record.key] = record.value
        self._flush()
        self.result.issues += self.store.add_issues(self.ctx.source_id, self.issues)
        self.store.add_facts(self.ctx.source_id, self.result.facts.items())
        if self.next_id > self.unindexed:  # (indexed with the other small sources at commit)
            self.store.index_later(self.unindexed)
        return self.result

    def index_now(self) -> None:
        """Add the emails stored so far to the search index now (a big mailbox: while the
        workers read on, not all at the end). Only this source's own: what other sources
        left to index is not touched, so undoing this one alone leaves theirs to be done."""
        if self.next_id > self.unindexed:
            self.store.index_messages_between(self.unindexed, self.next_id - 1)
            self.unindexed = self.next_id

    def _flush(self) -> None:
        if self.batch is not None:
            self.batch.flush()

    def _email(self, record: EmailRecord) -> None:
        if record.parsed is not None:
            mail = record.parsed
        elif record.raw is not None:
            mail = self._read(record.raw)
        else:
            return
        if mail is None:
            return
        self._store(mail, record, parent=None, depth=0)

    def _read(self, raw: bytes) -> ParsedEmail | None:
        from dossier.email.reader import read_email

        return read_email(unquoted(raw, self.result.facts))

    def _store(
        self, mail: ParsedEmail, record: EmailRecord, parent: int | None, depth: int
    ) -> None:
        key = body_key(mail)
        chash = content_hash(mail, key)
        existing = self.store.email_by_content(chash)
        if existing is not None:
            if record.raw is not None:
                self._add_copy_dkim(existing, record.raw)
            self.store.add_further_copy(
                existing,
                self.ctx.source_id,
                self._sender(mail),
                mail.date_text,
                record.line_start or 0,
                record.line_end or 0,
                record.byte_start,
                record.byte_end,
            )
            self.result.duplicates += 1
            return
        message_id = self._insert(mail, record, (chash, text_hash(mail, key)), parent)
        for number, (raw, nested) in enumerate(self._attached_emails(mail), 1):
            if depth >= MAX_NESTING:
                self._issue(record, f"an attached email nested over {MAX_NESTING} deep")
                break
            inner = attached_record(record, raw, number)
            self._store(nested, inner, parent=message_id, depth=depth + 1)
        for text in mail.issues:
            self._issue(record, text)

    def _attached_emails(self, mail: ParsedEmail) -> Iterator[tuple[bytes | None, ParsedEmail]]:
        """Emails inside this one, with their RFC 822 bytes: message/rfc822 parts, and
        attached Outlook .msg files (no such bytes)."""
        for raw in mail.nested:
            nested = self._read(raw)
            if nested is not None:
                yield raw, nested
        for part in mail.parts:
            if part.content_type == "application/vnd.ms-outlook" or part.filename.lower().endswith(
                ".msg"
            ):
                yield from ((None, item) for item in _outlook_items(part.payload))

    def _add_copy_dkim(self, message_id: int, raw: bytes) -> None:
        copy = check_signatures(unquoted(raw, self.result.facts), self.ctx.dkim_keys)
        old = Signatures(*self.store.get_dkim(message_id))
        combined = combine_signatures(old, copy)
        if combined != old:
            self.store.set_dkim(message_id, *combined)

    def _insert(
        self, mail: ParsedEmail, record: EmailRecord, hashes: tuple[str, str], parent: int | None
    ) -> int:
        """Store a new email; ``hashes``: its content and text hashes."""
        store = self.store
        message_id = self.next_id
        self.next_id += 1
        files = [
            self._attachment(part.filename, part.payload, part.content_type, n)
            for n, part in enumerate(mail.parts, 1)
        ]
        texts = [text for _, _, _, text in files if text]
        searchable = searchable_text(mail, texts)
        uid = message_uid(self.ctx.source_sha, record)
        sent_at, flags = sent_time(mail)
        if parent is not None and store.uid_exists(uid):
            uid += f"-{message_id}"
        signed = NOT_CHECKED
        if record.raw is not None:
            signed = check_signatures(unquoted(record.raw, self.result.facts), self.ctx.dkim_keys)
        in_reply_to, references = " ".join(mail.in_reply_to), " ".join(mail.references)
        conversation = store.add_conversation(
            lone_thread_uid(message_id, mail.message_id, in_reply_to, references),
            "email",
            mail.subject or NO_SUBJECT,
            now_iso(),
        )
        store.insert_email_message(
            (
                message_id,
                uid,
                conversation,
                "email",
                self._sender(mail),
                mail.text,
                searchable,
                sent_at,
                mail.date_text,
                mail.date_offset or "UTC",
                1,
                flags,
                0,
                self.ctx.source_id,
                record.line_start or 0,
                record.line_end or 0,
                record.byte_start,
                record.byte_end,
            ),
            (
                message_id,
                mail.subject,
                mail.message_id,
                in_reply_to,
                references,
                mail.headers_raw,
                mail.html,
                mail.new_text,
                record.folder or self.ctx.folder,
                record.item,
                *hashes,
                parent,
                *signed,
            ),
        )
        store.mark_unthreaded([message_id])
        store.insert_recipients(message_id, self._recipients(mail))
        store.insert_attachment_rows(
            [(message_id, name, source_id, ctype, text) for name, source_id, ctype, text in files]
        )
        if store.text_hash_count(hashes[1]) > 1:
            self.result.near_duplicates += 1
        self.result.messages += 1
        return message_id

    def _sender(self, mail: ParsedEmail) -> int | None:
        return self._identity(mail.sender) if mail.sender else None

    def _identity(self, address: Address) -> int | None:
        key = identity_key(address, self.ctx.source_sha)
        if key is None:
            return None
        kind, value, context, display = key
        return self.store.identity(kind, value, context, display=display)

    def _recipients(self, mail: ParsedEmail) -> list[tuple[str, int, int]]:
        store = self.store
        return [
            (role, store.identity(kind, value, context, display=display), position)
            for role, position, (kind, value, context, display) in recipient_keys(
                mail, self.ctx.source_sha
            )
        ]

    def _attachment(
        self, filename: str, payload: bytes, content_type: str, number: int
    ) -> tuple[str, int, str, str | None]:
        name = filename or f"attachment-{number}"
        sha, size = self.case.store_object(io.BytesIO(payload))
        existing = self.store.source_by_sha(sha)
        if existing is not None:
            source_id = int(existing["id"])
        else:
            source_id = self.store.add_source(
                sha256=sha,
                name=name,
                size=size,
                role="attachment",
                status="stored",
                parent_id=self.ctx.source_id,
                stored=1,
                ingested_at=now_iso(),
            )
        return name, source_id, content_type, attachment_text(name, content_type, payload)

    def _issue(self, record: EmailRecord, reason: str) -> None:
        self.issues.append(email_issue_row(record, reason))


def unquoted(raw: bytes, facts: dict[str, str]) -> bytes:
    """An email's bytes as read, given its source's facts so far: an mboxrd's quoting undone
    (for reading only; the stored bytes keep it)."""
    if facts.get("mbox_variant") == "mboxrd":
        return unquote_from(raw, "mboxrd")
    return raw


def _outlook_items(payload: bytes) -> Iterator[ParsedEmail]:
    """The email inside an attached .msg file (none if it cannot be read; it stays attached)."""
    from dossier.formats.outlook_msg import OUTLOOK_MSG

    if OUTLOOK_MSG.sniff(payload[:4096], "attached.msg") <= 0:
        return
    for record in OUTLOOK_MSG.parse(io.BytesIO(payload), "attached.msg", ParseOptions()):
        if isinstance(record, EmailRecord) and record.parsed is not None:
            yield record.parsed


def load_mail(
    case: Case,
    fmt: MessageFormat,
    opener: Callable[[], BinaryIO],
    filename: str,
    ctx: MailContext,
    prepared: list[ParseRecord] | None = None,
) -> MailResult:
    """Parse a mailbox source with ``fmt`` and store every email it holds. ``prepared``: the
    records a worker already read from the same bytes (see ``prefetch``)."""
    if prepared is not None:
        return _MailLoader(case, fmt, ctx).run(iter(prepared))
    from dossier.ingest.mailboxbatch import MailboxBatch
    from dossier.ingest.mailreaders import MailReaders

    with opener() as stream, MailReaders(ctx.source_sha, ctx.dkim_keys) as readers:
        records = readers.read(iter(fmt.parse(stream, filename, ctx.options)), unquoted)
        loader = _MailLoader(case, fmt, ctx)
        loader.batch = MailboxBatch(loader)
        return loader.run(records)
