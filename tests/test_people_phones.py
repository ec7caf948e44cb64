"""Phone numbers become one identity however they were written: E.164, with the case's
region (or its zone's country) for numbers saved without a country code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dossier.case import Case
from dossier.ingest import ingest
from dossier.ingest.rows import phone_value
from dossier.people.phones import e164, region_of_zone
from dossier.people.suggest import suggest
from tests.conftest import android_chat


@pytest.mark.parametrize(
    ("written", "region", "expected"),
    [
        ("+34 612 34 56 78", None, "+34612345678"),
        ("\u202a+34 612 34 56 78\u202c", None, "+34612345678"),  # bidi marks around it
        ("~ +44 7700 900123", "ES", "+447700900123"),
        ("612 34 56 78", "ES", "+34612345678"),
        ("07700 900123", "GB", "+447700900123"),
        ("0034 612 345 678", None, "+34612345678"),
        ("(555) 123-4567", "US", "+15551234567"),
        ("612 34 56 78", None, "612345678"),  # no region: the digits, flagged when shown
        ("+1 23", None, None),  # too short to be a number: a name
        ("Maria 612", None, None),
    ],
)
def test_phone_value_is_e164(written: str, region: str | None, expected: str | None) -> None:
    assert phone_value(written, region) == expected


def test_e164_refuses_what_it_cannot_place() -> None:
    assert e164("612345678", None) is None
    assert e164("+999 1234567", None) is None


def test_region_of_zone() -> None:
    assert region_of_zone("Europe/Madrid") == "ES"
    assert region_of_zone("America/Chicago") == "US"
    assert region_of_zone("UTC") is None


def chat(path: Path, sender: str, day: int = 14) -> Path:
    path.write_text(
        android_chat(
            [
                (f"{day}/06/2024, 09:00", sender, "hola"),
                (f"{day}/06/2024, 09:01", "Ana", "hi"),
                (f"{day}/06/2024, 09:02", sender, "bye"),
            ]
        ),
        "utf-8",
    )
    return path


def test_national_number_uses_the_case_region(tmp_path: Path, dossier: Callable[..., Any]) -> None:
    case = tmp_path / "case"
    assert dossier("init", case, "--tz", "UTC", "--region", "es").code == 0
    assert dossier("people", "region", case).out.strip() == "ES"
    first = chat(tmp_path / "a.txt", "612 34 56 78")
    second = chat(tmp_path / "b.txt", "+34 612 34 56 78", day=20)
    assert dossier("ingest", case, first, second).code == 0
    with Case.open(case) as opened:
        phones = [
            i
            for p in opened.store.people_summary()
            for i in p["identities"]
            if i["kind"] == "phone"
        ]
    assert [i["value"] for i in phones] == ["+34612345678"]
    assert phones[0]["sent"] == 4


def test_region_comes_from_the_zone_and_unplaced_numbers_are_flagged(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    madrid = Case.create(tmp_path / "madrid", title=None, tz="Europe/Madrid")
    ingest(madrid, [chat(tmp_path / "a.txt", "612 34 56 78")])
    values = {i["value"] for p in madrid.store.people_summary() for i in p["identities"]}
    assert "+34612345678" in values
    madrid.close()
    dossier("init", tmp_path / "utc", "--tz", "UTC")
    dossier("ingest", tmp_path / "utc", tmp_path / "a.txt")
    listed = dossier("people", tmp_path / "utc").out
    assert "phone 612345678 (no country code" in listed


def test_digits_stored_before_a_region_was_set_are_suggested_as_the_same_number(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case_path = tmp_path / "case"
    dossier("init", case_path, "--tz", "UTC")
    dossier("ingest", case_path, chat(tmp_path / "a.txt", "612 34 56 78"))
    assert dossier("people", "region", case_path, "ES").code == 0
    dossier("ingest", case_path, chat(tmp_path / "b.txt", "612 34 56 78", day=20))
    with Case.open(case_path) as case:
        best = suggest(case.store, region="ES")[0]
        names = {best.a["name"], best.b["name"]}
    assert names == {"612345678", "+34612345678"}
    assert best.clues[0].kind == "same-number" and best.score >= 0.95


def test_bad_region_is_refused(tmp_path: Path, dossier: Callable[..., Any]) -> None:
    result = dossier("init", tmp_path / "case", "--region", "Spain")
    assert result.code == 2 and "--region" in result.err
    assert not (tmp_path / "case").exists()
    dossier("init", tmp_path / "ok")
    wrong = dossier("people", "region", tmp_path / "ok", "XX")
    assert wrong.code == 1 and "two-letter country code" in wrong.err
