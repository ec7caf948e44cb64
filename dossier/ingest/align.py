"""One group, exported from several phones, becomes one conversation.

Each phone writes the chat in its own way: contact names differ ("Maria Lopez", "Maria
(office)", "+34 612 34 56 78"), Android has no seconds where iOS has them, media are spelled
differently, and each phone stamps the time it received a message, so clocks differ by
seconds, or by hours when a phone was offline. Two exports are aligned on their overlap:

1. Anchors: texts that occur exactly once in each export; the median time difference of
   anchors is the clock offset between the phones (large if they were read in different zones).
2. Each message is matched to an unused message with the same normalised text close to its
   offset-corrected time; then messages left between two matched neighbours are matched by
   order, which catches late deliveries; what is left is matched when its text is unique on
   both sides and within two days.
3. Matched messages become one message with two copies; authors matched again and again are
   recorded as identities of the same participant, with the evidence.

A conversation is only merged when enough of its messages find a twin, so two different groups
that both say "ok" at the same minute stay apart.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

# (message id, sent_at, match hash, sender identity id, kind)
Row = tuple[int, int, int, int | None, str]

NEAR_SECONDS = 180  # how far apart two copies' timestamps may be after the offset
FAR_SECONDS = 2 * 86400  # a phone offline for up to two days still lines up
MIN_MATCHES = 3  # fewer twins than this is coincidence, not the same chat
MIN_SHARE = 0.5  # of the messages inside the overlapping time span
MIN_SENDER_VOTES = 2  # same-message evidence needed to say two names are one person
SPAN_MARGIN = 86400  # conversations whose spans come within a day may overlap
MAX_OFFSET = 26 * 3600  # the most two zones differ by (a wrong --tz), plus DST


@dataclass
class Alignment:
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (new id, old id)
    offset: int = 0  # seconds new is ahead of old
    overlap: int = 0  # new messages inside the old conversation's time span
    new_count: int = 0
    sender_votes: Counter[tuple[int, int]] = field(default_factory=Counter)

    @property
    def is_same_chat(self) -> bool:
        if abs(self.offset) > MAX_OFFSET:
            return False  # no zone mistake explains clocks this far apart: a coincidence
        if len(self.pairs) < MIN_MATCHES:
            # A tiny export may still be a copy, but only if all of it matched.
            return len(self.pairs) == self.new_count > 0
        return len(self.pairs) >= MIN_SHARE * max(self.overlap, 1)


def align(old: Sequence[Row], new: Sequence[Row]) -> Alignment:
    """Match the messages of ``new`` to those of ``old``; both in time order."""
    result = Alignment(new_count=len(new))
    if not old or not new:
        return result
    result.offset = _clock_offset(old, new)
    old_times = [row[1] for row in old]
    first, last = old_times[0] + result.offset, old_times[-1] + result.offset
    result.overlap = sum(1 for row in new if first - NEAR_SECONDS <= row[1] <= last + NEAR_SECONDS)
    matched_old: dict[int, int] = {}  # old index -> new index
    matched_new: dict[int, int] = {}
    _match_near(old, new, result.offset, matched_old, matched_new)
    _match_between(old, new, matched_old, matched_new)
    _match_far(old, new, result.offset, matched_old, matched_new)
    for new_index, old_index in sorted(matched_new.items()):
        new_row, old_row = new[new_index], old[old_index]
        result.pairs.append((new_row[0], old_row[0]))
        if new_row[3] is not None and old_row[3] is not None and new_row[4] != "system":
            result.sender_votes[(new_row[3], old_row[3])] += 1
    return result


def _clock_offset(old: Sequence[Row], new: Sequence[Row]) -> int:
    """Median time difference of texts that occur once in each export (0 if none)."""
    old_once = _unique_by_hash(old)
    new_once = _unique_by_hash(new)
    deltas = [new_once[h] - old_once[h] for h in new_once.keys() & old_once.keys()]
    if not deltas:
        return 0
    return int(statistics.median(deltas))


def _unique_by_hash(rows: Sequence[Row]) -> dict[int, int]:
    counts = Counter(row[2] for row in rows if row[4] == "text")
    return {row[2]: row[1] for row in rows if row[4] == "text" and counts[row[2]] == 1}


def _match_near(
    old: Sequence[Row],
    new: Sequence[Row],
    offset: int,
    matched_old: dict[int, int],
    matched_new: dict[int, int],
) -> None:
    by_hash: dict[int, list[tuple[int, int]]] = defaultdict(list)  # hash -> [(time, index)]
    for index, row in enumerate(old):
        by_hash[row[2]].append((row[1], index))
    for new_index, row in enumerate(new):
        candidates = by_hash.get(row[2])
        if not candidates:
            continue
        target = row[1] - offset
        best = _nearest_unused(candidates, target, matched_old)
        if best is not None:
            matched_old[best] = new_index
            matched_new[new_index] = best


def _nearest_unused(
    candidates: list[tuple[int, int]], target: int, used: dict[int, int]
) -> int | None:
    position = bisect.bisect_left(candidates, (target - NEAR_SECONDS, -1))
    best: tuple[int, int] | None = None
    while position < len(candidates) and candidates[position][0] <= target + NEAR_SECONDS:
        time, index = candidates[position]
        if index not in used and (best is None or abs(time - target) < best[0]):
            best = (abs(time - target), index)
        position += 1
    return None if best is None else best[1]


def _match_between(
    old: Sequence[Row],
    new: Sequence[Row],
    matched_old: dict[int, int],
    matched_new: dict[int, int],
) -> None:
    """Between two matched neighbours, pair the leftover messages with equal text in order.

    A phone that was offline receives messages late, so their times differ by more than
    NEAR_SECONDS, but they still sit between the same two matched messages in both exports.
    """
    anchors = sorted(matched_new.items())
    for (new_a, old_a), (new_b, old_b) in itertools.pairwise(anchors):
        if new_b - new_a < 2 or old_b - old_a < 2 or old_b < old_a:
            continue
        waiting: dict[int, list[int]] = defaultdict(list)
        for old_index in range(old_a + 1, old_b):
            if old_index not in matched_old:
                waiting[old[old_index][2]].append(old_index)
        for new_index in range(new_a + 1, new_b):
            if new_index in matched_new:
                continue
            queue = waiting.get(new[new_index][2])
            if queue:
                old_index = queue.pop(0)
                matched_old[old_index] = new_index
                matched_new[new_index] = old_index


def _match_far(
    old: Sequence[Row],
    new: Sequence[Row],
    offset: int,
    matched_old: dict[int, int],
    matched_new: dict[int, int],
) -> None:
    """Leftovers whose text occurs once among each side's leftovers, up to FAR_SECONDS apart.

    A phone that was offline for a long time stamps and files messages late, out of their
    neighbours' order; a text that is unique among what is left on both sides is still the
    same message.
    """
    old_left = _unique_leftovers(old, matched_old)
    new_left = _unique_leftovers(new, matched_new)
    for key in old_left.keys() & new_left.keys():
        old_index, new_index = old_left[key], new_left[key]
        if abs(new[new_index][1] - offset - old[old_index][1]) <= FAR_SECONDS:
            matched_old[old_index] = new_index
            matched_new[new_index] = old_index


def _unique_leftovers(rows: Sequence[Row], matched: dict[int, int]) -> dict[int, int]:
    seen: dict[int, int] = {}
    repeated: set[int] = set()
    for index, row in enumerate(rows):
        if index in matched or row[4] != "text":
            continue
        if row[2] in seen:
            repeated.add(row[2])
        seen[row[2]] = index
    return {key: index for key, index in seen.items() if key not in repeated}


def same_person_pairs(votes: Counter[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(new identity, old identity, votes) for names that are clearly the same person.

    A new name is tied to the old name it was matched with most, when that happened at least
    MIN_SENDER_VOTES times (or on its only message) and for most of its matched messages.
    """
    per_new: dict[int, Counter[int]] = defaultdict(Counter)
    for (new_id, old_id), count in votes.items():
        per_new[new_id][old_id] += count
    pairs = []
    for new_id, counts in per_new.items():
        old_id, best = counts.most_common(1)[0]
        total = sum(counts.values())
        if best >= min(MIN_SENDER_VOTES, total) and best * 3 >= total * 2:
            pairs.append((new_id, old_id, best))
    return pairs
