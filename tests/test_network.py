"""dossier network: who writes to and about whom, exported to GEXF/GraphML (read back with
networkx) and pictures; chat turns; date filters; redaction of private individuals."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from dossier.case import Case
from tests.conftest import android_chat
from tests.test_mentions import NEEDS_MODEL, build_case


def one_person_per_name(case: Path) -> dict[str, int]:
    """Join the per-source persons of each name (what a user does with the people commands)."""
    with Case.open(case) as opened, opened.store.transaction():
        keep: dict[str, int] = {}
        for person in opened.store.persons_with_identities():
            first = keep.setdefault(person["name"], person["id"])
            opened.store.join_persons(first, person["id"])
    return keep


def set_person(case: Path, person_id: int, **fields: object) -> None:
    with Case.open(case) as opened, opened.store.transaction():
        sets = ", ".join(f"{k} = ?" for k in fields)
        opened.store.conn.execute(
            f"UPDATE persons SET {sets} WHERE id = ?", (*fields.values(), person_id)
        )


def edges(graph: nx.MultiDiGraph) -> dict[tuple[str, str, str], int]:
    label = {n: graph.nodes[n]["label"] for n in graph}
    return {
        (label[s], label[t], k): int(d["weight"])
        for s, t, k, d in graph.edges(keys=True, data=True)
    }


@pytest.fixture
def case(tmp_path: Path, dossier) -> Path:
    made = build_case(tmp_path, dossier)
    one_person_per_name(made)
    return made


def test_writes_to_and_member_with_round_trip_through_graphml(case: Path, dossier) -> None:
    out = case.parent / "net.graphml"
    result = dossier("network", case, "--out", out, "--kind", "writes_to")
    assert result.code == 0, result.err
    graph = nx.read_graphml(out, force_multigraph=True)
    assert edges(graph) == {
        # chat turns in the group: each message answers the one just before it
        ("Maria Ortiz", "Maria Lopez", "writes_to"): 1,
        ("Pedro Sanz", "Maria Ortiz", "writes_to"): 2,  # a turn, and the email's Cc
        ("Maria Lopez", "Pedro Sanz", "writes_to"): 2,  # a turn in each chat
        ("Pedro Sanz", "Maria Lopez", "writes_to"): 2,  # a turn, and the email's To
        ("Maria Ortiz", "Pedro Sanz", "writes_to"): 1,
    }
    assert {graph.edges[e]["months"] for e in graph.edges(keys=True)} <= {"2024-05:1", "2024-05:2"}
    people = {d["label"]: d for _, d in graph.nodes(data=True)}
    assert people["Pedro Sanz"]["messages"] == 5  # 3 in the group (one deleted), 1 pair, 1 email
    assert people["Maria Lopez"]["public"] is False

    out = case.parent / "members.graphml"
    assert dossier("network", case, "--out", out, "--kind", "member_with").code == 0
    members = {
        frozenset(k[:2]): n for k, n in edges(nx.read_graphml(out, force_multigraph=True)).items()
    }
    assert members == {  # stored once per pair
        frozenset({"Maria Lopez", "Maria Ortiz"}): 1,
        frozenset({"Maria Lopez", "Pedro Sanz"}): 2,  # the group and the pair chat
        frozenset({"Maria Ortiz", "Pedro Sanz"}): 1,
    }


@NEEDS_MODEL
def test_talks_about_round_trips_through_gexf(case: Path, dossier) -> None:
    assert dossier("analyse", "mentions", case).code == 0
    out = case.parent / "net.gexf"
    result = dossier("network", case, "--out", out)
    assert result.code == 0, result.err
    graph = nx.read_gexf(out)
    about = {k: n for k, n in edges(graph).items() if k[2] == "talks_about"}
    assert about[("Maria Lopez", "Leo Brandt", "talks_about")] == 2
    assert about[("Maria Ortiz", "Leo Brandt", "talks_about")] == 1
    assert about[("Pedro Sanz", "Leo Brandt", "talks_about")] == 2  # chat and email
    assert about[("Pedro Sanz", "Maria Lopez", "talks_about")] == 1  # "Maria" in the pair chat
    assert about[("Maria Ortiz", "Maria Lopez", "talks_about")] == 1
    assert not any(s == "Pedro Sanz" and t == "Maria Ortiz" for s, t, _ in about)  # ambiguous
    leo = next(d for _, d in graph.nodes(data=True) if d["label"] == "Leo Brandt")
    assert leo["kind"] == "not a participant" and leo["messages"] == 0


def test_turns_need_another_person_within_minutes(tmp_path: Path, dossier) -> None:
    chat = android_chat(
        [
            ("01/06/2024, 10:00", "Ana", "first"),
            ("01/06/2024, 10:01", "Ana", "second, same author: no turn"),
            ("01/06/2024, 10:03", "Ben", "answer: a turn to Ana"),
            ("01/06/2024, 11:00", "Ana", "an hour later: no turn"),
            ("01/07/2024, 09:00", "Ben", "next month"),
            ("01/07/2024, 09:04", "Ana", "a turn to Ben in July"),
        ]
    )
    (tmp_path / "chat.txt").write_text(chat, "utf-8")
    case = tmp_path / "case"
    dossier("init", case, "--tz", "Europe/Madrid")
    assert dossier("ingest", case, tmp_path / "chat.txt").code == 0
    out = tmp_path / "turns.graphml"
    assert dossier("network", case, "--out", out, "--kind", "writes_to").code == 0
    graph = nx.read_graphml(out, force_multigraph=True)
    assert edges(graph) == {("Ben", "Ana", "writes_to"): 1, ("Ana", "Ben", "writes_to"): 1}
    ana_to_ben = next(d for s, t, d in graph.edges(data=True) if graph.nodes[s]["label"] == "Ana")
    assert ana_to_ben["months"] == "2024-07:1"

    out = tmp_path / "june.graphml"
    result = dossier(
        "network", case, "--out", out, "--since", "2024-06-01", "--until", "2024-07-01"
    )
    assert result.code == 0, result.err
    assert {
        k for k in edges(nx.read_graphml(out, force_multigraph=True)) if k[2] == "writes_to"
    } == {("Ben", "Ana", "writes_to")}


@NEEDS_MODEL
def test_redacted_export_names_only_public_figures(case: Path, dossier) -> None:
    assert dossier("analyse", "mentions", case).code == 0
    ids = {}
    with Case.open(case) as opened:
        for person in opened.store.persons_with_identities():
            ids[person["name"]] = person["id"]
    set_person(case, ids["Maria Ortiz"], public_figure=1)
    set_person(case, ids["Pedro Sanz"], role="Union official")
    out = case.parent / "redacted.gexf"
    result = dossier("network", case, "--out", out, "--redact")
    assert result.code == 0, result.err
    text = out.read_text("utf-8")
    for private in ("Maria Lopez", "Pedro Sanz", "Leo Brandt", "Pedro", "Lopez", "Brandt"):
        assert private not in text
    labels = {d["label"] for _, d in nx.read_gexf(out).nodes(data=True)}
    lopez = f"Person {ids['Maria Lopez']}"  # as search, show and people --redact show her
    assert {"Maria Ortiz", "Union official", lopez, "Named person 1"} <= labels

    plain = case.parent / "plain.gexf"
    assert dossier("network", case, "--out", plain).code == 0
    assert "Leo Brandt" in plain.read_text("utf-8")


def test_pictures_are_drawn(case: Path, dossier) -> None:
    png, svg = case.parent / "net.png", case.parent / "net.svg"
    result = dossier("network", case, "--out", png)
    assert result.code == 0
    assert "dossier analyse mentions" in result.err  # no talks_about links until then
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert dossier("network", case, "--out", svg, "--redact").code == 0
    text = svg.read_text("utf-8")
    assert "<svg" in text


def test_bad_options_are_explained(case: Path, dossier) -> None:
    result = dossier("network", case, "--out", case.parent / "net.pdf")
    assert result.code == 1 and ".gexf" in result.err
    result = dossier("network", case, "--out", case.parent / "n.gexf", "--since", "May 2024")
    assert result.code == 1 and "YYYY-MM-DD" in result.err
    assert not (case.parent / "n.gexf").exists()


def test_a_platform_reply_is_a_turn_however_late(tmp_path: Path, dossier) -> None:
    def message(n: int, minute: int, who: str, text: str, **extra: object) -> dict[str, object]:
        stamp = 1714557600 + 60 * minute
        when = f"2024-05-01T{10 + minute // 60:02d}:{minute % 60:02d}:00"
        return {
            "id": n,
            "type": "message",
            "date": when,
            "date_unixtime": str(stamp),
            "from": who,
            "from_id": f"user{who[0]}",
            "text": text,
            **extra,
        }

    export = {
        "name": "Organisers",
        "type": "private_group",
        "id": 4000000009,
        "messages": [
            message(1, 0, "Ann Lee", "Who takes Eastfield?"),
            message(2, 1, "Bob Stone", "Not me."),
            message(3, 120, "Cat Ng", "I will.", reply_to_message_id=1),  # two hours later
        ],
    }
    (tmp_path / "result.json").write_text(json.dumps(export), "utf-8")
    case = tmp_path / "case"
    dossier("init", case)
    result = dossier("ingest", case, tmp_path / "result.json")
    assert result.code == 0, result.err
    out = tmp_path / "replies.graphml"
    assert dossier("network", case, "--out", out, "--kind", "writes_to").code == 0
    assert edges(nx.read_graphml(out, force_multigraph=True)) == {
        ("Bob Stone", "Ann Lee", "writes_to"): 1,  # directly after, within minutes
        ("Cat Ng", "Ann Lee", "writes_to"): 1,  # the platform says it answers Ann
    }
