"""Telegram Desktop JSON: what a message becomes, and where its bytes are."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dossier.formats.base import ParseOptions
from dossier.formats.registry import recognise
from dossier.formats.telegram import TELEGRAM
from dossier.formats.telegram import cursor as telegram_cursor
from dossier.model import MessageRecord, ParseIssue, ParseRecord, SourceFact

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"


def parse_bytes(data: bytes, conversation: str | None = None) -> list[ParseRecord]:
    options = ParseOptions(conversation=conversation)
    return list(TELEGRAM.parse(io.BytesIO(data), "result.json", options))


def messages(records: list[ParseRecord]) -> list[MessageRecord]:
    return [r for r in records if isinstance(r, MessageRecord)]


def issues(records: list[ParseRecord]) -> list[ParseIssue]:
    return [r for r in records if isinstance(r, ParseIssue)]


@pytest.fixture(scope="module")
def group() -> list[MessageRecord]:
    return messages(parse_bytes((FIXTURES / "supergroup.json").read_bytes()))


def by_id(records: list[MessageRecord], platform_id: str) -> MessageRecord:
    (found,) = [r for r in records if r.details and r.details.platform_id == platform_id]
    return found


def test_every_message_is_its_json_object_in_the_file(group: list[MessageRecord]) -> None:
    data = (FIXTURES / "supergroup.json").read_bytes()
    assert len(group) == 16
    for record in group:
        raw = data[record.byte_start : record.byte_end]
        assert json.loads(raw)["id"] == int(record.details.platform_id)  # type: ignore[union-attr]
        assert data[: record.byte_start].count(b"\n") + 1 == record.line_start
        assert data[: record.byte_end].count(b"\n") + 1 == record.line_end


def test_offsets_are_bytes_not_characters_and_survive_small_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = (FIXTURES / "supergroup.json").read_bytes()
    whole = [(r.byte_start, r.byte_end, r.line_start) for r in messages(parse_bytes(data))]
    # A buffer that slides every few bytes splits emoji and messages across reads.
    monkeypatch.setattr(telegram_cursor, "CHUNK", 5)
    assert [(r.byte_start, r.byte_end, r.line_start) for r in messages(parse_bytes(data))] == whole
    emoji_after = by_id(messages(parse_bytes(data)), "6").byte_start
    assert emoji_after > len(data[:emoji_after].decode("utf-8"))  # multi-byte text before it


def test_text_is_kept_exactly_and_entities_flattened(group: list[MessageRecord]) -> None:
    late = by_id(group, "5")
    assert late.body == "I will be late\u200b, sorry \U0001f600"
    mention = by_id(group, "4")
    assert mention.body == "Fine by me @annlee, see Carl Diaz too. Bring the ledger"
    assert mention.details is not None
    assert mention.details.mentions == ("@annlee", "Carl Diaz")
    structure = json.loads(mention.details.structure or "")
    assert structure["text"][3] == {"type": "mention_name", "text": "Carl Diaz", "user_id": 333}
    link = by_id(group, "6")
    assert link.body == "Crane collapse at pier 4"
    assert "https://example.org/pier4" in (link.details.structure or "")  # type: ignore[union-attr]


def test_sender_time_reply_edit_forward_reactions(group: list[MessageRecord]) -> None:
    reply = by_id(group, "4")
    assert (reply.sender, reply.details.sender_id) == ("Bob Stone", "user222")  # type: ignore[union-attr]
    assert reply.details.reply_to == "3"  # type: ignore[union-attr]
    assert reply.header_text == "2023-11-15T00:16:20"
    assert reply.local_time == datetime(2023, 11, 15, 0, 16, 20)
    assert reply.sent_utc == datetime(2023, 11, 14, 22, 16, 20, tzinfo=UTC)
    edited = by_id(group, "5")
    assert edited.edited
    assert edited.details.edited_at == datetime(2023, 11, 14, 22, 18, 20, tzinfo=UTC)  # type: ignore[union-attr]
    assert edited.details.reactions == (  # type: ignore[union-attr]
        ("\U0001f44d", "Ann Lee"),
        ("\U0001f44d", "Bob Stone"),
        ("\U0001f44d", ""),  # counted by the export, not named
    )
    assert by_id(group, "6").details.forwarded_from == "Harbour News"  # type: ignore[union-attr]
    assert all(r.details.conversation_key == "1500000001" for r in group)  # type: ignore[union-attr]
    assert {r.conversation for r in group} == {"Harbour Watch"}


def test_service_messages_in_words_with_the_action_kept(group: list[MessageRecord]) -> None:
    created, invited = by_id(group, "1"), by_id(group, "2")
    assert created.kind == "system"
    assert created.body == "Ann Lee created the group Harbour Watch with Ann Lee and Bob Stone"
    assert invited.body == "Ann Lee invited Carl Diaz"
    assert invited.sender == "Ann Lee"
    assert invited.details is not None and invited.details.sender_id == "user111"
    assert json.loads(invited.details.structure or "") == {
        "action": "invite_members",
        "members": ["Carl Diaz"],
    }
    assert by_id(group, "13").body == "Ann Lee pinned message 3"
    call = by_id(group, "14")
    assert (call.kind, call.body) == ("call", "Bob Stone started a group call (95 s)")
    assert by_id(group, "15").body == "Dana Fox joined the group by a link from Ann Lee"


def test_media_poll_location_contact(group: list[MessageRecord]) -> None:
    photo = by_id(group, "7")
    assert (photo.kind, photo.body) == ("media", "The damage")
    assert photo.attachments == ("photos/photo_1@15-11-2023_00-20-20.jpg",)
    voice = by_id(group, "8")
    assert (voice.kind, voice.body) == ("media", "")
    assert voice.attachments == ("voice_messages/audio_1@15-11-2023_00-21-20.ogg",)
    sticker = by_id(group, "9")
    assert (sticker.kind, sticker.attachments) == ("media", ())  # the file was not exported
    assert json.loads(sticker.details.structure or "")["sticker_emoji"] == "\U0001f62e"  # type: ignore[union-attr]
    poll = by_id(group, "10")
    assert poll.kind == "poll"
    assert poll.body == "Who goes to the police?\n- Ann (1 votes)\n- Bob (1 votes)"
    assert by_id(group, "11").kind == "location"
    assert by_id(group, "11").body == "Location: 53.5461, 9.9661"
    contact = by_id(group, "12")
    assert (contact.kind, contact.body) == ("contact", "Contact: Dana Fox, +49 170 1234567")
    assert contact.attachments == ("contacts/contact_1.vcard",)


def test_account_export_chats_each_their_own_conversation() -> None:
    records = parse_bytes((FIXTURES / "account.json").read_bytes())
    found = [(r.conversation, r.details.conversation_key, r.body) for r in messages(records)]  # type: ignore[union-attr]
    assert found == [
        ("Family", "4000000001@account111", "Dinner on Sunday?"),
        ("Family", "4000000001@account111", "Yes, at six."),
        ("Family", "4000000002@account111", "Other family chat, same name."),
        ("Family", "4000000002@account111", "Hello from the second one."),
        ("Saved Messages", "111@account111", "note to self: check the quay cameras"),
        ("Old Channel", "1500000009", "Archived announcement"),
    ]
    (empty,) = issues(records)
    assert empty.reason == "the chat 'Empty group' holds no messages"
    facts = {r.key: r.value for r in records if isinstance(r, SourceFact)}
    assert facts == {"telegram_chats": "5", "telegram_account": "111"}


def test_only_wall_clock_or_only_unixtime() -> None:
    export = {
        "name": "Pair",
        "type": "personal_chat",
        "id": 42,
        "messages": [
            {"id": 1, "type": "message", "date": "2021-03-01T10:00:00", "from": "A", "text": "x"},
            {"id": 2, "type": "message", "date_unixtime": "1614592800", "from": "B", "text": "y"},
        ],
    }
    first, second = messages(parse_bytes(json.dumps(export, indent=1).encode()))
    assert (first.header_text, first.sent_utc) == ("2021-03-01T10:00:00", None)
    assert first.local_time == datetime(2021, 3, 1, 10, 0)  # the case's zone decides
    assert second.header_text == "1614592800"
    assert second.sent_utc == datetime(2021, 3, 1, 10, 0, tzinfo=UTC)
    assert second.local_time == datetime(2021, 3, 1, 10, 0)


def test_chats_without_a_name() -> None:
    export = {
        "type": "personal_chat",
        "id": 7,
        "messages": [{"id": 1, "type": "message", "date_unixtime": "1", "from": None, "text": "?"}],
    }
    (record,) = messages(parse_bytes(json.dumps(export).encode()))
    assert record.conversation == "Deleted Account"
    assert record.sender is None
    bare = {"messages": [{"type": "message", "date_unixtime": "1", "from": "A", "text": "hi"}]}
    (record,) = messages(parse_bytes(json.dumps(bare).encode(), conversation="From the zip"))
    assert (record.conversation, record.details.conversation_key) == ("From the zip", None)  # type: ignore[union-attr]


def test_private_chat_ids_are_not_shared_between_accounts() -> None:
    """Basic groups number messages per account: two people's exports must not fold by id."""

    def export(first_text: str) -> bytes:
        msg = {"id": 5, "type": "message", "date_unixtime": "1", "from": "A", "text": first_text}
        doc = {"name": "Club", "type": "private_group", "id": 9, "messages": [msg]}
        return json.dumps(doc).encode()

    (mine,) = messages(parse_bytes(export("hello")))
    (theirs,) = messages(parse_bytes(export("another message with the same id")))
    (again,) = messages(parse_bytes(export("hello")))
    assert mine.details.conversation_key != theirs.details.conversation_key  # type: ignore[union-attr]
    assert mine.details.conversation_key == again.details.conversation_key  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("supergroup.json", "telegram"), ("account.json", "telegram")],
)
def test_recognised(name: str, expected: str) -> None:
    head = (FIXTURES / name).read_bytes()[:65536]
    fmt = recognise(head, name)
    assert fmt is not None and fmt.name == expected


@pytest.mark.parametrize(
    "text",
    [
        '[{"type": "message", "user": "U1", "text": "hi", "ts": "1.0"}]',  # Slack day file
        '{"type": "message", "from": "a", "text": "hi"}\n{"type": "message"}\n',  # JSON lines
        '{"messages": [{"author": "a", "body": "hi", "time": 5}]}',  # some other chat JSON
        '{"chats": {"list": []}, "users": [1, 2]}',
        '{"name": "package", "version": "1.0"}',
    ],
)
def test_other_json_is_not_claimed(text: str) -> None:
    assert TELEGRAM.sniff(text.encode(), "data.json") == 0.0


@pytest.mark.parametrize(
    "layout",
    [
        lambda doc: json.dumps(doc, ensure_ascii=False, separators=(",", ":")),  # one line
        lambda doc: json.dumps(doc, ensure_ascii=False, indent=1).replace("\n", "\r\n"),
        lambda doc: json.dumps(doc, indent=4),  # \\u escapes instead of UTF-8
    ],
    ids=["minified", "crlf", "escaped"],
)
def test_any_json_layout_gives_the_same_messages(layout) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads((FIXTURES / "supergroup.json").read_text(encoding="utf-8"))
    data = ("\ufeff" + layout(doc)).encode("utf-8")  # with a byte order mark, too
    found = messages(parse_bytes(data))
    assert [r.body for r in found] == [
        r.body for r in messages(parse_bytes(json.dumps(doc).encode()))
    ]
    for record in found:
        obj = json.loads(data[record.byte_start : record.byte_end])
        assert str(obj["id"]) == record.details.platform_id  # type: ignore[union-attr]
        assert data[: record.byte_start].count(b"\n") + 1 == record.line_start
