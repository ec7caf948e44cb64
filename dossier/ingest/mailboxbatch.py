"""Store the plain emails of one big mailbox a batch at a time.

The workers that read a big mailbox's emails (``mailreaders``) also work out the rows of
each plain one (``mailready``): what is left to the writer is the SQL, a few statements per
table for hundreds of emails (``emailrows``) instead of some fifteen per email. Any other
email (attachments, an email inside), and every email of a small mailbox, is stored the usual
way (``mail._MailLoader``), after what is queued, so that ids are handed out in the mailbox's
order and the rows are the same either way. A mailbox is still stored whole or not at all:
its savepoint covers the batches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dossier.ingest.emailrows import row_builder, write_email_rows
from dossier.ingest.mailready import ReadyEmail
from dossier.model import EmailRecord

if TYPE_CHECKING:
    from dossier.ingest.mail import _MailLoader

FLUSH_EMAILS = 512  # emails written together; what a batch holds stays a few MB


class MailboxBatch:
    """Takes a mailbox's emails as ``loader`` meets them; writes the plain ones in batches."""

    def __init__(self, loader: _MailLoader) -> None:
        self.loader = loader
        self.pending: list[tuple[EmailRecord, ReadyEmail]] = []

    def take(self, record: EmailRecord) -> bool:
        """Queue the email if a worker worked out its rows; False: the loader stores it the
        usual way (after ``flush``)."""
        ready = record.parsed
        if not isinstance(ready, ReadyEmail):
            return False
        self.pending.append((record._replace(raw=None, parsed=None), ready))
        if len(self.pending) >= FLUSH_EMAILS:
            self.flush()
        return True

    def flush(self) -> None:
        """Write what is queued, as the loader would have, one email after another."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        loader = self.loader
        store, ctx, result = loader.store, loader.ctx, loader.result
        first = loader.next_id
        builder, firsts = row_builder(store, [ready for _, ready in pending], first)
        for (record, email), (message_id, new) in zip(pending, firsts, strict=True):
            builder.add(email, message_id, new, ctx.source_id, record.folder or ctx.folder,
                        record.item)  # fmt: skip
            if new:
                loader.issues.extend(email.issues)  # a copy's problems are the first's
        rows = builder.rows
        write_email_rows(store, rows)
        loader.next_id += rows.new
        result.messages += rows.new
        result.duplicates += rows.copies_found
        if rows.new:
            result.near_duplicates += store.near_duplicates_between(first, first + rows.new - 1)
        loader.index_now()
