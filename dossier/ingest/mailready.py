"""The rows of a one-email file, worked out away from the case (in a prefetch worker).

Most files of a Maildir or an Enron folder hold one plain email: no attachments, no email inside
it. For such a file everything its rows will hold, except the ids the case hands out (source,
message, identities), depends on its bytes alone: hashes, text for search, DKIM, recipients.
Working that out in a worker leaves the writer only the SQL (see ``mailbatch``). The values
come from the same functions the loader in ``mail`` uses, so both paths store the same rows.
"""

from __future__ import annotations

from typing import NamedTuple

from dossier.email.dkim import KeyStore
from dossier.email.model import ParsedEmail
from dossier.formats.eml import maildir_folder
from dossier.ingest.mail import (
    IdentityKey,
    IssueRow,
    Signatures,
    body_key,
    check_signatures,
    content_hash,
    email_issue_row,
    identity_key,
    message_uid,
    recipient_keys,
    record_issue_row,
    searchable_text,
    sent_time,
    text_hash,
)
from dossier.model import EmailRecord, ParseIssue, ParseRecord, SourceFact


class ReadyEmail(NamedTuple):
    uid: str
    sender: IdentityKey | None
    recipients: list[tuple[str, int, IdentityKey]]  # (role, position, identity)
    text: str
    searchable: str
    sent_at: int
    time_flags: str
    date_text: str
    zone: str
    line_start: int
    line_end: int
    byte_start: int
    byte_end: int
    subject: str
    message_id: str
    in_reply_to: str
    references: str
    headers_raw: str
    html: str | None
    new_text: str
    content_hash: str
    text_hash: str
    signatures: Signatures
    issues: list[IssueRow]  # stored only if the email is new (a copy's problems are the first's)


class ReadyFile(NamedTuple):
    folder: str  # the mail folder the file's path stands for
    facts: list[tuple[str, str]]
    issues_before: list[IssueRow]  # the file's own problems, before and after its email
    issues_after: list[IssueRow]
    email: ReadyEmail


def ready_file(
    records: list[ParseRecord], source_sha: str, path: str, keys: KeyStore | None
) -> ReadyFile | None:
    """The rows of a file whose records hold one plain email (already read into ``parsed``);
    None for anything else (several emails, attachments, embedded emails), which the loader
    in ``mail`` stores the usual way."""
    emails = [r for r in records if isinstance(r, EmailRecord)]
    if len(emails) != 1:
        return None
    record = emails[0]
    mail = record.parsed
    if not isinstance(mail, ParsedEmail) or record.raw is None or not is_plain(mail):
        return None
    if record.item or record.folder:
        return None  # the lane files its emails under the file's folder, as eml files are
    facts: dict[str, str] = {}
    before: list[IssueRow] = []
    after: list[IssueRow] = []
    current = before  # the loader lists issues in record order, the email's own in between
    for item in records:
        if item is record:
            current = after
        elif isinstance(item, SourceFact):
            facts[item.key] = item.value
        elif isinstance(item, ParseIssue):
            current.append(record_issue_row(item))
    if facts.get("mbox_variant") == "mboxrd":
        return None  # its bytes are read unquoted: the loader knows how
    email = ready_email(mail, record, source_sha, keys)
    return ReadyFile(_folder(path), list(facts.items()), before, after, email)


_FOLDERS: dict[str, str] = {}  # directory -> mail folder: files of a folder come together


def _folder(path: str) -> str:
    """``maildir_folder(path)``, which looks only at the directory, once per directory."""
    directory = path.replace("\\", "/").rpartition("/")[0]  # the parent it reads
    found = _FOLDERS.get(directory)
    if found is None:
        if len(_FOLDERS) > 1024:
            _FOLDERS.clear()
        found = _FOLDERS[directory] = maildir_folder(path)
    return found


def is_plain(mail: ParsedEmail) -> bool:
    """No attachments and no email inside: its rows depend on its bytes alone."""
    return not mail.parts and not mail.nested


def ready_email(
    mail: ParsedEmail, record: EmailRecord, source_sha: str, keys: KeyStore | None
) -> ReadyEmail:
    """The rows of a plain email read from ``record.raw`` (the bytes as read: an mboxrd's
    quoting undone), found in the source with ``source_sha``."""
    assert record.raw is not None
    sent_at, flags = sent_time(mail)
    key = body_key(mail)
    return ReadyEmail(
        uid=message_uid(source_sha, record),
        sender=identity_key(mail.sender, source_sha) if mail.sender else None,
        recipients=recipient_keys(mail, source_sha),
        text=mail.text,
        searchable=searchable_text(mail, []),
        sent_at=sent_at,
        time_flags=flags,
        date_text=mail.date_text,
        zone=mail.date_offset or "UTC",
        line_start=record.line_start or 0,
        line_end=record.line_end or 0,
        byte_start=record.byte_start,
        byte_end=record.byte_end,
        subject=mail.subject,
        message_id=mail.message_id,
        in_reply_to=" ".join(mail.in_reply_to),
        references=" ".join(mail.references),
        headers_raw=mail.headers_raw,
        html=mail.html,
        new_text=mail.new_text,
        content_hash=content_hash(mail, key),
        text_hash=text_hash(mail, key),
        signatures=check_signatures(record.raw, keys),
        issues=[email_issue_row(record, text) for text in mail.issues],
    )
