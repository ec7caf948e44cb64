"""The rows of many ready emails, written a few statements per table (see ``mailready``).

Shared by the two ways plain emails are stored in bulk: files of one email each (``mailbatch``)
and the emails of one big mailbox (``mailboxbatch``). Each email is new, or a copy of one the
case or the batch already has; ids are handed out, and identities and threads looked up, in
the order the usual path (``mail._MailLoader``) would, so that both store the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dossier.email.threads import NO_SUBJECT, lone_thread_uid
from dossier.ingest.mail import IdentityKey, Signatures, combine_signatures
from dossier.ingest.mailready import ReadyEmail
from dossier.timeutil import now_iso

if TYPE_CHECKING:
    from dossier.store.sqlite import SqliteStore

_DKIM_AT = 13  # position of the dkim column in an emails row (then dkim_detail, arc)


@dataclass
class EmailRows:
    """Every email row of one batch, table by table, in the order the usual path writes."""

    messages: list[tuple[Any, ...]] = field(default_factory=list)
    emails: list[list[Any]] = field(default_factory=list)
    recipients: list[tuple[int, str, int, int]] = field(default_factory=list)
    copies: list[tuple[Any, ...]] = field(default_factory=list)
    dkim: dict[int, Signatures] = field(default_factory=dict)  # emails already in the case
    new: int = 0  # emails stored
    copies_found: int = 0  # emails already in the case (or earlier in the batch)


def first_copies(
    emails: Sequence[ReadyEmail], known: Mapping[str, int], next_message: int
) -> list[tuple[int, bool]]:
    """For each email: (its message id, True) when new, ids handed out in order; (the id of
    the email it copies, False) when the case (``known``) or an earlier one has it already."""
    found: list[tuple[int, bool]] = []
    batch: dict[str, int] = {}
    for email in emails:
        first = known.get(email.content_hash) or batch.get(email.content_hash)
        if first is None:
            batch[email.content_hash] = next_message
            found.append((next_message, True))
            next_message += 1
        else:
            found.append((first, False))
    return found


def identity_keys(
    emails: Sequence[ReadyEmail], firsts: Sequence[tuple[int, bool]]
) -> list[IdentityKey]:
    """Every identity the batch names, in the order the usual path looks them up (so new
    ones get the same ids): a copy's sender; a new email's sender, then its recipients."""
    keys: list[IdentityKey] = []
    for email, (_, new) in zip(emails, firsts, strict=True):
        if email.sender is not None:
            keys.append(email.sender)
        if new:
            keys.extend(key for _, _, key in email.recipients)
    return keys


def lone_threads(
    store: SqliteStore, emails: Sequence[ReadyEmail], firsts: Sequence[tuple[int, bool]]
) -> dict[int, int]:
    """Each new email's message id -> the conversation its own headers point at (made as the
    usual path makes it: in the order the emails come, titled by the first)."""
    keys: list[int] = []
    uids: list[str] = []
    titles: list[str] = []
    for email, (message_id, new) in zip(emails, firsts, strict=True):
        if new:
            keys.append(message_id)
            uids.append(
                lone_thread_uid(message_id, email.message_id, email.in_reply_to, email.references)
            )
            titles.append(email.subject or NO_SUBJECT)
    ids = store.email_conversations(uids, titles, now_iso()) if uids else []
    return dict(zip(keys, ids, strict=True))


def row_builder(
    store: SqliteStore, emails: Sequence[ReadyEmail], first_message: int
) -> tuple[EmailRowBuilder, list[tuple[int, bool]]]:
    """Which emails are new (with ids from ``first_message`` on) and which are copies; and a
    builder for their rows, their identities and threads looked up."""
    known = store.emails_by_content([email.content_hash for email in emails])
    firsts = first_copies(emails, known, first_message)
    identities = store.identities(identity_keys(emails, firsts))
    return EmailRowBuilder(store, lone_threads(store, emails, firsts), identities), firsts


class EmailRowBuilder:
    """Turns ready emails into rows, given their conversations and identities."""

    def __init__(
        self,
        store: SqliteStore,
        conversations: Mapping[int, int],
        identities: Mapping[tuple[str, str, str], int],
    ) -> None:
        self.store = store
        self.conversations = conversations  # new email's message id -> its conversation
        self.identities = identities
        self.rows = EmailRows()
        self.batch_rows: dict[int, list[Any]] = {}  # message id -> its emails row

    def add(
        self,
        email: ReadyEmail,
        message_id: int,
        new: bool,
        source_id: int,
        folder: str,
        item: str | None = None,
    ) -> None:
        if new:
            self._message(message_id, source_id, email, folder, item)
        else:
            self._copy(message_id, source_id, email)

    def _identity(self, key: IdentityKey | None) -> int | None:
        return None if key is None else self.identities[key[:3]]

    def _message(
        self, message_id: int, source_id: int, email: ReadyEmail, folder: str, item: str | None
    ) -> None:
        rows = self.rows
        conversation = self.conversations[message_id]
        rows.messages.append(
            (message_id, email.uid, conversation, "email", self._identity(email.sender),
             email.text, email.searchable, email.sent_at, email.date_text, email.zone, 1,
             email.time_flags, 0, source_id, email.line_start, email.line_end, email.byte_start,
             email.byte_end)
        )  # fmt: skip
        row = [
            message_id, email.subject, email.message_id, email.in_reply_to, email.references,
            email.headers_raw, email.html, email.new_text, folder, item, email.content_hash,
            email.text_hash, None, *email.signatures,
        ]  # fmt: skip
        rows.emails.append(row)
        self.batch_rows[message_id] = row
        rows.recipients.extend(
            (message_id, role, self.identities[key[:3]], position)
            for role, position, key in email.recipients
        )
        rows.new += 1

    def _copy(self, message_id: int, source_id: int, email: ReadyEmail) -> None:
        """Another copy of an email already stored: where it was found, and its DKIM."""
        self._combine_dkim(message_id, email.signatures)
        self.rows.copies.append(
            (message_id, source_id, self._identity(email.sender), email.date_text,
             email.line_start, email.line_end, email.byte_start, email.byte_end)
        )  # fmt: skip
        self.rows.copies_found += 1

    def _combine_dkim(self, message_id: int, copy: Signatures) -> None:
        """As ``mail._MailLoader._add_copy_dkim``: keep the most telling result, and say why."""
        row = self.batch_rows.get(message_id)
        if row is not None:
            old = Signatures(*row[_DKIM_AT : _DKIM_AT + 3])
        else:
            old = self.rows.dkim.get(message_id) or Signatures(*self.store.get_dkim(message_id))
        combined = combine_signatures(old, copy)
        if combined == old:
            return
        if row is not None:
            row[_DKIM_AT : _DKIM_AT + 3] = combined
        else:
            self.rows.dkim[message_id] = combined


def write_email_rows(store: SqliteStore, rows: EmailRows) -> None:
    store.insert_email_messages(rows.messages, [tuple(e) for e in rows.emails])
    store.mark_unthreaded([row[0] for row in rows.messages])
    store.insert_recipient_rows(rows.recipients)
    store.add_further_copies(rows.copies)
    store.set_dkim_rows([(*signed, mid) for mid, signed in rows.dkim.items()])
