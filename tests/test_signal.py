"""Signal exports: the text (Markdown) and JSON Lines files, told apart from WhatsApp's."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dossier.case import Case
from dossier.formats import registry
from dossier.formats.base import ParseOptions
from dossier.formats.signal import SIGNAL
from dossier.ingest import IngestOptions, ingest
from dossier.model import MessageRecord, ParseIssue, ParseRecord
from tests.conftest import Result, need_corpora


def parse(data: bytes, name: str = "chat.md", location: str | None = None) -> list[ParseRecord]:
    options = ParseOptions(location=location)
    return list(SIGNAL.parse(io.BytesIO(data), name, options))


def messages(records: list[ParseRecord]) -> list[MessageRecord]:
    return [r for r in records if isinstance(r, MessageRecord)]


def issues(records: list[ParseRecord]) -> list[ParseIssue]:
    return [r for r in records if isinstance(r, ParseIssue)]


def recognised(data: bytes, name: str) -> str | None:
    fmt = registry.recognise(data[:65536], name)
    return fmt.name if fmt else None


def assert_bytes_exact(data: bytes, found: list[MessageRecord]) -> None:
    """Each message's byte range holds its header line and its body, exactly."""
    for m in found:
        raw = data[m.byte_start : m.byte_end].decode("utf-8")
        assert raw == f"{m.header_text} {m.sender}: {m.body}"
        lines = data.split(b"\n")
        assert lines[m.line_start - 1].decode().startswith(m.header_text)
        assert raw.endswith(lines[m.line_end - 1].decode().rstrip("\r"))


# --- chat-miner's Signal fixture ----------------------------------------------------------------


def test_chat_miner_signal_export() -> None:
    folder = need_corpora() / "chats" / "chat-miner" / "test" / "signal"
    data = (folder / "test_export.txt").read_bytes()
    assert recognised(data, "test_export.txt") == "signal"
    found = messages(parse(data, "test_export.txt"))
    assert [(m.sender, m.body, m.local_time) for m in found] == [
        ("Jane Doe", "Hello John!", datetime(2019, 12, 24, 12, 23)),
        ("John Doe", "Hello\nJane!", datetime(2020, 1, 17, 21, 49)),
    ]
    assert [(m.line_start, m.line_end) for m in found] == [(1, 1), (2, 3)]
    assert_bytes_exact(data, found)
    # chat-miner's expected parse (newest first; it joins the lines of a message with a space)
    target = json.loads((folder / "target.json").read_text())
    assert sorted((t["author"], t["message"], t["timestamp"]) for t in target) == sorted(
        (m.sender, m.body.replace("\n", " "), m.local_time.isoformat()) for m in found
    )


def test_chat_miner_signal_export_ingests_as_signal(
    tmp_path: Path, dossier: Callable[..., Result]
) -> None:
    source = need_corpora() / "chats" / "chat-miner" / "test" / "signal" / "test_export.txt"
    dossier("init", tmp_path / "case", "--tz", "Europe/Berlin")
    result = dossier("ingest", tmp_path / "case", source)
    assert result.code == 0, result.err
    conversations = json.loads(dossier("conversations", tmp_path / "case", "--json").out)
    assert [(c["platform"], c["messages"]) for c in conversations] == [("signal", 2)]


# --- sigexport's Markdown -----------------------------------------------------------------------

SIGEXPORT_MD = (
    "[2021-09-20 18:36:12] Aya: Are we still on for tonight?  \n"
    "\n"
    "[2021-09-20 18:37:40] Me: \n"
    "\n"
    "> Are we still on for tonight?\n"
    "> (asking twice)\n"
    "\n"
    "Yes, 8 pm.\n"
    "Bring the files  \n"
    "(- Aya: 👍, Jim: ❤️ -)\n"
    "\n"
    "[2021-09-20 18:40:02] Aya: ![2021-09-20_00_map.jpg](./media/2021-09-20_00_map.jpg)  \n"
    "\n"
    "[2021-09-20 18:41:00] Jim: (This message was deleted)\n"
    "\n"
    "[2021-09-20 18:42:00] +44 7700 900123: ok  [notes.pdf](./media/notes.pdf)  \n"
    "\n"
).encode()


def test_sigexport_markdown_messages() -> None:
    assert recognised(SIGEXPORT_MD, "chat.md") == "signal"
    records = parse(SIGEXPORT_MD, "chat.md", location="export/Aya/chat.md")
    found = messages(records)
    assert issues(records) == []
    assert [m.conversation for m in found] == ["Aya"] * 5
    assert [m.kind for m in found] == ["text", "text", "media", "deleted", "text"]
    assert found[0].body == "Are we still on for tonight?  "
    assert found[1].body == (
        "\n\n> Are we still on for tonight?\n> (asking twice)\n\nYes, 8 pm.\nBring the files  \n"
        "(- Aya: 👍, Jim: ❤️ -)"
    )
    assert [(m.line_start, m.line_end) for m in found] == [
        (1, 1),
        (3, 10),
        (12, 12),
        (14, 14),
        (16, 16),
    ]
    assert_bytes_exact(SIGEXPORT_MD, found)


def test_sigexport_markdown_quote_reactions_and_attachments() -> None:
    found = messages(parse(SIGEXPORT_MD, "chat.md"))
    reply = found[1].details
    assert reply is not None
    assert reply.reactions == (("👍", "Aya"), ("❤️", "Jim"))
    assert json.loads(reply.structure or "{}")["quote"] == (
        "Are we still on for tonight?\n(asking twice)"
    )
    assert found[2].attachments == ("2021-09-20_00_map.jpg",)
    assert found[4].attachments == ("notes.pdf",)
    assert found[0].details is None


@pytest.mark.parametrize(
    ("stamp", "when", "seconds"),
    [
        ("[2019-05-29, 15:04]", datetime(2019, 5, 29, 15, 4), False),
        ("[2019-05-29 15:04]", datetime(2019, 5, 29, 15, 4), False),
        ("[2019-05-29 15:04:05]", datetime(2019, 5, 29, 15, 4, 5), True),
        ("[2019-05-29, 15:04:05]", datetime(2019, 5, 29, 15, 4, 5), True),
    ],
)
def test_time_layouts_of_sigexport_versions(stamp: str, when: datetime, seconds: bool) -> None:
    data = f"{stamp} Me: How is everyone?  \n{stamp} Aya: We're\ngreat!  \n".encode()
    assert recognised(data, "index.md") == "signal"
    found = messages(parse(data, "index.md"))
    assert [(m.local_time, m.has_seconds, m.header_text) for m in found] == [
        (when, seconds, stamp)
    ] * 2
    assert found[1].body == "We're\ngreat!  "
    assert_bytes_exact(data, found)


def test_windows_line_breaks_are_kept_inside_and_dropped_at_the_end() -> None:
    data = b"[2019-05-29, 15:04] Aya: one\r\ntwo\r\n\r\n[2019-05-29, 15:05] Jim: three\r\n"
    found = messages(parse(data, "x.txt"))
    assert [m.body for m in found] == ["one\r\ntwo", "three"]
    assert data[found[0].byte_start : found[0].byte_end] == b"[2019-05-29, 15:04] Aya: one\r\ntwo"


# --- telling Signal from WhatsApp -------------------------------------------------------------


def test_whatsapp_look_alikes_stay_whatsapp() -> None:
    ios = b"[2020-01-17, 21:49:13] Aya: hello\n[2020-01-17, 21:50:01] Jim: hi\n"
    assert recognised(ios, "_chat.txt") == "whatsapp"
    omitted = "[2020-01-17, 21:49] Aya: \u200eimage omitted\n[2020-01-17, 21:50] Jim: hi\n"
    assert recognised(omitted.encode(), "chat.txt") == "whatsapp"
    plain_iso = b"[2019-04-16 02:09] Mary: Reprehenderit id aute. \n[2019-04-16 03:01] John: ok\n"
    assert recognised(plain_iso, "lorem.txt") == "whatsapp"


def test_the_same_iso_lines_with_sigexport_marks_are_signal() -> None:
    marked = b"[2019-04-16 02:09] Mary: Reprehenderit id aute.  \n\n[2019-04-16 03:01] John: ok  \n"
    assert recognised(marked, "anything.txt") == "signal"
    assert recognised(b"[2019-04-16 02:09] Mary: hi\n", "chat.md") == "signal"


def test_other_text_is_not_claimed() -> None:
    assert SIGNAL.sniff(b"Meeting notes\n[2019-04-16] agenda: budget\n", "notes.txt") == 0.0
    assert SIGNAL.sniff(b'{"name": "x", "messages": []}', "result.json") == 0.0
    assert SIGNAL.sniff(b"", "chat.md") == 0.0


# --- bad input --------------------------------------------------------------------------------


def test_cut_text_export_keeps_what_was_read() -> None:
    whole = "[2021-09-20, 18:36] Aya: first  \n\n[2021-09-20, 18:37] Jim: second ünd more  \n"
    data = whole.encode()
    cut = data[: data.index("ü".encode()) + 1]  # in the middle of a two-byte character
    records = parse(cut, "chat.md")
    found = messages(records)
    assert [m.body for m in found] == ["first  ", "second \ufffd"]
    assert found[1].byte_end == len(cut)
    (issue,) = issues(records)
    assert issue.line_start == 3 and "not valid UTF-8" in issue.reason


def test_text_before_the_first_message_and_impossible_dates_are_issues() -> None:
    data = (
        b"exported by hand\n[2021-02-30, 10:00] Aya: no such day\n[2021-02-28, 10:00] Aya: fine\n"
    )
    records = parse(data, "x.txt")
    assert [m.body for m in messages(records)] == ["fine"]
    before, impossible = issues(records)
    assert before.raw == "exported by hand\n" and before.line_start == 1
    assert impossible.line_start == 2 and "impossible" in impossible.reason
    assert "no such day" in impossible.raw


# --- sigexport's data.json (JSON Lines) -------------------------------------------------------


def jsonl_line(**fields: object) -> str:
    base: dict[str, object] = {
        "date": "2021-09-20T18:36:12.345000",
        "sender": "Aya",
        "body": "hi  ",
        "quote": "",
        "sticker": "",
        "reactions": [],
        "attachments": [],
        "deleted": False,
        "call": False,
        "missed": False,
    }
    base.update(fields)
    return json.dumps(base, ensure_ascii=False)


DATA_JSON = (
    "\n".join(
        [
            jsonl_line(body="Are we on?  "),
            jsonl_line(
                date="2021-09-20T18:37:40",
                sender="Me",
                body="Yes\n8 pm  ",
                quote="\n\n> Are we on?\n\n",
                reactions=[["Aya", "👍"]],
                edits=[{"date": "2021-09-20T18:37:00", "body": "Yes 9 pm"}],
            ),
            jsonl_line(body="  ", attachments=[{"name": "map.jpg", "path": "media/map.jpg"}]),
            jsonl_line(sender="Jim", body="", deleted=True),
            jsonl_line(sender="Me", body="Missed voice call  ", call=True, missed=True),
        ]
    )
    + "\n"
)


def test_sigexport_data_json() -> None:
    data = DATA_JSON.encode()
    assert recognised(data, "data.json") == "signal"
    records = parse(data, "data.json", location="export/Aya/data.json")
    assert issues(records) == []
    found = messages(records)
    assert [m.kind for m in found] == ["text", "text", "media", "deleted", "call"]
    assert [m.conversation for m in found] == ["Aya"] * 5
    assert found[1].body == "Yes\n8 pm  " and found[1].edited
    assert found[1].local_time == datetime(2021, 9, 20, 18, 37, 40)
    assert found[0].header_text == "2021-09-20T18:36:12.345000"
    details = found[1].details
    assert details is not None and details.reactions == (("👍", "Aya"),)
    structure = json.loads(details.structure or "{}")
    assert structure["quote"] == "Are we on?"
    assert structure["edits"] == [{"date": "2021-09-20T18:37:00", "body": "Yes 9 pm"}]
    assert found[2].attachments == ("map.jpg",)
    lines = data.split(b"\n")
    for number, m in enumerate(found, 1):
        assert (m.line_start, m.line_end) == (number, number)
        assert data[m.byte_start : m.byte_end] == lines[number - 1]


def test_a_malformed_json_line_is_an_issue_and_the_rest_is_read() -> None:
    good = DATA_JSON.splitlines()
    data = (
        "\n".join([good[0], '{"date": "2021-09-20T18:3', good[1], "[1, 2]", good[2]]) + "\n"
    ).encode()
    records = parse(data, "data.json")
    assert [m.line_start for m in messages(records)] == [1, 3, 5]
    broken, not_a_message = issues(records)
    assert broken.line_start == 2 and broken.raw == '{"date": "2021-09-20T18:3'
    assert "broken JSON" in broken.reason
    assert not_a_message.line_start == 4 and "expected" in not_a_message.reason
    assert broken.byte_start == len(good[0]) + 1


def test_a_cut_data_json_keeps_the_whole_lines() -> None:
    data = DATA_JSON.encode()
    cut = data[: len(data) - 20]
    records = parse(cut, "data.json")
    assert len(messages(records)) == 4
    (issue,) = issues(records)
    assert issue.line_start == 5 and "cut or damaged" in issue.reason


# --- a whole sigexport folder -------------------------------------------------------------------


def test_sigexport_folder_is_one_conversation(tmp_path: Path) -> None:
    chat = tmp_path / "export" / "Aya"
    chat.mkdir(parents=True)
    texts = ["Are we still on?", "Yes at 8", "Bring the files", "See you there"]
    md = "".join(f"[2021-09-20 18:3{n}:00] Aya: {t}  \n\n" for n, t in enumerate(texts))
    jsonl = "".join(
        jsonl_line(date=f"2021-09-20T18:3{n}:00.120000", body=f"{t}  ") + "\n"
        for n, t in enumerate(texts)
    )
    (chat / "chat.md").write_text(md, encoding="utf-8")
    (chat / "data.json").write_text(jsonl, encoding="utf-8")
    case = Case.create(tmp_path / "case", title=None, tz="Europe/London")
    summary = ingest(case, [tmp_path / "export"], IngestOptions())
    assert summary.failed == []
    conversations = case.store.conn.execute("SELECT title, platform FROM conversations").fetchall()
    assert [tuple(c) for c in conversations] == [("Aya", "signal")]
    counts = case.store.counts()
    assert counts["messages"] == 4  # the Markdown and the JSON are two copies of each message
    again = ingest(case, [tmp_path / "export"], IngestOptions())
    assert again.messages_new == 0


# --- sigtop's JSON: Signal Desktop's own message records ----------------------------------------

AYA = "8c3a1c52-5d1f-4f0e-9a57-0d5f7a1b2c3d"
CHAT_ID = "5f0c2c1e-7f6a-4c1e-8e3b-2a9d4b6c7e8f"


def desktop(**fields: object) -> str:
    base: dict[str, object] = {
        "id": "0b1d",
        "conversationId": CHAT_ID,
        "type": "incoming",
        "body": "Are we on?",
        "sent_at": 1631896572345,
        "received_at": 1631896573000,
        "sourceServiceId": AYA,
    }
    base.update(fields)
    return json.dumps(base, ensure_ascii=False, separators=(",", ":"))


SIGTOP_JSON = (
    "[\n"
    + ",\n".join(
        [
            desktop(),
            desktop(
                id="0b1e",
                type="outgoing",
                body="Yes\n8 pm",
                sent_at=1631896600000,
                sourceServiceId=None,
                quote={"id": 1631896572345, "authorAci": AYA, "text": "Are we on?"},
                reactions=[{"emoji": "👍", "fromId": CHAT_ID, "targetTimestamp": 1631896600000}],
                editHistory=[
                    {"body": "Yes\n8 pm", "timestamp": 1631896660000},
                    {"body": "Yes 9 pm", "timestamp": 1631896600000},
                ],
            ),
            desktop(id="0b1f", body="", attachments=[{"fileName": "map.jpg", "size": 10}]),
            desktop(id="0b20", type="group-v2-change", body=None, sent_at=1631896700000),
            desktop(id="0b21", body="", deletedForEveryone=True, sent_at=1631896800000),
        ]
    )
    + "\n]\n"
)


def test_sigtop_json_messages_with_ids_replies_and_edits() -> None:
    data = SIGTOP_JSON.encode()
    assert recognised(data, "Aya (+447700900123).json") == "signal"
    records = parse(data, "Aya.json")
    assert issues(records) == []
    found = messages(records)
    assert [m.kind for m in found] == ["text", "text", "media", "system", "deleted"]
    first, reply = found[0], found[1]
    assert first.conversation == "Aya"
    assert (first.sender, first.body) == (AYA, "Are we on?")
    assert first.sent_utc == datetime(2021, 9, 17, 16, 36, 12, 345000, tzinfo=UTC)
    assert (reply.sender, reply.body, reply.edited) == ("You", "Yes\n8 pm", True)
    details = reply.details
    assert details is not None
    assert details.platform_id == "1631896600000" and details.reply_to == "1631896572345"
    assert details.conversation_key == CHAT_ID
    assert details.reactions == (("👍", CHAT_ID),)
    assert details.edited_at == datetime(2021, 9, 17, 16, 37, 40, tzinfo=UTC)
    assert found[2].attachments == ("map.jpg",)
    lines = data.split(b"\n")
    for number, m in enumerate(found, 2):
        assert (m.line_start, m.line_end) == (number, number)
        assert data[m.byte_start : m.byte_end] == lines[number - 1].rstrip(b",")
        assert str(json.loads(data[m.byte_start : m.byte_end])["sent_at"]) == m.header_text


def test_sigtop_json_reply_is_tied_to_its_message(tmp_path: Path) -> None:
    path = tmp_path / "Aya.json"
    path.write_text(SIGTOP_JSON, encoding="utf-8")
    case = Case.create(tmp_path / "case", title=None, tz="Europe/London")
    summary = ingest(case, [path], IngestOptions(custodian="Me"))
    assert summary.failed == [] and summary.messages_new == 5
    (answered,) = case.store.conn.execute(
        "SELECT r.body FROM message_details d JOIN messages r ON r.id = d.reply_to_id"
    ).fetchall()
    assert answered[0] == "Are we on?"


def test_a_broken_sigtop_line_is_an_issue_and_the_rest_is_read() -> None:
    good = SIGTOP_JSON.split("\n")
    data = "\n".join([good[0], good[1], '{"id":"x","type":"incom', good[2], good[3]]).encode()
    records = parse(data, "Aya.json")
    assert [m.line_start for m in messages(records)] == [2, 4, 5]
    (issue,) = issues(records)
    assert issue.line_start == 3 and "broken JSON" in issue.reason


# --- sigtop's text: a block of fields per message ---------------------------------------------

SIGTOP_TEXT = """Conversation: Aya (+447700900123)

From: Aya (+447700900123)
Type: incoming
Sent: Fri, 17 Sep 2021 18:36:12 +0200
Received: Fri, 17 Sep 2021 18:36:13 +0200
Attachment: map.jpg (image/jpeg, 5120 bytes)
Reaction: 👍 from Jim (+447700900456)

> From: Jim (+447700900456)
> Sent: Fri, 17 Sep 2021 18:30:00 +0200
>
> the quoted text

Here is the map,

see you there

From: You
Type: outgoing
Sent: Fri, 17 Sep 2021 18:40:00 +0200
Edited: 2 versions

| Version: 2
| Sent: Fri, 17 Sep 2021 18:41:00 +0200
|
| Yes 8 pm
|
| Version: 1
| Sent: Fri, 17 Sep 2021 18:40:00 +0200
|
| Yes 9 pm

Type: group-v2-change
Sent: Fri, 17 Sep 2021 18:45:00 +0200

"""


def test_sigtop_text_messages() -> None:
    data = SIGTOP_TEXT.encode()
    assert recognised(data, "Aya (+447700900123).txt") == "signal"
    records = parse(data, "Aya (+447700900123).txt")
    assert issues(records) == []
    first, edited, system = messages(records)
    assert first.conversation == "Aya"
    assert (first.sender, first.kind, first.body) == (
        "Aya",
        "text",
        "Here is the map,\n\nsee you there",
    )
    assert first.header_text == "Fri, 17 Sep 2021 18:36:12 +0200"
    assert first.local_time == datetime(2021, 9, 17, 18, 36, 12)
    assert first.sent_utc == datetime(2021, 9, 17, 16, 36, 12, tzinfo=UTC)
    assert first.attachments == ("map.jpg",)
    assert (first.line_start, first.line_end) == (3, 17)
    raw = data[first.byte_start : first.byte_end].decode()
    assert raw.startswith("From: Aya") and raw.endswith(first.body)
    details = first.details
    assert details is not None and details.sender_id == "+447700900123"
    assert details.reactions == (("👍", "Jim (+447700900456)"),)
    assert json.loads(details.structure or "{}")["quote"].endswith("\n\nthe quoted text")
    assert (edited.sender, edited.body, edited.edited) == ("You", "Yes 8 pm", True)
    assert edited.details is not None
    assert edited.details.edited_at == datetime(2021, 9, 17, 16, 41, tzinfo=UTC)
    assert (system.sender, system.kind, system.body) == (None, "system", "")


def test_sigtop_text_without_a_time_is_an_issue() -> None:
    data = SIGTOP_TEXT.replace("Sent: Fri, 17 Sep 2021 18:45:00 +0200", "Sent: unknown").encode()
    records = parse(data, "Aya.txt")
    assert len(messages(records)) == 2
    (issue,) = issues(records)
    assert "no readable time" in issue.reason and issue.line_start == 34
