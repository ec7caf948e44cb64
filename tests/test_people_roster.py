"""The roster: export, edit, import (CSV and YAML); a rebuilt case gets its people back; a
bad file changes nothing."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dossier.case import Case
from dossier.people import edits
from dossier.people.roster import RosterError, export_roster, import_roster, read_roster
from tests.test_people import make_case, person


def describe_maria(case: Case) -> int:
    maria = person(case, "Maria Lopez")
    edits.merge(case, [str(maria), str(person(case, "m.lopez@union.example"))])
    edits.describe(
        case,
        str(maria),
        role="a very senior official",
        public=False,
        aliases=["ML", "Mari; the boss"],
        labels=["left faction", "board"],
    )
    edits.describe(case, str(person(case, "Tom Hughes")), public=True, labels=["board"])
    return maria


def snapshot(case: Case) -> list[dict[str, Any]]:
    """What the roster says about people, without the case's own numbers."""
    rows = []
    for p in case.store.people_summary():
        ids = sorted((i["kind"], i["value"], i["context"]) for i in p["identities"])
        rows.append(
            {
                "name": p["name"],
                "role": p["role"],
                "public": p["public_figure"],
                "aliases": p["aliases"],
                "labels": p["labels"],
                "identities": ids,
            }
        )
    return sorted(rows, key=lambda r: r["identities"])


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_roster_round_trip_into_a_rebuilt_case(tmp_path: Path, suffix: str) -> None:
    case = make_case(tmp_path / "one")
    describe_maria(case)
    path = tmp_path / f"roster{suffix}"
    assert export_roster(case, path) == len(case.store.people_summary())
    before = snapshot(case)
    # the same file back into the same case: nothing changes, nobody becomes "confirmed"
    confirmed = [p["confirmed"] for p in case.store.people_summary()]
    assert import_roster(case, read_roster(path)) == []
    assert snapshot(case) == before
    assert [p["confirmed"] for p in case.store.people_summary()] == confirmed
    case.close()
    # a case rebuilt from the same files has the people back as they were
    rebuilt = make_case(tmp_path / "two")
    changes = import_roster(rebuilt, read_roster(path))
    assert any("merged" in line for line in changes)
    assert snapshot(rebuilt) == before
    assert import_roster(rebuilt, read_roster(path)) == []  # idempotent
    rebuilt.close()


def test_csv_lists_escape_semicolons(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    maria = describe_maria(case)
    path = tmp_path / "roster.csv"
    export_roster(case, path)
    with path.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == str(maria))
    assert row["aliases"] == "ML;Mari\\; the boss"
    assert row["public_figure"] == "no"
    assert "email:m.lopez@union.example" in row["identities"].split(";")
    assert "name[Ana Ruiz]:Maria (office)" in row["identities"].split(";")
    case.close()


def test_csv_cells_never_run_as_spreadsheet_formulas(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    tom = person(case, "Tom Hughes")
    edits.rename(case, str(tom), '=HYPERLINK("http://x.example","Tom")')
    edits.describe(case, str(tom), aliases=["'=odd", "+44 leak"], role="-")
    path = tmp_path / "roster.csv"
    export_roster(case, path)
    with path.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == str(tom))
    assert row["name"].startswith("'=") and row["role"] == "'-"
    assert row["aliases"].startswith("'+") or row["aliases"].startswith("''=")
    assert import_roster(case, read_roster(path)) == []  # read back exactly
    fields = case.store.person_fields(tom)
    assert fields["name"] == '=HYPERLINK("http://x.example","Tom")'
    assert fields["aliases"] == ["'=odd", "+44 leak"] and fields["role"] == "-"
    case.close()


def test_edited_roster_reports_changes_and_adds_people(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    path = tmp_path / "roster.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "people": [
                    {
                        "name": "Maria López",
                        "role": "a very senior official",
                        "groups": ["left"],
                        "public_figure": "no",
                        "identities": ["phone:612 34 56 78", "email:M.Lopez@union.example"],
                    },
                    {"name": "The Minister", "public_figure": True, "aliases": ["Minister"]},
                ]
            }
        ),
        encoding="utf-8",
    )
    changes = import_roster(case, read_roster(path, region="ES"))
    assert any("merged" in c for c in changes)
    assert any("The Minister: new person" in c for c in changes)
    assert any("role None -> 'a very senior official'" in c for c in changes)
    maria = next(p for p in case.store.people_summary() if p["name"] == "Maria López")
    values = {i["value"] for i in maria["identities"]}
    assert {"+34612345678", "m.lopez@union.example", "Maria (office)"} <= values
    assert maria["labels"] == ["left"] and maria["confirmed"]
    minister = next(p for p in case.store.people_summary() if p["name"] == "The Minister")
    assert minister["public_figure"] and minister["identities"] == []
    assert import_roster(case, read_roster(path, region="ES")) == []  # no second Minister
    case.close()


BAD_FILES = [
    ("roster.csv", "who,role\nMaria,x\n", "no 'name' column"),
    ("roster.csv", "name,colour\nMaria,red\n", "unknown column 'colour'"),
    ("roster.csv", "name,role\nMaria,x,extra\n", "more cells than columns"),
    ("roster.csv", "name,role\n,official\n", "the name is empty"),
    ("roster.csv", "name,public_figure\nMaria,perhaps\n", "public_figure is 'perhaps'"),
    ("roster.csv", "name,identities\nMaria,fax:123\n", "cannot read the identity 'fax:123'"),
    ("roster.csv", "name,identities\nA,phone:+34612345678\nB,phone:+34612345678\n", "also in"),
    ("roster.yaml", "people: [name: x\n", "not valid YAML"),
    ("roster.yaml", "people: just text\n", "expected a list of people"),
    ("roster.yaml", "- name: Maria\n  colour: red\n", "unknown key 'colour'"),
    ("roster.yaml", "- name: Maria\n  role: [a, b]\n", "role should be text"),
    ("roster.yaml", "- [Maria]\n", "expected keys"),
    ("roster.txt", "name\nMaria\n", "Cannot tell the roster format"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_FILES)
def test_bad_roster_is_refused_and_changes_nothing(
    tmp_path: Path, dossier: Callable[..., Any], name: str, text: str, message: str
) -> None:
    make_case(tmp_path).close()
    case_path = tmp_path / "case"
    before = json.loads(dossier("people", case_path, "--json").out)
    bad = tmp_path / name
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=message.replace("(", r"\(").replace("[", r"\[")):
        read_roster(bad)
    result = dossier("people", "roster", "import", case_path, bad)
    assert result.code == 1 and "Traceback" not in result.err
    assert json.loads(dossier("people", case_path, "--json").out) == before


def test_two_rows_for_one_person_are_refused(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    before = snapshot(case)
    roster = _write(
        tmp_path / "r.csv",
        "name,role,identities\n"
        "Maria,boss,phone:+34612345678\n"
        "Maria L,clerk,email:m.lopez@union.example\n"
        "Mari,,name[Tom Hughes]:Maria Lopez\n",
    )
    with pytest.raises(RosterError, match="line 4 is the same person as line 2"):
        import_roster(case, read_roster(roster))
    assert snapshot(case) == before
    case.close()


def test_a_row_failing_midway_undoes_the_rows_before(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    before = snapshot(case)
    roster = _write(tmp_path / "r.csv", "name,role,groups\nMaria Lopez,boss,\nX,y,boom\n")
    # the disk fills up, say, while the second row is written
    case.store.conn.execute(
        "CREATE TEMP TRIGGER boom BEFORE INSERT ON person_labels WHEN NEW.label = 'boom'"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        import_roster(case, read_roster(roster))
    assert snapshot(case) == before
    case.close()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_roster_cli_export_and_import(tmp_path: Path, dossier: Callable[..., Any]) -> None:
    make_case(tmp_path).close()
    case = tmp_path / "case"
    out = tmp_path / "people.yml"
    exported = dossier("people", "roster", "export", case, out)
    assert exported.code == 0 and out.is_file()
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    data["people"][0]["role"] = "an activist from the left"
    out.write_text(yaml.safe_dump(data), encoding="utf-8")
    imported = dossier("people", "roster", "import", case, out)
    assert imported.code == 0 and "an activist from the left" in imported.out
    again = dossier("people", "roster", "import", case, out)
    assert again.out == "" and "0 change(s)" in again.err
