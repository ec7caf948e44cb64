"""How a person is named in output: public figures by name; private individuals, when
redacting, by their role ("a very senior official") or "Person 12".

Placeholders are consistent within a case: a person's placeholder comes from their role and
number, never from the order of a listing, so the same person reads the same in every search,
show and report. Two private persons with one role are told apart by a number after the role.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dossier.case import Case
    from dossier.model import Message


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
        people = list(people)
        self.redact = redact
        self._shown: dict[int, str] = {}
        self.public = {  # names anyone may see: labels equal to one (a custodian) are shown
            name.casefold()
            for p in people
            if p.get("public_figure") or not redact
            for name in (p["name"], *p.get("aliases", ()))
        }
        by_role: dict[str, int] = defaultdict(int)
        for person in sorted(people, key=lambda p: int(p["id"])):
            role = (person.get("role") or "").strip().casefold()
            nth = 1
            if role and not person.get("public_figure"):
                by_role[role] += 1
                nth = by_role[role]
            self._shown[int(person["id"])] = display_name(person, redact, nth)

    def label(self, text: str | None) -> str | None:
        """A free-text name with no person behind it (a custodian): kept if it is a public
        figure's name, else hidden when redacting."""
        if text is None or not self.redact or text.casefold() in self.public:
            return text
        return "(redacted)"

    def of(self, person_id: int | None, fallback: str = "(unknown)") -> str:
        if person_id is None:
            return fallback
        return self._shown.get(person_id, fallback)


# --- redacting what the CLI shows (search, show) -------------------------------------------


def case_names(case: Case, redact: bool = True) -> Names:
    return Names(case.store.people_summary(), redact)


def redact_messages(case: Case, messages: Sequence[Message], names: Names) -> list[Message]:
    """The messages with every sender (of the message and of each copy) and custodian shown
    as ``names`` shows them: private individuals by role or number. Message text is left as
    it is (names written in it are the mentions' business, at report time)."""
    persons = case.store.copy_persons([m.id for m in messages])
    out = []
    for m in messages:
        copies = tuple(
            replace(
                c,
                sender_as_written=names.of(persons.get((m.id, c.source_id, c.byte_start)))
                if c.sender_as_written is not None
                else None,
                custodian=names.label(c.custodian),
            )
            for c in m.copies
        )
        sender = copies[0].sender_as_written if copies else None
        out.append(replace(m, sender=sender if m.sender is not None else None, copies=copies))
    return out


def redact_email(
    case: Case, message_id: int, email: dict[str, Any], names: Names
) -> dict[str, Any]:
    """An email's facts with its sender and recipients shown as ``names`` shows them (the
    address too: an address names its owner)."""
    persons = case.store.recipient_persons(message_id)
    recipients = []
    for entry, (_, person_id) in zip(email["recipients"], persons, strict=True):
        shown = names.of(person_id)
        public = shown == entry["name"]
        recipients.append({**entry, "name": shown, "address": entry["address"] if public else ""})
    return {**email, "recipients": recipients}


def redact_chat_details(details: dict[str, Any]) -> dict[str, Any]:
    """Reactions and mentions name people as the platform wrote them, with no person behind
    the name: hidden when redacting (their count is kept)."""
    return {
        **details,
        "sender_account": None,
        "reactions": [
            {"reaction": r["reaction"], "by": "(redacted)"} for r in details["reactions"]
        ],
        "mentions": ["(redacted)" for _ in details["mentions"]],
    }
