"""Which field of a date is the day, the month, the year.

Exports never say. The file's own values decide when they can (a field above 12 cannot be a
month, a 4-digit field is the year); otherwise the user's option decides, and failing that we
guess day-first (most of the world) unless the order of the timestamps strongly favours
another reading (a wrong reading of a chat makes time jump back and forth by months or years).

An *order* is a permutation of "dmy". For a date with a 4-digit field the year sits there and
only the relative order of day and month comes from the file's order; this is how a file that
mixes ``12/24/19`` and ``2022/12/24`` (chat-miner testlog.txt) still reads consistently.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from dossier.formats.whatsapp.grammar import DATE_FIELDS_RE

# Preference when the file cannot decide: day-first first, as WhatsApp's most common locales.
ORDERS = ("dmy", "mdy", "ymd", "ydm", "myd", "dym")
# The orders real exports use. The others (seen in generated test files) are considered only
# when none of these can read the file: otherwise "1/30/18" would be "ambiguous" between
# month/day/year and month/year/day, a reading no phone produces.
REAL_ORDERS = ("dmy", "mdy", "ymd")


def _prefer_real(orders: list[str]) -> list[str]:
    real = [o for o in orders if o in REAL_ORDERS]
    return real or orders


# Time-order evidence must beat the default by this much (backward jumps summed, in seconds)
# before it overrules it; one odd month in a five-line chat is not enough (short-chat.txt).
STRONG_MARGIN_SECONDS = 180 * 86400
STRONG_RATIO = 10


def adjusted(order: str, fields: Sequence[str]) -> str:
    """The order for these fields: a 4-digit field is the year, d/m keep ``order``'s sequence."""
    for pos, field in enumerate(fields):
        if len(field) == 4:
            rest = [c for c in order if c != "y"]
            rest.insert(pos, "y")
            return "".join(rest)
    return order


def read_date(text: str, order: str) -> date | None:
    """The date ``text`` means under ``order``, or None if it cannot be one."""
    fields = DATE_FIELDS_RE.findall(text)
    if len(fields) != 3:
        return None
    real = adjusted(order, fields)
    values = dict(zip(real, fields, strict=True))
    y_text, m_text, d_text = values["y"], values["m"], values["d"]
    if len(m_text) > 2 or len(d_text) > 2 or len(y_text) == 3:
        return None
    year = int(y_text) + (2000 if len(y_text) <= 2 else 0)
    month, day = int(m_text), int(d_text)
    if not 1 <= month <= 12 or year < 1 or day < 1:
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def read_date_any(text: str, order: str) -> date | None:
    """``order`` if it fits, else the first order that does (files mixing orders)."""
    found = read_date(text, order)
    if found is not None:
        return found
    for other in ORDERS:
        found = read_date(text, other)
        if found is not None:
            return found
    return None


class Decision(NamedTuple):
    order: str
    basis: str  # "file", "option", "guess"
    reason: str  # why, for a warning when the basis is "guess"


def candidate_orders(dates: Iterable[str]) -> list[str]:
    """Orders under which every date is valid, one per distinct reading (first preferred)."""
    texts = sorted(set(dates))
    alive = [o for o in ORDERS if all(read_date(t, o) is not None for t in texts)]
    seen: set[tuple[date | None, ...]] = set()
    distinct = []
    for order in alive:
        reading = tuple(read_date(t, order) for t in texts)
        if reading not in seen:
            seen.add(reading)
            distinct.append(order)
    return distinct


def structural_orders(dates: Iterable[str]) -> list[str]:
    """Orders under which every date is valid, one per way of reading dates of these shapes.

    Unlike ``candidate_orders`` this does not merge orders that merely agree on the dates
    seen so far (``01/01/2024`` reads the same either way): later dates may still differ.
    Orders are merged only when they read *every* date of the shapes seen alike (with a
    4-digit year, "dmy", "ydm" and "dym" all mean "day before month").
    """
    texts = set(dates)
    shapes = sorted({tuple(len(f) for f in DATE_FIELDS_RE.findall(t)) for t in texts})
    groups: dict[tuple[str, ...], str] = {}
    for order in ORDERS:
        if all(read_date(t, order) is not None for t in texts):
            key = tuple(adjusted(order, ["0" * w for w in shape]) for shape in shapes)
            groups.setdefault(key, order)
    return list(groups.values())


def decide_by_values(dates: Iterable[str]) -> str | None:
    """The order if the values alone settle it for good (None: still ambiguous or no dates)."""
    orders = _prefer_real(structural_orders(dates))
    return orders[0] if len(orders) == 1 else None


def backward_seconds(order: str, stamps: Iterable[tuple[str, int]]) -> int:
    """Sum of backward jumps when the (date text, seconds of day) pairs are read in ``order``."""
    total = 0
    last: int | None = None
    cache: dict[str, int | None] = {}
    for text, seconds in stamps:
        if text not in cache:
            day = read_date_any(text, order)
            cache[text] = None if day is None else day.toordinal() * 86400
        base = cache[text]
        if base is None:
            continue
        now = base + seconds
        if last is not None and now < last:
            total += last - now
        last = now
    return total


def decide(
    dates: Iterable[str],
    stamps: Sequence[tuple[str, int]],
    option: str | None,
    complete: bool = True,
) -> Decision:
    """Decide the file's order from its dates, its time order and the user's option.

    ``complete``: ``dates`` are all the file's dates (else only a first part was seen).
    """
    dates = set(dates)
    orders = _prefer_real(structural_orders(dates))
    if not orders:  # values contradict each other: read each date as best it fits
        return Decision("dmy", "file", "dates fit no single order; each read as it fits")
    if len(orders) == 1:
        return Decision(orders[0], "file", "")
    if complete:
        readings = _prefer_real(candidate_orders(dates))
        if len(readings) == 1:  # every order reads every date of this file the same
            return Decision(readings[0], "file", "")
        orders = readings
    if option in orders:
        return Decision(str(option), "option", "")
    costs = {o: backward_seconds(o, stamps) for o in orders}
    default = orders[0]
    best = min(orders, key=lambda o: (costs[o], orders.index(o)))
    names = "/".join(orders)
    if best != default and _strong(costs[best], costs[default]):
        reason = (
            f"date order ambiguous ({names}); chose {best}: reading {default} would make "
            f"time run backwards by {costs[default] // 86400} days in total"
        )
        return Decision(best, "guess", reason)
    reason = f"date order ambiguous ({names}); assumed {default}; set the date order to be sure"
    return Decision(default, "guess", reason)


def _strong(best_cost: int, default_cost: int) -> bool:
    return default_cost - best_cost >= STRONG_MARGIN_SECONDS and default_cost >= STRONG_RATIO * max(
        best_cost, 1
    )
