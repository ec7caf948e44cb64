"""from:/to: take a person's name or alias and mean all their identities; --redact shows
private individuals by role or number in search and show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dossier import read
from dossier.case import Case
from dossier.people import edits
from dossier.people.display import Names, display_name
from tests.test_people import make_case, person


@pytest.fixture
def case_path(tmp_path: Path) -> Path:
    """The four-identity cache with Maria made one person, her role set, Tom public."""
    case = make_case(tmp_path)
    maria = person(case, "Maria Lopez")
    edits.merge(case, [str(maria), str(person(case, "m.lopez@union.example"))])
    edits.describe(case, str(maria), role="a very senior official", aliases=["La Jefa"])
    edits.describe(case, str(person(case, "Tom Hughes")), public=True)
    case.close()
    return tmp_path / "case"


def senders(case_path: Path, query: str) -> list[str]:
    with Case.open(case_path) as case:
        hits = read.search(case, query, limit=100)
        return sorted({c.sender_as_written or "" for m, _ in hits for c in m.copies[:1]})


def test_from_a_persons_name_or_alias_means_all_their_identities(case_path: Path) -> None:
    everywhere = ["+34612345678", "Maria Lopez", "Maria (office)", "m.lopez@union.example"]
    assert senders(case_path, 'from:"Maria Lopez"') == sorted(
        {*everywhere} - {"Maria (office)"}  # her Team copies are read first on Tom's phone
    )
    assert senders(case_path, 'from:"la jefa"') == senders(case_path, 'from:"Maria Lopez"')
    assert senders(case_path, "from:jefa numbers") == ["m.lopez@union.example"]
    # an identity still finds the whole person, as before
    assert senders(case_path, 'from:"Maria (office)"') == senders(case_path, "from:jefa")
    assert senders(case_path, "from:612345678") == senders(case_path, "from:jefa")


def test_to_a_persons_name_or_alias(case_path: Path) -> None:
    with Case.open(case_path) as case:
        by_name = [m.uid for m, _ in read.search(case, 'to:"Maria Lopez"')]
        by_alias = [m.uid for m, _ in read.search(case, "to:jefa")]
        by_address = [m.uid for m, _ in read.search(case, "to:m.lopez@union.example")]
        to_tom = [m.uid for m, _ in read.search(case, "to:tom")]
    assert by_name == by_alias == by_address and len(by_name) == 1
    assert len(to_tom) == 1 and to_tom != by_name


def test_display_names_are_consistent_placeholders() -> None:
    people = [
        {"id": 3, "name": "Maria Lopez", "role": "a very senior official", "public_figure": 0},
        {"id": 9, "name": "Jose Garcia", "role": "A very senior official", "public_figure": 0},
        {"id": 5, "name": "Tom Hughes", "role": "an MP", "public_figure": 1},
        {"id": 7, "name": "Ana Ruiz", "role": None, "public_figure": 0},
    ]
    names = Names(people)
    assert names.of(3) == "a very senior official"
    assert names.of(9) == "A very senior official (2)"
    assert names.of(5) == "Tom Hughes"
    assert names.of(7) == "Person 7"
    assert names.of(None) == "(unknown)"
    assert Names(list(reversed(people))).of(9) == names.of(9)  # not the listing's order
    assert display_name(people[0], redact=False) == "Maria Lopez"
    assert names.label("Tom Hughes") == "Tom Hughes" and names.label("Ana Ruiz") == "(redacted)"
    assert Names(people, redact=False).label("Ana Ruiz") == "Ana Ruiz"


PRIVATE = ("Maria", "m.lopez", "+34612345678", "Ana Ruiz", "Mario", "Ana R")


def test_search_redact_flag(case_path: Path, dossier: Callable[..., Any]) -> None:
    plain = dossier("search", case_path, "budget OR strike OR minutes", "--json")
    assert "Maria Lopez" in plain.out
    shown = dossier("search", case_path, "budget OR strike OR minutes", "--redact")
    assert shown.code == 0
    assert "a very senior official" in shown.out and "Tom Hughes" in shown.out
    hits = json.loads(
        dossier("search", case_path, "budget OR strike OR minutes", "--redact", "--json").out
    )
    shown_senders = {h["sender"] for h in hits}
    assert {"a very senior official", "Tom Hughes"} <= shown_senders
    assert all(
        s.startswith("Person ") for s in shown_senders - {"a very senior official", "Tom Hughes"}
    )
    for hit in hits:
        head = json.dumps({k: v for k, v in hit.items() if k not in ("body", "snippet")})
        assert not any(name in head for name in PRIVATE), head
    people = json.loads(dossier("people", case_path, "--json", "--redact").out)
    assert not any(name in json.dumps(people) for name in PRIVATE)
    assert any(p["name"] == "Person 2" or p["name"].startswith("Person") for p in people)


def test_show_redact_flag(case_path: Path, dossier: Callable[..., Any]) -> None:
    with Case.open(case_path) as case:
        chat = read.search(case, '"budget meeting"')[0][0].uid
        mail = read.search(case, "subject:fund")[0][0].uid
    text = dossier("show", case_path, chat, "--context", "3", "--redact").out
    assert "a very senior official" in text and "Tom Hughes" in text
    assert "Person" in text  # Mario, private, no role
    assert not any(name in text for name in PRIVATE), text
    email = dossier("show", case_path, mail, "--redact", "--json").out
    data = json.loads(email)
    recipients = data["message"]["email"]["recipients"]
    assert [r["name"] for r in recipients] == [
        "a very senior official",
        f"Person {_ana(case_path)}",
    ]
    assert all(r["address"] == "" for r in recipients)
    unredacted = dossier("show", case_path, mail).out
    assert "m.lopez@union.example" in unredacted


def _ana(case_path: Path) -> int:
    with Case.open(case_path) as case:
        return person(case, "ana@union.example")
