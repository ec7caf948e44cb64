"""Who is who: one person seen under four identities on two phones and in email is put
together from evidence, suggestions and one confirmation; rejected pairs stay rejected."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dossier.case import Case
from dossier.ingest import IngestOptions, ingest
from dossier.people import edits
from dossier.people.suggest import suggest

START = datetime(2024, 6, 14, 9, 0)
# (minute, who, text) of two WhatsApp groups both Tom and Ana exported
TEAM = [
    (0, "maria", "Morning all"),
    (1, "tom", "Morning"),
    (2, "maria", "Budget meeting moved to 3pm"),
    (3, "mario", "ok"),
    (5, "tom", "Who is bringing the minutes?"),
    (9, "maria", "I will.\nAnd the accounts"),
    (30, "mario", "Plan B is still on?"),
    (31, "maria", "Yes"),
    (45, "tom", "Heading out"),
    (46, "mario", "See you there"),
]
STRIKE = [
    (120, "maria", "Strike fund is at 4,000"),
    (121, "ana", "Good news"),
    (122, "maria", "We need the bank details"),
    (124, "ana", "I will send them tonight"),
    (125, "maria", "Thanks, and the list of donors"),
    (127, "ana", "Tomorrow"),
    (130, "maria", "Fine"),
    (131, "ana", "Bye"),
]
# How each phone shows each person. Tom saved Maria's office number as "Maria Lopez" and never
# saved her personal one (the strike fund group); Ana saved her personal one as "Maria (office)".
TOM_PHONE = {
    "Team": {"maria": "Maria Lopez", "tom": "Tom Hughes", "mario": "Mario Lopez"},
    "Strike fund": {"maria": "+34 612 34 56 78", "ana": "Ana Ruiz", "tom": "Tom Hughes"},
}
ANA_PHONE = {
    "Team": {"maria": "Maria (office)", "tom": "Tom H", "mario": "Mario L"},
    "Strike fund": {"maria": "Maria (office)", "ana": "Ana Ruiz", "tom": "Tom H"},
}
EMAILS = [  # (from, to, subject, body)
    ("Maria Lopez <m.lopez@union.example>", "tom@union.example", "Budget", "Numbers attached."),
    ("Maria Lopez <m.lopez@union.example>", "ana@union.example", "Fund", "Bank details?"),
    ("Tom Hughes <tom@union.example>", "m.lopez@union.example", "Re: Budget", "Thanks Maria"),
]


def android(path: Path, names: dict[str, str], events: list[tuple[int, str, str]]) -> Path:
    lines = [
        f"{START + timedelta(minutes=minute):%d/%m/%Y, %H:%M} - {names[who]}: {text}\n"
        for minute, who, text in events
    ]
    path.write_text("".join(lines), "utf-8")
    return path


def mbox(path: Path, emails: list[tuple[str, str, str, str]]) -> Path:
    parts = []
    for n, (sender, to, subject, body) in enumerate(emails, start=1):
        parts.append(
            f"From x@y Fri Jun 14 1{n}:00:00 2024\n"
            f"From: {sender}\nTo: {to}\nSubject: {subject}\n"
            f"Date: Fri, 14 Jun 2024 1{n}:00:00 +0200\n"
            f"Message-ID: <m{n}@union.example>\n\n{body}\n\n"
        )
    path.write_text("".join(parts), "utf-8")
    return path


def build_cache(root: Path) -> dict[str, Path]:
    """Tom's phone, Ana's phone (two groups each) and Maria's mailbox, as files."""
    root.mkdir(parents=True, exist_ok=True)
    files = {}
    for owner, phone in (("tom", TOM_PHONE), ("ana", ANA_PHONE)):
        folder = root / owner
        folder.mkdir(exist_ok=True)
        android(folder / "WhatsApp Chat with Team.txt", phone["Team"], TEAM)
        android(folder / "WhatsApp Chat with Strike fund.txt", phone["Strike fund"], STRIKE)
        files[owner] = folder
    files["mail"] = mbox(root / "maria.mbox", EMAILS)
    return files


def make_case(root: Path) -> Case:
    files = build_cache(root / "cache")
    case = Case.create(root / "case", title=None, tz="Europe/Madrid")
    ingest(case, [files["tom"]], IngestOptions(custodian="Tom Hughes"))
    ingest(case, [files["ana"]], IngestOptions(custodian="Ana Ruiz"))
    ingest(case, [files["mail"]], IngestOptions(custodian="Maria Lopez"))
    return case


def holder(case: Case, value: str) -> dict[str, Any]:
    """The person who has the identity ``value``."""
    found = [
        p for p in case.store.people_summary() if value in {i["value"] for i in p["identities"]}
    ]
    assert len(found) == 1, value
    return found[0]


def identities_of(case: Case, value: str) -> set[str]:
    """Every identity value of the person who has ``value``."""
    return {i["value"] for i in holder(case, value)["identities"]}


def person(case: Case, value: str) -> int:
    return int(holder(case, value)["id"])


def suggested_pairs(case: Case) -> list[set[int]]:
    return [{s.a["id"], s.b["id"]} for s in suggest(case.store)]


MARIA = {"Maria Lopez", "Maria (office)", "+34612345678", "m.lopez@union.example"}


def test_four_identities_become_one_person_from_evidence_and_one_confirmation(
    tmp_path: Path,
) -> None:
    case = make_case(tmp_path)
    # Hard evidence joined the phones: the same messages under three names.
    assert identities_of(case, "Maria Lopez") == MARIA - {"m.lopez@union.example"}
    phones, mail = person(case, "Maria Lopez"), person(case, "m.lopez@union.example")
    found = suggest(case.store)
    top = found[0]
    assert {top.a["id"], top.b["id"]} == {phones, mail}
    assert {"name", "address"} <= {c.kind for c in top.clues}
    assert all(c.detail and c.score > 0 for c in top.clues)
    edits.merge(case, [str(top.a["id"]), str(top.b["id"])])
    assert identities_of(case, "Maria Lopez") == MARIA
    assert holder(case, "Maria Lopez")["name"] == "Maria Lopez"
    assert all(phones not in pair or mail not in pair for pair in suggested_pairs(case))
    reasons = case.store.conn.execute("SELECT reason FROM identity_links").fetchall()
    assert ("user",) in reasons and ("same-message",) in reasons
    case.close()


def test_suggestions_show_same_message_evidence_when_not_joined(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    maria = person(case, "Maria Lopez")
    office = case.store.find_identity("name", "Maria (office)", "Ana Ruiz")
    assert office is not None
    new = edits.split(case, str(maria), [office])
    found = suggest(case.store)
    assert all({s.a["id"], s.b["id"]} != {maria, new} for s in found), "a split is a rejection"
    # Without the rejection, the same messages are the strongest clue there is.
    case.store.conn.execute("DELETE FROM identity_decisions")
    best = suggest(case.store)[0]
    assert {best.a["id"], best.b["id"]} == {maria, new}
    assert best.clues[0].kind == "same-message"
    assert best.clues[0].count == 4 and best.clues[0].examples[0].startswith("m")
    case.close()


def test_rejected_pair_stays_rejected_after_reingest_and_new_evidence(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    mario, mailbox = person(case, "Mario Lopez"), person(case, "m.lopez@union.example")
    assert {mario, mailbox} in suggested_pairs(case)  # m.lopez could be Mario Lopez
    edits.reject(case, str(mario), str(mailbox))
    assert {mario, mailbox} not in suggested_pairs(case)
    files = build_cache(tmp_path / "cache")
    ingest(case, [files["tom"], files["ana"], files["mail"]])  # the same files: nothing new
    assert {mario, mailbox} not in suggested_pairs(case)
    # New evidence: an email from that address signed with Mario's full name.
    more = mbox(
        tmp_path / "more.mbox", [("Mario Lopez <m.lopez@union.example>", "x@y.z", "Hi", "")]
    )
    ingest(case, [more], IngestOptions(custodian="Maria Lopez"))
    fresh = suggest(case.store, min_score=0)
    assert all({s.a["id"], s.b["id"]} != {mario, mailbox} for s in fresh)
    assert person(case, "Mario Lopez") == mario
    # ...while the other suggestion is still there
    assert {person(case, "Maria Lopez"), mailbox} in suggested_pairs(case)
    # and the new evidence is real: without the decision, it would now be a strong suggestion
    case.store.conn.execute("DELETE FROM identity_decisions")
    again = next(s for s in suggest(case.store) if {s.a["id"], s.b["id"]} == {mario, mailbox})
    assert any("Mario Lopez (email header)" in c.detail for c in again.clues)
    case.close()


def test_a_split_is_not_undone_by_a_later_export_of_the_same_chat(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    maria = person(case, "Maria Lopez")
    office = case.store.find_identity("name", "Maria (office)", "Ana Ruiz")
    assert office is not None
    new = edits.split(case, str(maria), [office])
    # Ana exports the group again a day later: the same messages and some new ones.
    later = [*TEAM, (1440, "maria", "Any news?"), (1441, "tom", "Not yet")]
    again = android(tmp_path / "WhatsApp Chat with Team.txt", ANA_PHONE["Team"], later)
    summary = ingest(case, [again], IngestOptions(custodian="Ana Ruiz"))
    assert summary.messages_merged == len(TEAM)  # the export was recognised as the same chat
    assert case.store.person_of(office) == new
    assert identities_of(case, "Maria (office)") == {"Maria (office)"}
    case.close()


def test_merge_overrides_an_earlier_rejection_and_keeps_aliases(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    maria, mario = person(case, "Maria Lopez"), person(case, "Mario Lopez")
    edits.reject(case, str(maria), str(mario))
    edits.describe(case, str(mario), aliases=["ML"], labels=["board"])
    edits.merge(case, [str(maria), str(mario)], name="Maria Lopez")
    merged = next(p for p in case.store.people_summary() if p["id"] == maria)
    assert merged["aliases"] == ["ML"] and merged["labels"] == ["board"]
    assert set(case.store.decisions().values()) == {"confirmed"}
    assert not case.store.person_exists(mario)
    case.close()


def test_split_needs_identities_of_that_person(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    maria, mario = person(case, "Maria Lopez"), person(case, "Mario Lopez")
    with pytest.raises(edits.PeopleError, match="not one of"):
        edits.split(case, str(maria), case.store.identities_of(mario))
    with pytest.raises(edits.PeopleError, match="leave some"):
        edits.split(case, str(maria), case.store.identities_of(maria))
    with pytest.raises(edits.PeopleError, match="at least two"):
        edits.merge(case, [str(maria), f"#{maria}"])
    with pytest.raises(edits.PeopleError, match="several persons"):
        edits.merge(case, ["Maria Lopez", "Mario Lopez"])  # the phones' and the mailbox's
    case.close()


def test_people_cli(tmp_path: Path, dossier: Callable[..., Any]) -> None:
    make_case(tmp_path).close()
    case = tmp_path / "case"
    listed = dossier("people", case, "--json")
    assert listed.code == 0
    rows = json.loads(listed.out)
    maria = next(p for p in rows if "Maria (office)" in {i["value"] for i in p["identities"]})
    assert maria["messages_sent"] == 4 + 4  # in Team and in the strike fund (copies once)
    by_value = {i["value"]: i for i in maria["identities"]}
    assert by_value["Maria (office)"]["sent"] == 0  # Ana's export was read second:
    assert by_value["Maria (office)"]["copies"] == 8  # all its messages are copies
    assert {i["value"] for i in maria["identities"]} == MARIA - {"m.lopez@union.example"}
    suggested = json.loads(dossier("people", "suggest", case, "--json").out)
    first = suggested[0]["persons"]
    assert first[0]["id"] != first[1]["id"]
    text = dossier("people", "suggest", case).out
    assert "dossier people merge" in text and "name" in text
    merged = dossier("people", "merge", case, str(first[0]["id"]), str(first[1]["id"]))
    assert merged.code == 0 and "Merged into" in merged.out
    shown = dossier("people", "show", case, str(first[0]["id"]))
    assert "m.lopez@union.example" in shown.out and "+34612345678" in shown.out
    assert dossier("people", "rename", case, str(first[0]["id"]), "María López").code == 0
    assert dossier("people", "show", case, "maría lópez").code == 0
    missing = dossier("people", "show", case, "Nobody")
    assert missing.code == 1 and "No person" in missing.err and "Traceback" not in missing.err
    assert dossier("people", "reject", case, "María López", "Mario Lopez").code == 0
    same = dossier("people", "reject", case, "María López", "María López")
    assert same.code == 1 and "split" in same.err


def test_people_cli_split_and_set(tmp_path: Path, dossier: Callable[..., Any]) -> None:
    case = make_case(tmp_path)
    maria = person(case, "Maria Lopez")
    office = case.store.find_identity("name", "Maria (office)", "Ana Ruiz")
    case.close()
    path = tmp_path / "case"
    split = dossier("people", "split", path, str(maria), str(office), "--name", "Maria office")
    assert split.code == 0 and "will not be suggested" in split.out
    shown = json.loads(dossier("people", "show", path, "Maria office", "--json").out)
    assert [i["value"] for i in shown["identities"]] == ["Maria (office)"]
    assert shown["not_the_same_as"] == [maria]
    text = dossier("people", "show", path, str(maria)).out
    assert "Joined (same-message" in text and f"Not the same as: #{shown['id']}" in text
    wrong = dossier("people", "split", path, str(maria), "99999")
    assert wrong.code == 1 and "is not one of" in wrong.err
    changed = dossier(
        "people",
        "set",
        path,
        str(maria),
        "--role",
        "an activist from the left",
        "--public",
        "--alias",
        "ML",
        "--alias",
        "La Jefa",
        "--group",
        "left",
    )
    assert changed.code == 0
    after = json.loads(dossier("people", "show", path, str(maria), "--json").out)
    assert after["role"] == "an activist from the left" and after["public_figure"]
    assert after["aliases"] == ["La Jefa", "ML"] and after["groups"] == ["left"]
    assert dossier("people", "show", path, "la jefa").code == 0  # found by alias
    assert dossier("people", "--help").code == 0
    unknown = dossier("people", "frobnicate", path)
    assert unknown.code == 2 and "No such command 'frobnicate'" in unknown.err
    listed = dossier("people", "--json", path)
    assert listed.code == 0 and json.loads(listed.out)


def test_the_phone_owner_is_known_by_the_custodian_name(tmp_path: Path) -> None:
    """On his own phone Tom writes as "Tommy" (his profile name) in every chat; the export is
    his (custodian "Tom Hughes"); on Ana's phone, in another chat, he is "Tom Hughes"."""
    tom, ana = tmp_path / "tom", tmp_path / "ana"
    tom.mkdir()
    ana.mkdir()
    android(tom / "a.txt", {"t": "Tommy", "x": "Xavi"}, [(0, "t", "hi"), (1, "x", "hey")])
    android(tom / "b.txt", {"t": "Tommy", "y": "Yoli"}, [(9, "t", "so"), (10, "y", "yes")])
    android(ana / "c.txt", {"t": "Tom Hughes", "a": "Ana"}, [(99, "t", "ok"), (98, "a", "k")])
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [tom], IngestOptions(custodian="Tom Hughes"))
    ingest(case, [ana], IngestOptions(custodian="Ana Ruiz"))
    best = suggest(case.store)[0]
    assert {best.a["name"], best.b["name"]} == {"Tommy", "Tom Hughes"}
    assert best.clues[0].kind == "exporter" and "Tom Hughes" in best.clues[0].detail
    case.close()
