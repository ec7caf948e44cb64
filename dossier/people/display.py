"""How a person is named in output: public figures by name; private individuals, when
redacting, by their role ("a very senior official") or "Person 12".

Placeholders are consistent within a case: a person's placeholder comes from their role and
number, never from the order of a listing, so the same person reads the same in every search,
show and report. Two private persons with one role are told apart by a number after the role.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any


def display_name(person: Mapping[str, Any], redact: bool = True, nth: int = 1) -> str:
    """The name to show for ``person`` (a row of ``people_summary``). ``nth`` tells apart
    private persons sharing a role (1 for the first of them by number)."""
    if not redact or person.get("public_figure"):
        return str(person["name"])
    role = (person.get("role") or "").strip()
    if role:
        return role if nth == 1 else f"{role} ({nth})"
    return f"Person {person['id']}"


class Names:
    """Display names for every person of a case, by person number."""

    def __init__(self, people: Iterable[Mapping[str, Any]], redact: bool = True) -> None:
        self.redact = redact
        self._shown: dict[int, str] = {}
        by_role: dict[str, int] = defaultdict(int)
        for person in sorted(people, key=lambda p: int(p["id"])):
            role = (person.get("role") or "").strip().casefold()
            nth = 1
            if role and not person.get("public_figure"):
                by_role[role] += 1
                nth = by_role[role]
            self._shown[int(person["id"])] = display_name(person, redact, nth)

    def of(self, person_id: int | None, fallback: str = "(unknown)") -> str:
        if person_id is None:
            return fallback
        return self._shown.get(person_id, fallback)
