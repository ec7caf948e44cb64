"""Spoilt Slack exports: what is readable is stored, what is not is reported with its raw
text, and nothing stops the rest of the export from being read."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dossier.formats.base import ParseOptions
from dossier.formats.slack import SLACK
from dossier.model import MessageRecord, ParseIssue, SourceFact
from tests.test_slack import (
    conversations,
    db,
    export_files,
    find,
    ingested,
    msg,
    write_folder,
    write_zip,
)


def issues(dossier: Callable[..., Any], case: Path) -> list[dict[str, Any]]:
    result = dossier("issues", case, "--json")
    assert result.code == 0, result.err
    found: list[dict[str, Any]] = json.loads(result.out)["issues"]
    return found


def test_without_users_json_messages_keep_the_user_ids_and_a_warning_says_why(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    export = write_zip(export_files({"users.json": None}), tmp_path / "export.zip")
    case = ingested(tmp_path, dossier, export)
    assert db(case).execute("SELECT count(*) FROM messages").fetchone()[0] == 11
    assert "DM: U1, U2" in conversations(dossier, case)
    [budget] = find(dossier, case, "budget -following")
    assert budget["sender"] == "U1"
    reasons = {issue["reason"] for issue in issues(dossier, case)}
    assert any("users.json was not found" in reason for reason in reasons)


def test_a_users_json_that_is_not_json_is_reported_and_ids_are_used(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    export = write_folder(export_files({"users.json": b"[{oops"}), tmp_path / "export")
    case = ingested(tmp_path, dossier, export)
    [budget] = find(dossier, case, "budget -following")
    assert budget["sender"] == "U1"
    reasons = [issue["reason"] for issue in issues(dossier, case)]
    assert any(r.startswith("users.json beside this export is not valid JSON") for r in reasons)


def test_a_day_file_cut_in_half_keeps_the_messages_before_the_cut(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    whole = export_files()["general/2020-01-31.json"]
    cut = whole[: whole.index(b"Deployed v2")]
    export = write_zip(export_files({"general/2020-01-31.json": cut}), tmp_path / "export.zip")
    case = ingested(tmp_path, dossier, export)
    bodies = [m["body"] for m in find(dossier, case, "in:general")]
    assert "ok, on it" in bodies and "<@U3> has joined the channel" in bodies
    assert "Deployed v2" not in bodies
    [problem] = [i for i in issues(dossier, case) if "middle" in i["reason"]]
    assert problem["severity"] == "error"
    assert problem["byte_start"] == cut.rindex(b"{")
    assert problem["raw"] == cut[cut.rindex(b"{") :].decode()


def test_valid_json_that_is_not_a_day_file_is_reported_not_taken_for_messages(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    spoilt: dict[str, bytes | None] = {
        "general/2020-02-02.json": b'{"hello": "world"}',
        "general/2020-02-03.json": b'[{"name": "not a message"}]',
    }
    export = write_folder(export_files(spoilt), tmp_path / "export")
    result = dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", export)
    assert result.code == 0
    assert "2020-02-02.json" in result.err and "2020-02-03.json" in result.err
    assert conversations(dossier, tmp_path / "case")["#general"] == 8
    raws = {i["raw"] for i in issues(dossier, tmp_path / "case")}
    assert '{"hello": "world"}' in raws and '{"name": "not a message"}' in raws


def test_an_empty_day_file_is_kept_and_said_to_hold_no_messages(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    export = write_folder(export_files({"general/2020-02-02.json": b"[]"}), tmp_path / "export")
    case = ingested(tmp_path, dossier, export)
    assert conversations(dossier, case)["#general"] == 8
    sources = json.loads(dossier("sources", case, "--json").out)
    [empty] = [s for s in sources if s["name"].endswith("2020-02-02.json")]
    assert empty["format"] == "slack" and empty["messages"] == 0


def test_items_that_are_not_messages_become_issues_beside_the_messages() -> None:
    day = json.dumps(
        [
            msg(0, "U1", "first"),
            {"type": "message", "text": "no ts"},
            7,
            msg(60, "U2", "a huddle", subtype="some_future_subtype"),
        ],
        indent=2,
    ).encode()
    records = list(SLACK.parse(io.BytesIO(day), "2020-01-31.json", ParseOptions()))
    messages = [r for r in records if isinstance(r, MessageRecord)]
    problems = [r for r in records if isinstance(r, ParseIssue)]
    assert [m.body for m in messages] == ["first", "a huddle"]
    assert messages[1].kind == "text"
    assert "users.json was not found" in problems[0].reason
    assert [p.raw for p in problems[1:3]] == [
        '{\n    "type": "message",\n    "text": "no ts"\n  }',
        "7",
    ]
    assert "some_future_subtype" in problems[3].reason
    assert any(isinstance(r, SourceFact) and r.key == "slack_users" for r in records)


def test_a_day_file_read_alone_still_forms_its_channel_from_the_folder_name(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    root = write_folder(export_files(), tmp_path / "export")
    case = ingested(tmp_path, dossier, root / "general" / "2020-02-01.json")
    assert conversations(dossier, case) == {"#general": 2}
    [morning] = find(dossier, case, "morning")
    assert morning["sender"] == "U3"  # users.json lies outside what was given
