"""The user's decisions about people: merge, split, reject, rename, describe.

Every change runs in one transaction and records why: a merge links the identities with the
reason "user" and marks every pair across the two persons confirmed; a split or a rejection
marks the pairs across rejected, so they are never suggested (or joined) again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import product

from dossier.case import Case
from dossier.errors import DossierError, NotFound
from dossier.people.phones import REGION_META, region_of_zone, valid_region
from dossier.timeutil import now_iso

_ID = re.compile(r"^#?(\d+)$")


class PeopleError(DossierError):
    """A person or identity the user named is unclear, or a change cannot be made."""


def resolve_person(case: Case, ref: str) -> int:
    """A person by '#12' / '12', or by exact name, alias or identity value."""
    ref = ref.strip()
    if (m := _ID.match(ref)) is not None and case.store.person_exists(int(m.group(1))):
        return int(m.group(1))
    found = case.store.persons_named(ref)
    if not found:
        raise NotFound(
            f"No person {ref!r} in this case.",
            "use a person's number or exact name from `dossier people CASE`",
        )
    if len(found) > 1:
        shown = ", ".join(f"#{p}" for p in found[:8])
        raise PeopleError(f"{ref!r} could be several persons ({shown}).", "give the number")
    return found[0]


def merge(case: Case, refs: Sequence[str], name: str | None = None) -> int:
    """Make the named persons one (the first keeps its number); returns that number."""
    ids = list(dict.fromkeys(resolve_person(case, r) for r in refs))
    if len(ids) < 2:
        raise PeopleError("Name at least two different persons to merge.")
    store, keep, at = case.store, ids[0], now_iso()
    with store.transaction():
        for absorb in ids[1:]:
            mine, theirs = store.identities_of(keep), store.identities_of(absorb)
            store.record_decisions(product(mine, theirs), "confirmed", at)
            if mine and theirs:  # a person from the roster may have no identity yet
                store.link_identities(mine[0], theirs[0], "user", "merged by the user", at)
            store.absorb_person_details(keep, absorb)
            store.join_persons(keep, absorb)
        if name:
            store.update_person(keep, name=name, confirmed=1)
    return keep


def reject(case: Case, ref_a: str, ref_b: str) -> int:
    """Record that two persons are not the same; returns how many identity pairs that covers."""
    a, b = resolve_person(case, ref_a), resolve_person(case, ref_b)
    if a == b:
        raise PeopleError(
            f"{ref_a!r} and {ref_b!r} are one person already.",
            "to take identities out of a person use `dossier people split`",
        )
    store = case.store
    with store.transaction():
        return store.record_decisions(
            product(store.identities_of(a), store.identities_of(b)), "rejected", now_iso()
        )


def split(case: Case, ref: str, identity_ids: Sequence[int], name: str | None = None) -> int:
    """Take identities out of a person into a new one; the pairs across are rejected so they
    are not suggested again. Returns the new person's number."""
    person = resolve_person(case, ref)
    store = case.store
    mine = store.identities_of(person)
    strangers = [i for i in identity_ids if i not in mine]
    if strangers:
        raise PeopleError(
            f"Identity {strangers[0]} is not one of person #{person}'s.",
            f"see the identity numbers with: dossier people show CASE {person}",
        )
    taken = list(dict.fromkeys(identity_ids))
    staying = [i for i in mine if i not in taken]
    if not taken or not staying:
        raise PeopleError(
            "A split must take some of the person's identities and leave some.",
            f"see them with: dossier people show CASE {person}",
        )
    with store.transaction():
        new = store.new_person(name or _first_value(case, taken[0]))
        store.move_identities(taken, new)
        store.record_decisions(product(staying, taken), "rejected", now_iso())
        if name:
            store.update_person(new, confirmed=1)
    return new


def _first_value(case: Case, identity_id: int) -> str:
    return case.store.identity_value(identity_id) or f"identity {identity_id}"


def rename(case: Case, ref: str, name: str) -> int:
    person = resolve_person(case, ref)
    if not name.strip():
        raise PeopleError("A person's name cannot be empty.")
    with case.store.transaction():
        case.store.update_person(person, name=name.strip(), confirmed=1)
    return person


def describe(
    case: Case,
    ref: str,
    *,
    role: str | None = None,
    public: bool | None = None,
    aliases: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
) -> int:
    """Set a person's role, public-figure flag, aliases or labels (those given)."""
    person = resolve_person(case, ref)
    store = case.store
    with store.transaction():
        if role is not None:
            store.update_person(person, role=role.strip() or None)
        if public is not None:
            store.update_person(person, public_figure=int(public))
        if aliases is not None:
            store.set_aliases(person, [a.strip() for a in aliases if a.strip()])
        if labels is not None:
            store.set_labels(person, [label.strip() for label in labels if label.strip()])
        store.update_person(person, confirmed=1)
    return person


def phone_region(case: Case) -> str | None:
    """The case's region setting, else the country of its time zone (None if neither)."""
    return case.store.get_meta(REGION_META) or region_of_zone(case.tz)


def set_phone_region(case: Case, code: str) -> str:
    """The region numbers written without a country code are read in (for later ingests)."""
    code = code.strip().upper()
    if not valid_region(code):
        raise PeopleError(
            f"{code!r} is not a region phone numbers know.",
            "give a two-letter country code such as ES, GB or US",
        )
    with case.store.transaction():
        case.store.set_meta(REGION_META, code)
    return code
