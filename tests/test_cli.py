"""The commands as a user runs them: output shapes, exit codes, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import android_chat

CHAT = android_chat(
    [
        ("14/03/2024, 09:00", "Maria Lopez", "The exit poll is out"),
        ("14/03/2024, 09:45", "Maria Lopez", "45 minutes later: we lost Eastfield"),
        ("14/03/2024, 09:46", "Tom", "Don't post anything"),
        ("14/03/2024, 09:47", "Tom", "<Media omitted>"),
        ("14/03/2024, 09:48", "Priya", "Plan: B then?"),
    ]
)


@pytest.fixture
def case(tmp_path: Path, dossier) -> Path:
    chat = tmp_path / "WhatsApp Chat with Staff.txt"
    chat.write_text(CHAT, "utf-8")
    assert dossier("init", tmp_path / "case", "--tz", "Europe/London").code == 0
    assert dossier("ingest", tmp_path / "case", chat, "--custodian", "Maria Lopez").code == 0
    return tmp_path / "case"


def test_search_json_fields(case: Path, dossier) -> None:
    result = dossier("search", case, "from:maria exit", "--json")
    assert result.code == 0
    (hit,) = json.loads(result.out)
    assert hit["id"].startswith("m")
    assert hit["kind"] == "text"
    assert hit["conversation"]["title"] == "Staff"
    assert hit["sender"] == "Maria Lopez"
    assert hit["sent_at"] == "2024-03-14T09:00:00+00:00"
    assert hit["local_time_text"] == "14/03/2024, 09:00"
    assert hit["body"] == "The exit poll is out"
    assert hit["source"]["file"].endswith("WhatsApp Chat with Staff.txt")
    assert hit["source"]["lines"] == [1, 1]
    assert hit["source"]["custodian"] == "Maria Lopez"
    assert "[exit]" in hit["snippet"] or "exit" in hit["snippet"]


def test_search_text_output_and_order(case: Path, dossier) -> None:
    newest = dossier("search", case, "from:maria").out.splitlines()
    oldest = dossier("search", case, "from:maria", "--sort", "oldest").out.splitlines()
    assert "45 minutes later" in newest[1] and "exit poll" in oldest[1]
    assert dossier("search", case, "nothing-matches-this").err.strip() == "No messages match."


def test_bad_query_is_a_clear_error(case: Path, dossier) -> None:
    result = dossier("search", case, '"unbalanced')
    assert result.code == 1
    assert "quote" in result.err.lower()
    assert "Traceback" not in result.err


def test_show_with_context_and_provenance(case: Path, dossier) -> None:
    (hit,) = json.loads(dossier("search", case, '"Don\'t post"', "--json").out)
    shown = dossier("show", case, hit["id"], "--context", "1")
    assert shown.code == 0
    lines = shown.out.splitlines()
    assert any(line.startswith(">>") and "Tom" in line for line in lines)
    assert "45 minutes later" in shown.out and "<Media omitted>" in shown.out
    assert "lines 3-3" in shown.out and "sha256" in shown.out
    data = json.loads(dossier("show", case, hit["id"], "--context", "2", "--json").out)
    assert data["message"]["id"] == hit["id"]
    assert [m["body"] for m in data["context"]][2] == "Don't post anything"
    assert len(data["context"]) == 5


def test_show_unknown_id(case: Path, dossier) -> None:
    result = dossier("show", case, "mdoesnotexist")
    assert result.code == 1 and "No message" in result.err


def test_sources_and_issues_listings(case: Path, dossier, tmp_path: Path) -> None:
    messy = tmp_path / "messy.txt"
    messy.write_text("junk before the chat\n" + CHAT.replace("Tom", "Tomás"), "utf-8")
    dossier("ingest", case, messy)
    text = dossier("sources", case).out
    assert "messy.txt" in text and "sha256" in text
    issues = dossier("issues", case)
    assert "junk before the chat" in issues.out
    data = json.loads(dossier("issues", case, "--json").out)
    assert data["issues"][0]["raw"].startswith("junk before the chat")
    assert data["issues"][0]["line_start"] == 1


def test_people_and_conversations(case: Path, dossier) -> None:
    people = json.loads(dossier("people", case, "--json").out)
    assert {p["name"] for p in people} == {"Maria Lopez", "Tom", "Priya"}
    conversations = json.loads(dossier("conversations", case, "--json").out)
    assert conversations[0]["messages"] == 5


def test_ingest_progress_and_summary_go_to_stderr(case: Path, dossier, tmp_path: Path) -> None:
    other = tmp_path / "b.txt"
    other.write_text(CHAT.replace("Plan", "Idea"), "utf-8")
    result = dossier("ingest", case, other)
    assert result.out == ""
    assert "Read 1 file(s)" in result.err


def test_every_command_is_found_under_its_name(dossier) -> None:
    import click

    from dossier.cli.main import COMMANDS, cli

    context = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert isinstance(command, click.Command) and command.name == name
    listed = dossier("--help").out
    assert all(name in listed for name in COMMANDS)


def test_a_search_does_not_load_the_ingest_code(case: Path) -> None:
    """Reading commands start fast: the parsers and the ingest are loaded only to ingest."""
    import subprocess
    import sys

    probe = (
        "import sys; from dossier.cli.main import main; sys.argv = ['dossier', 'search', "
        f"{str(case)!r}, 'hello', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED' if 'dossier.ingest' in sys.modules else 'NOT LOADED', file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "NOT LOADED" in done.stderr, done.stderr
