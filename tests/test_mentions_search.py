"""about: in search: the messages that mention a person (by any name or alias) or a name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dossier.errors import QueryError
from dossier.store.query import About, And, Not, parse
from tests.test_mentions import NEEDS_MODEL, build_case


def search(dossier, case: Path, query: str) -> list[str]:
    result = dossier("search", case, query, "--json", "--sort", "oldest")
    assert result.code == 0, result.err
    return [hit["body"] for hit in json.loads(result.out)]


@NEEDS_MODEL
def test_about_finds_the_mentions_of_a_person_or_a_name(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    assert dossier("analyse", "mentions", case).code == 0
    leo = search(dossier, case, 'about:"Leo Brandt"')
    assert len(leo) == 5 and leo[0].startswith("Did you see what Leo Brandt")
    assert "Has visto lo que dijo leo brandt ayer?" in leo  # lower case, Spanish
    assert search(dossier, case, "about:brandt") == leo  # part of the name
    assert len(search(dossier, case, "about:brandt from:pedro")) == 2  # a chat line, the email
    # A person by any of their names, accents and case aside: "MARÍA LÓPEZ" in the group and
    # "Maria" in the chat where she is the only Maria; not the "Maria" said to two Marias.
    lopez = search(dossier, case, 'about:"maría lópez"')
    assert lopez == [
        "MARÍA LÓPEZ knows him better than me. Ask Peps.",
        "Maria, are you coming tonight?",
    ]
    assert search(dossier, case, "about:nobody-of-that-name") == []
    assert search(dossier, case, "about:brandt -about:lopez") == leo


def test_about_before_the_analysis_says_what_to_run(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    result = dossier("search", case, "about:brandt")
    assert result.code == 1
    assert "dossier analyse mentions" in result.err


def test_about_parses_and_needs_a_name() -> None:
    assert parse('about:"Leo Brandt"') == About("Leo Brandt")
    assert parse("about:brandt -about:lopez") == And((About("brandt"), Not(About("lopez"))))
    with pytest.raises(QueryError, match="needs a value"):
        parse("about:")
