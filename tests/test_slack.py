"""Slack workspace exports: channels, private channels, DMs and group DMs as conversations,
names from users.json, threads, edits, reactions, mentions, kinds, and exact byte ranges.

The export is built here, small and synthetic, in the layout Slack writes: lists at the
root, one folder per conversation, one JSON file per day.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dossier.case import DB_NAME, Case
from dossier.formats.registry import recognise
from dossier.formats.slack import SLACK
from dossier.formats.slack.scan import array_pieces

T0 = 1580457600  # 2020-01-31T08:00:00Z

USERS = [
    {"id": "U1", "name": "mlopez", "real_name": "Maria Lopez",
     "profile": {"real_name": "Maria Lopez", "display_name": "maria"}},
    {"id": "U2", "name": "jpark", "profile": {"real_name": "Jon Park", "display_name": ""}},
    {"id": "U3", "name": "aruiz", "profile": {"display_name": "ana"}},
]  # fmt: skip
CHANNELS = [
    {"id": "C100", "name": "general", "members": ["U1", "U2", "U3"]},
    {"id": "C200", "name": "random", "members": ["U1"]},
]
GROUPS = [{"id": "G300", "name": "secret-plans", "members": ["U1", "U2"]}]
DMS = [{"id": "D400ABCDE", "members": ["U1", "U2"]}]
MPIMS = [{"id": "G500", "name": "mpdm-mlopez--jpark--aruiz-1", "members": ["U1", "U2", "U3"]}]


def ts(seconds: int, seq: int = 100) -> str:
    return f"{T0 + seconds}.{seq:06d}"


def msg(seconds: int, user: str | None, text: str, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "message", "text": text, "ts": ts(seconds)}
    if user:
        found["user"] = user
    return found | extra


PARENT = msg(
    0,
    "U1",
    "Budget for <@U2> and <@U3>: see <#C200|random> and <https://ex.org/doc|the doc> &amp; more",
    thread_ts=ts(0),
    reply_count=1,
    edited={"user": "U1", "ts": ts(90)},
    reactions=[{"name": "thumbsup", "users": ["U2", "U3"], "count": 3}],
)
GENERAL_DAY_1 = [
    PARENT,
    msg(60, "U2", "ok, on it", thread_ts=ts(0), parent_user_id="U1"),
    msg(120, "U3", "<@U3> has joined the channel", subtype="channel_join"),
    msg(180, None, "Deployed v2", subtype="bot_message", bot_id="B9", username="deploybot"),
    msg(240, "U1", "the plan", subtype="file_share",
        files=[{"id": "F1", "name": "plan.pdf", "url_private": "https://files.example/plan.pdf"}]),
    msg(300, "USLACKBOT", "This message was deleted.", subtype="tombstone"),
]  # fmt: skip
GENERAL_DAY_2 = [
    msg(86400, "U3", "morning all"),
    msg(86460, "U2", "following up on the budget thread", thread_ts=ts(0)),
]


def export_files(changes: dict[str, bytes | None] | None = None) -> dict[str, bytes]:
    """A small workspace export: path -> bytes. ``changes`` replace (or, as None, remove)
    files."""

    def day(messages: list[dict[str, Any]]) -> bytes:
        return json.dumps(messages, indent=4).encode()

    files: dict[str, bytes] = {
        "users.json": json.dumps(USERS).encode(),
        "channels.json": json.dumps(CHANNELS).encode(),
        "groups.json": json.dumps(GROUPS).encode(),
        "dms.json": json.dumps(DMS).encode(),
        "mpims.json": json.dumps(MPIMS).encode(),
        "integration_logs.json": b"[]",
        "general/2020-01-31.json": day(GENERAL_DAY_1),
        "general/2020-02-01.json": day(GENERAL_DAY_2),
        "secret-plans/2020-01-31.json": day([msg(30, "U2", "keep this quiet")]),
        "D400ABCDE/2020-01-31.json": day([msg(40, "U1", "can we talk?")]),
        "mpdm-mlopez--jpark--aruiz-1/2020-01-31.json": day([msg(50, "U3", "hi both")]),
    }
    for path, data in (changes or {}).items():
        if data is None:
            files.pop(path)
        else:
            files[path] = data
    return files


def write_folder(files: dict[str, bytes], root: Path) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def write_zip(files: dict[str, bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def ingested(tmp_path: Path, dossier: Callable[..., Any], export: Path, name: str = "case") -> Path:
    case = tmp_path / name
    if not case.exists():
        assert dossier("init", case, "--tz", "Europe/Madrid").code == 0
    result = dossier("ingest", case, export)
    assert result.code == 0, result.err
    return case


def db(case: Path) -> sqlite3.Connection:
    return sqlite3.connect(case / DB_NAME)


def conversations(dossier: Callable[..., Any], case: Path) -> dict[str, int]:
    listed = json.loads(dossier("conversations", case, "--json").out)
    return {c["title"]: c["messages"] for c in listed}


def find(dossier: Callable[..., Any], case: Path, query: str) -> list[dict[str, Any]]:
    found = dossier("search", case, query, "--json", "--limit", "1000")
    assert found.code == 0, found.err
    result: list[dict[str, Any]] = json.loads(found.out)
    return result


def shown(dossier: Callable[..., Any], case: Path, uid: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(dossier("show", case, uid, "--json").out)["message"]
    return result


EXPECTED = {
    "#general": 8,
    "#secret-plans": 1,
    "DM: Maria Lopez, Jon Park": 1,
    "Group DM: Maria Lopez, Jon Park, ana": 1,
}


# --- conversations and people ----------------------------------------------------------------


def test_a_zipped_export_gives_one_conversation_per_channel_dm_and_group_dm(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case = ingested(tmp_path, dossier, write_zip(export_files(), tmp_path / "export.zip"))
    assert conversations(dossier, case) == EXPECTED
    assert dossier("sources", case).code == 0
    result = dossier("ingest", case, tmp_path / "export.zip")
    assert "0 new" in result.err or "already" in result.err
    assert conversations(dossier, case) == EXPECTED


def test_an_unpacked_export_reads_the_same_and_adds_nothing_to_the_zips_case(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    folder = write_folder(export_files(), tmp_path / "export")
    case = ingested(tmp_path, dossier, folder)
    assert conversations(dossier, case) == EXPECTED
    unrecognised = db(case).execute("SELECT name FROM sources WHERE status = 'unrecognised'")
    assert unrecognised.fetchall() == []  # users.json and the other lists are companions
    uids = {m["id"] for m in find(dossier, case, "after:2000-01-01")}
    ingested(tmp_path, dossier, write_zip(export_files(), tmp_path / "export.zip"))
    assert {m["id"] for m in find(dossier, case, "after:2000-01-01")} == uids
    assert db(case).execute("SELECT count(*) FROM messages").fetchone()[0] == 11


def test_day_files_of_one_channel_are_one_conversation_whichever_run_reads_them(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    earlier = write_folder(export_files({"general/2020-02-01.json": None}), tmp_path / "part1")
    only_day_2 = {k: v for k, v in export_files().items() if not k.endswith("01-31.json")}
    later = write_folder(only_day_2, tmp_path / "part2")
    case = ingested(tmp_path, dossier, later)  # the reply is read before what it answers
    ingested(tmp_path, dossier, earlier)
    assert conversations(dossier, case)["#general"] == 8
    [parent] = find(dossier, case, "budget -following")
    [reply] = find(dossier, case, "following")
    assert shown(dossier, case, reply["id"])["chat"]["reply_to"] == parent["id"]


def test_people_are_named_from_users_json_and_bots_by_their_name(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case = ingested(tmp_path, dossier, write_folder(export_files(), tmp_path / "export"))
    people = json.loads(dossier("people", case, "--json").out)
    names = {p["name"] for p in people}
    assert {"Maria Lopez", "Jon Park", "ana", "deploybot", "Slackbot"} <= names
    assert [m["body"] for m in find(dossier, case, "from:maria")] != []


# --- one message's details -------------------------------------------------------------------


def test_the_body_is_kept_as_exported_and_the_readable_text_beside_it(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case = ingested(tmp_path, dossier, write_folder(export_files(), tmp_path / "export"))
    [parent] = find(dossier, case, "budget -following")
    assert parent["body"] == PARENT["text"]
    chat = shown(dossier, case, parent["id"])["chat"]
    assert chat["mentions"] == ["Jon Park", "ana"]
    assert chat["structure"]["resolved_text"] == (
        "Budget for @Jon Park and @ana: see #random and the doc (https://ex.org/doc) & more"
    )
    assert chat["platform_id"] == ts(0) and chat["sender_account"] == "U1"


def test_edits_and_reactions_are_shown_with_who_reacted(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case = ingested(tmp_path, dossier, write_folder(export_files(), tmp_path / "export"))
    [parent] = find(dossier, case, "budget -following")
    assert parent["edited"] is True
    assert parent["sent_at_utc"] == "2020-01-31T08:00:00+00:00" and parent["tz"] == "+00:00"
    text = dossier("show", case, parent["id"]).out
    assert "Edited at: 2020-01-31T08:01:30" in text
    assert ":thumbsup: Jon Park" in text and ":thumbsup: ana" in text
    assert ":thumbsup: 1 more not named in the export" in text
    assert "Mentions: Jon Park, ana" in text


def test_a_thread_reply_points_at_the_message_it_answers(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case = ingested(tmp_path, dossier, write_folder(export_files(), tmp_path / "export"))
    [parent] = find(dossier, case, "budget -following")
    [reply] = find(dossier, case, '"on it"')
    text = dossier("show", case, reply["id"]).out
    assert f"In reply to: {parent['id']}" in text
    assert f"Thread: {ts(0)}" in text
    assert "In reply to" not in dossier("show", case, parent["id"]).out


def test_subtypes_become_kinds_with_their_authors_and_files(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    case = ingested(tmp_path, dossier, write_folder(export_files(), tmp_path / "export"))
    rows = {m["body"]: m for m in find(dossier, case, "in:general")}
    assert rows["<@U3> has joined the channel"]["kind"] == "system"
    assert rows["Deployed v2"]["kind"] == "text"
    assert rows["Deployed v2"]["sender"] == "deploybot"
    assert rows["the plan"]["kind"] == "media"
    assert [a["name"] for a in rows["the plan"]["attachments"]] == ["plan.pdf"]
    assert rows["This message was deleted."]["kind"] == "deleted"
    structure = shown(dossier, case, rows["the plan"]["id"])["chat"]["structure"]
    assert structure["files"][0]["url_private"] == "https://files.example/plan.pdf"


def test_every_message_points_at_its_own_json_object_and_lines(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    folder = write_folder(export_files(), tmp_path / "export")
    case = ingested(tmp_path, dossier, folder)
    for found in find(dossier, case, "after:2000-01-01"):
        source = found["source"]
        raw = Path(source["file"]).read_bytes()
        start, end = source["bytes"]
        item = json.loads(raw[start:end])
        assert item["ts"] == source["header_text"]
        first, last = source["lines"]
        assert raw[:start].count(b"\n") + 1 == first
        assert raw[: end - 1].count(b"\n") + 1 == last


# --- recognising day files -------------------------------------------------------------------


def test_day_files_are_recognised_by_their_content_and_root_lists_are_not() -> None:
    files = export_files()
    assert recognise(files["general/2020-01-31.json"], "2020-01-31.json") is SLACK
    assert recognise(files["general/2020-01-31.json"], "notes.json") is SLACK
    for name in ("users.json", "channels.json", "dms.json", "integration_logs.json"):
        assert SLACK.sniff(files[name], name) == 0.0
        assert name in SLACK.companion_names
    other_json = [
        b'{"name": "Chat", "type": "personal_chat", "messages": [{"id": 1, "type": "message"}]}',
        b'{"type": "message", "ts": "1580457600.000100", "text": "a JSON line"}\n',
        b'[{"id": 1, "type": "message", "date": "2020-01-01T10:00:00", "text": "hi"}]',
        b"[1, 2, 3]",
        b"[]",
    ]
    for data in other_json:
        assert SLACK.sniff(data, "result.json") == 0.0
    assert SLACK.sniff(b"[]", "2020-01-31.json") > 0  # a day with nothing said


def test_a_day_file_whose_first_message_is_longer_than_the_head_is_recognised() -> None:
    long = json.dumps([msg(0, "U1", "x" * 100_000)], indent=4).encode()
    assert SLACK.sniff(long[: 64 * 1024], "2020-01-31.json") >= 0.5


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_the_scan_finds_each_element_whatever_the_chunk_size(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dossier.formats.slack.scan as scan

    monkeypatch.setattr(scan, "CHUNK", chunk)
    items = [{"a": ']}[{\\"', "b": [1, {"c": "é"}]}, {}, [2], {"d": "\n"}]
    data = ("\ufeff" + json.dumps(items, indent=2, ensure_ascii=False)).encode()
    pieces = list(array_pieces(io.BytesIO(data)))
    assert [p.kind for p in pieces] == ["element"] * 4
    assert [json.loads(p.raw) for p in pieces] == items
    assert all(data[p.byte_start : p.byte_end] == p.raw for p in pieces)
    assert [p.line_start for p in pieces] == [2, 11, 12, 15]


def test_the_case_stays_usable_from_the_python_api(tmp_path: Path) -> None:
    from dossier.ingest import ingest

    case = Case.create(tmp_path / "case", title="t", tz="UTC")
    summary = ingest(case, [write_zip(export_files(), tmp_path / "e.zip")])
    assert summary.messages_new == 11 and summary.unrecognised == [] and summary.issues == 0


# --- markup and edit events, read directly -----------------------------------------------------


def _parsed(messages: list[dict[str, Any]]) -> list[Any]:
    from dossier.formats.base import ParseOptions
    from dossier.model import MessageRecord

    files = export_files()
    root = {"users.json": files["users.json"], "channels.json": files["channels.json"]}
    options = ParseOptions(
        location="export/general/2020-01-31.json",
        companion=lambda path: root.get(path.removeprefix("../")),
    )
    day = json.dumps(messages).encode()
    records = SLACK.parse(io.BytesIO(day), "2020-01-31.json", options)
    return [r for r in records if isinstance(r, MessageRecord)]


def test_specials_channels_and_links_are_spelled_out_readably() -> None:
    text = (
        "<!here> ask <@U9|olduser> in <#C100> or mail <mailto:a@ex.org|a@ex.org>, "
        "see <https://ex.org> and <!subteam^S1|@legal> &lt;3"
    )
    [record] = _parsed([msg(0, "U1", text)])
    assert record.body == text
    structure = json.loads(record.details.structure)
    assert structure["resolved_text"] == (
        "@here ask @olduser in #general or mail a@ex.org, see https://ex.org and @legal <3"
    )
    assert record.details.mentions == ("olduser",)
    assert record.details.conversation_key == "C100" and record.conversation == "#general"


def test_edit_and_delete_events_keep_what_changed() -> None:
    changed = msg(
        120,
        None,
        "",
        subtype="message_changed",
        hidden=True,
        message={"type": "message", "user": "U2", "text": "fixed typo", "ts": ts(60),
                 "edited": {"user": "U2", "ts": ts(120)}},
        previous_message={"type": "message", "user": "U2", "text": "fixd typo", "ts": ts(60)},
    )  # fmt: skip
    deleted = msg(180, None, "", subtype="message_deleted", hidden=True, deleted_ts=ts(60))
    edit, gone = _parsed([changed, deleted])
    assert (edit.kind, edit.sender, edit.body, edit.edited) == (
        "text",
        "Jon Park",
        "fixed typo",
        True,
    )
    assert json.loads(edit.details.structure)["previous_message"]["text"] == "fixd typo"
    assert edit.details.platform_id == ts(120)
    assert gone.kind == "deleted"
    assert json.loads(gone.details.structure)["deleted_ts"] == ts(60)


def test_bots_are_named_by_their_profile_or_else_by_their_id() -> None:
    named = msg(
        0, None, "build green", subtype="bot_message", bot_id="B1", bot_profile={"name": "CI"}
    )
    unnamed = msg(60, None, "", subtype="bot_message", bot_id="B2",
                  attachments=[{"pretext": "1 new commit", "fallback": "x"}])  # fmt: skip
    first, second = _parsed([named, unnamed])
    assert (first.sender, first.details.sender_id) == ("CI", "B1")
    assert (second.sender, second.details.sender_id) == ("B2 (bot)", "B2")
    assert json.loads(second.details.structure)["attachments_text"] == ["1 new commit"]


def test_a_later_export_of_the_workspace_adds_only_what_is_new(
    tmp_path: Path, dossier: Callable[..., Any]
) -> None:
    day = "general/2020-02-01.json"
    first = export_files({day: json.dumps(GENERAL_DAY_2[:1], indent=4).encode()})
    case = ingested(tmp_path, dossier, write_zip(first, tmp_path / "january.zip"))
    result = dossier("ingest", case, write_zip(export_files(), tmp_path / "february.zip"))
    assert result.code == 0
    assert conversations(dossier, case) == EXPECTED
    [morning] = find(dossier, case, "morning")
    assert len(morning["copies"]) == 2  # read in both exports, kept as one message


def test_two_exports_read_in_one_run_keep_their_own_names() -> None:
    from dossier.formats.base import ParseOptions
    from dossier.model import MessageRecord

    day = json.dumps([msg(0, "U1", "hello")]).encode()
    names = []
    for person in ("Maria Lopez", "Someone Else", "Maria Lopez"):
        users = {"../users.json": json.dumps([{"id": "U1", "real_name": person}]).encode()}
        options = ParseOptions(location="general/2020-01-31.json", companion=users.get)
        records = SLACK.parse(io.BytesIO(day), "2020-01-31.json", options)
        names += [r.sender for r in records if isinstance(r, MessageRecord)]
    assert names == ["Maria Lopez", "Someone Else", "Maria Lopez"]
