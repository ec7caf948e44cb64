"""Suggestions that two persons are one, ranked, each with its clues and evidence.

Clues, strongest first (each scored 0..1 on its own; a pair's score combines its best clue of
each kind: the hard ones as independent evidence, 1 - (1 - s1)(1 - s2)...; the name-based ones
(name, address, exporter) at full, half and quarter weight, best first, since they all rest on
how names read):

* same-message  the same message read in two exports under two names: 0.98
* same-number   two identities of one phone number, written differently: 0.95
* same-email    an address written as a name (or handle) and the address itself: 0.95
* exporter      the one name seen in every chat of a custodian's phone (or on nearly every
                email of their mailbox) is the custodian; their label fits the other's name
* name          display names, aliases, names written in email headers: alike (rapidfuzz)
* address       an email address's local part spells the other's name (maria.lopez, mlopez)

Pairs already one person, and pairs with any identity pair the user rejected, are never
suggested.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from itertools import pairwise
from typing import Any, Protocol

from dossier.people import names as nm
from dossier.people.phones import e164

SAME_MESSAGE, SAME_NUMBER, SAME_EMAIL = 0.98, 0.95, 0.95
HARD = frozenset({"same-message", "same-number", "same-email"})
MAX_BLOCK = 300  # a word shared by more names than this says nothing about who is who
_HASH_CONTEXT = re.compile(r"^[0-9a-f]{64}$")
_HEADER = re.compile(r"^(From|X-From):[ \t]*(.*(?:\r?\n[ \t].*)*)", re.MULTILINE | re.IGNORECASE)


class PeopleStore(Protocol):
    def people_summary(self) -> list[dict[str, Any]]: ...
    def decisions(self) -> dict[tuple[int, int], str]: ...
    def same_message_senders(self) -> list[tuple[int, int, int, str]]: ...
    def chat_presence(self) -> list[tuple[str, int, int, int]]: ...
    def mailbox_presence(self) -> list[tuple[str, int, int, int]]: ...
    def email_sender_headers(self) -> Iterable[tuple[int, str]]: ...
    def sample_uids(self, identity_id: int, limit: int = 2) -> list[str]: ...


@dataclass
class Clue:
    kind: str
    score: float
    detail: str
    identities: tuple[int, ...] = ()
    count: int = 0  # same-message: the messages read twice; else those the identities
    # involved sent or received (how much there is to check)
    examples: list[str] = field(default_factory=list)  # message uids


@dataclass
class Suggestion:
    a: dict[str, Any]  # {"id", "name", "messages"}
    b: dict[str, Any]
    score: float = 0.0
    clues: list[Clue] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "persons": [self.a, self.b],
            "score": round(self.score, 3),
            "clues": [
                {
                    "kind": c.kind,
                    "score": round(c.score, 3),
                    "detail": c.detail,
                    "identities": list(c.identities),
                    "messages": c.count,
                    "examples": c.examples,
                }
                for c in self.clues
            ],
        }


@dataclass(frozen=True)
class _Form:
    """One name a person goes by, with where it was seen."""

    person: int
    key: str  # name_key, or the raw local part / label for ``local`` forms
    origin: str  # name | address | exporter
    label: str  # as written, for the explanation
    identity: int | None
    local: bool = False  # an address local part or folder label, fitted against full names


def suggest(
    store: PeopleStore,
    *,
    region: str | None = None,
    limit: int = 50,
    min_score: float = 0.3,
    header_names: bool = True,
) -> list[Suggestion]:
    """The ``limit`` best suggestions scoring at least ``min_score``, best first."""
    people = store.people_summary()
    identity = {i["id"]: i for p in people for i in p["identities"]}
    person_of = {i["id"]: p["id"] for p in people for i in p["identities"]}
    rejected = {
        _pair(person_of[a], person_of[b])
        for (a, b), decision in store.decisions().items()
        if decision == "rejected" and a in person_of and b in person_of
    }
    clues: dict[tuple[int, int], list[Clue]] = defaultdict(list)
    for person_a, person_b, clue in _clues(store, people, identity, region, header_names):
        pair = _pair(person_a, person_b)
        if pair[0] != pair[1] and pair not in rejected:
            clues[pair].append(clue)
    by_id = {p["id"]: p for p in people}
    ranked = [_suggestion(by_id[a], by_id[b], found) for (a, b), found in clues.items()]
    ranked = [s for s in ranked if s.score >= min_score]
    ranked.sort(key=lambda s: (-s.score, -(s.a["messages"] + s.b["messages"]), s.a["id"]))
    for s in ranked[:limit]:
        _add_evidence(store, s, identity)
    return ranked[:limit]


def _clues(
    store: PeopleStore,
    people: list[dict[str, Any]],
    identity: dict[int, dict[str, Any]],
    region: str | None,
    header_names: bool,
) -> Iterable[tuple[int, int, Clue]]:
    """(person, person, clue) for every clue found, hard ones first."""
    person_of = {i["id"]: p["id"] for p in people for i in p["identities"]}
    for ia, ib, count, uid in store.same_message_senders():
        detail = f"{count} message(s) read in two exports, written by {_shown(identity[ia])!r}"
        detail += f" in one and by {_shown(identity[ib])!r} in the other"
        clue = Clue("same-message", SAME_MESSAGE, detail, (ia, ib), count, [uid])
        yield person_of[ia], person_of[ib], clue
    for ia, ib, clue in _same_values(identity, region):
        yield person_of[ia], person_of[ib], clue
    for fa, fb, clue in _name_clues(_forms(people, store, header_names)):
        yield fa.person, fb.person, clue


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a <= b else (b, a)


def _shown(ident: dict[str, Any]) -> str:
    where = f" (on {ident['context'][:12]})" if ident["context"] else ""
    return f"{ident['value']}{where}"


def _suggestion(a: dict[str, Any], b: dict[str, Any], found: list[Clue]) -> Suggestion:
    best: dict[str, Clue] = {}
    for clue in found:
        if clue.kind not in best or clue.score > best[clue.kind].score:
            best[clue.kind] = clue
    chosen = sorted(best.values(), key=lambda c: -c.score)
    doubt = 1.0
    for clue in (c for c in chosen if c.kind in HARD):
        doubt *= 1 - clue.score
    # Name clues lean on one thing (how the names read): each further one counts for less.
    soft = [c for c in chosen if c.kind not in HARD][:3]
    for weight, clue in zip((1, 0.5, 0.25)[: len(soft)], soft, strict=True):
        doubt *= 1 - clue.score * weight
    return Suggestion(_brief(a), _brief(b), min(1 - doubt, 0.999), chosen)


def _brief(person: dict[str, Any]) -> dict[str, Any]:
    return {"id": person["id"], "name": person["name"], "messages": person["sent"]}


def _add_evidence(store: PeopleStore, s: Suggestion, identity: dict[int, dict[str, Any]]) -> None:
    """Example messages for each clue, and how many messages stand behind it."""
    for clue in s.clues:
        if not clue.examples:
            for identity_id in clue.identities:
                clue.examples += store.sample_uids(identity_id, 1)
        if clue.kind != "same-message":
            clue.count = sum(identity[i]["sent"] + identity[i]["received"] for i in clue.identities)


# --- same number, same address -------------------------------------------------------------


def _same_values(
    identity: dict[int, dict[str, Any]], region: str | None
) -> Iterable[tuple[int, int, Clue]]:
    numbers: dict[str, list[int]] = defaultdict(list)
    addresses: dict[str, list[int]] = defaultdict(list)
    for iid, ident in identity.items():
        value = str(ident["value"])
        if ident["kind"] == "phone" or (ident["kind"] != "email" and _looks_like_number(value)):
            number = e164(value, region)
            if number:
                numbers[number].append(iid)
        if ident["kind"] == "email":
            addresses[value.lower()].append(iid)
        elif (address := nm.email_address_in(value)) is not None:
            addresses[address].append(iid)
    for kind, score, groups in (
        ("same-number", SAME_NUMBER, numbers),
        ("same-email", SAME_EMAIL, addresses),
    ):
        for value, ids in groups.items():
            for ia, ib in pairwise(ids):
                detail = f"{_shown(identity[ia])!r} and {_shown(identity[ib])!r} are both {value}"
                yield ia, ib, Clue(kind, score, detail, (ia, ib))


def _looks_like_number(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    return digits >= 7 and all(c.isdigit() or c in "+-() .~:" for c in value.split(":")[-1])


# --- names ---------------------------------------------------------------------------------


def _forms(people: list[dict[str, Any]], store: PeopleStore, header_names: bool) -> list[_Form]:
    forms: list[_Form] = []
    for p in people:
        # the person's own names point at their busiest identity, for examples to look at
        busiest = max(p["identities"], key=lambda i: i["sent"] + i["received"], default=None)
        anchor = None if busiest is None else int(busiest["id"])
        for text in (p["name"], *p["aliases"]):
            if "@" not in text and (key := nm.name_key(text)):
                forms.append(_Form(p["id"], key, "name", f"{text} (#{p['id']})", anchor))
        for ident in p["identities"]:
            forms += _identity_forms(p["id"], ident)
    person_of = {i["id"]: p["id"] for p in people for i in p["identities"]}
    if header_names:
        forms += _header_forms(store, person_of)
    forms += _owner_forms(store, person_of)
    return list(dict.fromkeys(forms))


def _identity_forms(person: int, ident: dict[str, Any]) -> list[_Form]:
    value, iid = str(ident["value"]), int(ident["id"])
    if ident["kind"] == "name" and not _looks_like_number(value):
        key = nm.name_key(value)
        return [_Form(person, key, "name", _shown(ident), iid)] if key else []
    if ident["kind"] != "email":
        return []
    local = nm.local_part(value)
    found = [_Form(person, local, "address", value, iid, local=True)]
    if (spelt := nm.name_of_local(local)) is not None:
        found.append(_Form(person, spelt, "address", value, iid))
    return found


def _header_forms(store: PeopleStore, person_of: dict[int, int]) -> list[_Form]:
    seen: set[tuple[int, str]] = set()
    for iid, headers in store.email_sender_headers():
        for _, value in _HEADER.findall(headers):
            name = _display_name(value)
            if name and (iid, name) not in seen:
                seen.add((iid, name))
    return [
        _Form(person_of[iid], key, "name", f"{name} (email header)", iid)
        for iid, name in seen
        if iid in person_of and (key := nm.name_key(name)) and nm.full_name(key)
    ]


def _display_name(value: str) -> str:
    value = " ".join(value.split())
    # "Lay, Kenneth </O=ENRON/...>": everything before the address
    name = value.split("<", 1)[0] if "<" in value else parseaddr(value)[0]
    name = name.strip().strip('"').strip("'").strip()
    return "" if "@" in name else name


def _owner_forms(store: PeopleStore, person_of: dict[int, int]) -> list[_Form]:
    """The custodian's label as a name of the identity that is on every chat of their phone,
    or on nearly every email of their mailbox."""
    found: list[_Form] = []
    for label, iid in _owners(store):
        if iid not in person_of:
            continue
        key = nm.custodian_key(label)
        text = label  # the custodian's name as given at ingest
        found.append(_Form(person_of[iid], key, "exporter", text, iid))
        if not nm.full_name(key):
            found.append(_Form(person_of[iid], label, "exporter", text, iid, local=True))
    return found


def _owners(store: PeopleStore) -> list[tuple[str, int]]:
    owners: list[tuple[str, int]] = []
    everywhere: dict[str, list[int]] = defaultdict(list)
    for context, iid, n, total in store.chat_presence():
        if total >= 2 and n == total and not _HASH_CONTEXT.match(context):
            everywhere[context].append(iid)
    owners += [(context, ids[0]) for context, ids in everywhere.items() if len(ids) == 1]
    best: dict[str, tuple[int, int, int]] = {}
    for custodian, iid, n, total in store.mailbox_presence():
        if n * 2 >= total and (custodian not in best or n > best[custodian][1]):
            best[custodian] = (iid, n, total)
    owners += [(custodian, iid) for custodian, (iid, _, _) in best.items()]
    return owners


def _name_clues(forms: list[_Form]) -> Iterable[tuple[_Form, _Form, Clue]]:
    blocks: dict[str, list[_Form]] = defaultdict(list)
    for form in forms:
        for block in nm.blocking_keys(nm.name_key(form.key) if form.local else form.key):
            blocks[block].append(form)
    done: set[tuple[_Form, _Form]] = set()
    for members in blocks.values():
        if len(members) > MAX_BLOCK:
            continue
        for i, fa in enumerate(members):
            for fb in members[i + 1 :]:
                if fa.person == fb.person or (fa, fb) in done:
                    continue
                done.add((fa, fb))
                clue = _compare(fa, fb)
                if clue is not None:
                    yield fa, fb, clue


def _compare(fa: _Form, fb: _Form) -> Clue | None:
    if fa.local and fb.local:
        return None
    kind = (
        "exporter"
        if "exporter" in (fa.origin, fb.origin)
        else ("address" if "address" in (fa.origin, fb.origin) else "name")
    )
    ids = tuple(i for i in (fa.identity, fb.identity) if i is not None)
    if fa.local or fb.local:
        local, other = (fa, fb) if fa.local else (fb, fa)
        score, pattern = nm.local_part_score(local.key, other.key)
        if score <= 0:
            return None
        detail = f"{local.label!r} fits the name in {other.label!r} ({pattern})"
        return Clue(kind, score * 0.8, detail, ids)
    sim = nm.name_similarity(fa.key, fb.key)
    score = _name_score(sim, fa.key, fb.key)
    if score <= 0:
        return None
    detail = f"{fa.label!r} and {fb.label!r} are alike ({sim:.0%})"
    if kind == "exporter" and fa.origin != fb.origin:
        owner, other = (fa, fb) if fa.origin == "exporter" else (fb, fa)
        detail = (
            f"{other.label!r} is named like custodian {owner.label!r} ({sim:.0%}), and "
            f"#{owner.person} is on all of that custodian's chats or most of their emails: "
            "their own account"
        )
    return Clue(kind, score, detail, ids)


def _name_score(sim: float, a: str, b: str) -> float:
    """Full names: 1.0 alike -> 0.7, 0.95 -> 0.41, 0.91 (Maria/Mario Lopez) -> 0.17, below
    0.88 nothing; a shared first name alone is a faint clue."""
    if nm.full_name(a) and nm.full_name(b):
        return max(0.0, sim - 0.88) * 5.8
    return 0.15 if sim >= 0.3 else 0.0
