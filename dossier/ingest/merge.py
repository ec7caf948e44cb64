"""Fold a newly read conversation into an existing one when they are the same chat."""

from __future__ import annotations

from collections import Counter

from dossier.ingest.align import (
    FAR_SECONDS,
    MAX_OFFSET,
    SPAN_MARGIN,
    align,
    same_person_pairs,
)
from dossier.ingest.report import IngestSummary
from dossier.ingest.rows import phone_value
from dossier.store.sqlite import SqliteStore
from dossier.timeutil import now_iso

LARGE_OFFSET = 1800  # seconds; clocks further apart than this suggest a wrong --tz


def merge_into_existing(
    store: SqliteStore, platform: str, conversation_id: int, summary: IngestSummary
) -> int:
    """Merge ``conversation_id`` into the existing conversation it overlaps, if any.

    Returns how many of its messages turned out to be copies of messages already stored.
    """
    spans = {cid: (first, last, n) for cid, first, last, n in store.conversation_spans(platform)}
    mine = spans.pop(conversation_id, None)
    if mine is None or not spans:
        return 0
    near = [
        cid
        for cid, (first, last, _) in spans.items()
        if first - SPAN_MARGIN <= mine[1] and mine[0] <= last + SPAN_MARGIN
    ]
    if not near:
        return 0
    store.fill_match_hashes([conversation_id, *near])
    shared = store.shared_match_counts(conversation_id, near)
    new_rows = store.alignment_rows(conversation_id)
    for candidate, _ in sorted(shared.items(), key=lambda item: -item[1]):
        # Only the old messages that can meet the new ones: memory stays bounded by the overlap.
        reach = FAR_SECONDS + MAX_OFFSET
        old_rows = store.alignment_rows(candidate, mine[0] - reach, mine[1] + reach)
        alignment = align(old_rows, new_rows)
        if not alignment.is_same_chat:
            continue
        store.fold_messages(alignment.pairs)
        store.move_conversation(conversation_id, candidate)
        _link_senders(store, alignment.sender_votes)
        title = store.conversation(candidate)["title"]
        summary.notes.append(
            f"Merged with the conversation {title!r} already in the case: "
            f"{len(alignment.pairs)} messages were the same messages read from another export."
        )
        if abs(alignment.offset) > LARGE_OFFSET:
            hours = alignment.offset / 3600
            summary.notes.append(
                f"The two exports of {title!r} differ by {hours:+.1f} h: were they read with "
                "the right --tz? The messages were matched after allowing for it."
            )
        return len(alignment.pairs)
    return 0


def fold_same_messages(store: SqliteStore, conversation_id: int, first_new_id: int) -> int:
    """In a conversation the platform names by id, a message whose platform id is already
    stored is the same message read again (another person's export of the chat): it becomes a
    further copy. Returns how many were folded. Replies are then pointed at what they answer."""
    pairs = store.same_platform_messages(conversation_id, first_new_id)
    if pairs:
        store.fold_messages(pairs)
    store.resolve_replies(conversation_id)
    return len(pairs)


def _link_senders(store: SqliteStore, votes: Counter[tuple[int, int]]) -> None:
    for new_identity, old_identity, count in same_person_pairs(votes):
        keep, absorb = store.person_of(old_identity), store.person_of(new_identity)
        if keep == absorb or store.rejected_between(keep, absorb):  # the user said: not one
            continue
        names = {keep: store.person_name(keep), absorb: store.person_name(absorb)}
        store.join_persons(keep, absorb)
        if phone_value(names[keep]) and not phone_value(names[absorb]):
            # A saved contact name says more than a bare number.
            store.set_person_name(keep, names[absorb])
        store.link_identities(
            new_identity,
            old_identity,
            "same-message",
            f"{count} message(s) read in both exports under these two names",
            now_iso(),
        )
