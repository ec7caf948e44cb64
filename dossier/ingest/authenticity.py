"""Check the DKIM signatures of the emails already in a case, against a key store.

Keys often arrive after the mail (from DNS history, from the signer), so this re-reads each
email's original bytes from the case and stores the result on the message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from dossier.case import Case
from dossier.email.dkim import KeyStore
from dossier.formats.mbox import unquote_from
from dossier.ingest.mail import ARC_RANK, check_signatures, combine_dkim, most_telling
from dossier.read import original_bytes


def verify_case(
    case: Case, keys: KeyStore, on_message: Callable[[], None] | None = None
) -> Counter[str]:
    """Verify every copy of every email with RFC 822 bytes; a message gets the most telling
    result of its copies (see ``combine_dkim``). Returns how many messages got each status."""
    results: dict[int, tuple[str, list[str], str]] = {}  # DKIM, the copies' details, ARC
    cached: tuple[int, bytes] | None = None
    for message_id, source_id, start, end, variant in case.store.email_copies_with_origin():
        if cached is None or cached[0] != source_id:
            cached = (source_id, original_bytes(case, source_id))
        raw = cached[1][start:end]
        if variant == "mboxrd":
            raw = unquote_from(raw, variant)
        status, detail, arc = check_signatures(raw, keys)
        before, details, arc_before = results.get(message_id, (status, [], arc))
        results[message_id] = (
            combine_dkim(before, status),
            [*details, detail or status],
            most_telling(ARC_RANK, arc_before, arc),
        )
        if on_message:
            on_message()
    with case.store.transaction():
        for message_id, (status, details, arc) in results.items():
            case.store.set_dkim(message_id, status, "; ".join(details), arc)
    return Counter(status for status, _, _ in results.values())
