"""The same group exported from several phones becomes one conversation, no duplicates."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from dossier.case import Case
from dossier.ingest import IngestOptions, ingest

# (minute offset, author key, text or "<media>")
EVENTS = [
    (0, "maria", "Morning all"),
    (1, "tom", "Morning"),
    (2, "maria", "Budget meeting moved to 3pm"),
    (2, "priya", "ok"),
    (3, "tom", "ok"),
    (5, "tom", "<media>"),
    (9, "maria", "Nice photo.\nWho took it?"),
    (30, "priya", "Plan: B is still on?"),
    (31, "maria", "Yes"),
    (45, "tom", "Heading out"),
]
START = datetime(2024, 6, 14, 9, 0)
ANDROID = {"maria": "Maria Lopez", "tom": "Tom Hughes", "priya": "+34 612 34 56 78"}
IOS = {"maria": "Maria (office)", "tom": "Tom", "priya": "Priya"}


def android_export(path: Path, events: list[tuple[int, str, str]]) -> Path:
    lines = []
    for minute, who, text in events:
        when = START + timedelta(minutes=minute)
        body = "<Media omitted>" if text == "<media>" else text
        lines.append(f"{when:%d/%m/%Y, %H:%M} - {ANDROID[who]}: {body}\n")
    path.write_text("".join(lines), "utf-8")
    return path


def ios_export(path: Path, events: list[tuple[int, str, str]], delay: dict[int, int]) -> Path:
    """An iPhone's zip export; it received each message a little later (``delay`` seconds)."""
    lines = []
    for index, (minute, who, text) in enumerate(events):
        when = START + timedelta(minutes=minute, seconds=delay.get(index, 4))
        body = f"\u200e<attached: 0000{index}-PHOTO.jpg>" if text == "<media>" else text
        lines.append(f"[{when:%d/%m/%Y, %H:%M:%S}] {IOS[who]}: {body}\r\n")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("_chat.txt", "".join(lines))
        zf.writestr("00005-PHOTO.jpg", b"photo")
    return path


def count(case: Case, sql: str) -> int:
    return int(case.store.conn.execute(sql).fetchone()[0])


def persons_by_name(case: Case) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for person in case.store.persons_with_identities():
        out[person["name"]] = {i["value"] for i in person["identities"]}
    return out


def test_two_phones_one_conversation(tmp_path: Path) -> None:
    android = android_export(tmp_path / "WhatsApp Chat with Team.txt", EVENTS)
    # The iPhone was offline for a while: message 7 arrived 20 minutes late.
    ios = ios_export(tmp_path / "WhatsApp Chat - Team.zip", EVENTS, {7: 1200})
    case = Case.create(tmp_path / "case", title=None, tz="Europe/Madrid")
    first = ingest(case, [android], IngestOptions(custodian="Maria Lopez"))
    second = ingest(case, [ios], IngestOptions(custodian="Tom Hughes"))
    assert first.messages_new == len(EVENTS)
    assert second.messages_new == 0
    assert second.messages_merged == len(EVENTS)
    assert count(case, "SELECT count(*) FROM conversations") == 1
    assert count(case, "SELECT count(*) FROM messages") == len(EVENTS)
    assert count(case, "SELECT count(*) FROM message_copies") == 2 * len(EVENTS)
    # every copy keeps its provenance: each message has one copy from each export
    assert count(case, "SELECT count(DISTINCT source_id) FROM message_copies") == 2
    assert (
        count(
            case, "SELECT max(n) FROM (SELECT count(*) n FROM message_copies GROUP BY message_id)"
        )
        == 2
    )
    people = persons_by_name(case)
    assert people["Maria Lopez"] == {"Maria Lopez", "Maria (office)"}
    assert people["Tom Hughes"] == {"Tom Hughes", "Tom"}
    assert people["Priya"] == {"+34612345678", "Priya"}
    # the photo named on the iPhone is attached to the merged message
    assert count(case, "SELECT count(*) FROM attachments WHERE source_id IS NOT NULL") == 1
    links = case.store.conn.execute("SELECT reason, evidence FROM identity_links").fetchall()
    assert len(links) == 3 and all(r == "same-message" for r, _ in links)


def test_order_of_ingest_does_not_matter(tmp_path: Path) -> None:
    android = android_export(tmp_path / "a.txt", EVENTS)
    ios = ios_export(tmp_path / "b.zip", EVENTS, {})
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [ios], IngestOptions(custodian="Tom"))
    ingest(case, [android], IngestOptions(custodian="Maria"))
    assert count(case, "SELECT count(*) FROM messages") == len(EVENTS)
    assert count(case, "SELECT count(*) FROM conversations") == 1


def test_phone_that_joined_later_and_a_longer_export(tmp_path: Path) -> None:
    more = [*EVENTS, (60, "maria", "One more thing"), (61, "tom", "Go on")]
    late_joiner = ios_export(tmp_path / "late.zip", more[4:], {})
    full = android_export(tmp_path / "full.txt", more)
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [late_joiner], IngestOptions(custodian="Tom"))
    summary = ingest(case, [full], IngestOptions(custodian="Maria"))
    assert summary.messages_merged == len(more) - 4
    assert summary.messages_new == 4
    assert count(case, "SELECT count(*) FROM messages") == len(more)


def test_different_groups_at_the_same_time_stay_apart(tmp_path: Path) -> None:
    a = android_export(
        tmp_path / "a.txt",
        [(0, "maria", "ok"), (1, "tom", "see you"), (2, "maria", "Budget is fine")],
    )
    b = tmp_path / "b.txt"
    b.write_text(
        "14/06/2024, 09:00 - Someone: ok\n14/06/2024, 09:01 - Else: lunch?\n"
        "14/06/2024, 09:02 - Someone: sure\n",
        "utf-8",
    )
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [a])
    summary = ingest(case, [b])
    assert summary.messages_merged == 0
    assert count(case, "SELECT count(*) FROM conversations") == 2


def test_repeated_messages_within_one_export_are_not_merged(tmp_path: Path) -> None:
    events = [(0, "maria", "ok"), (0, "maria", "ok"), (0, "maria", "ok"), (1, "tom", "fine")]
    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [android_export(tmp_path / "a.txt", events)])
    summary = ingest(case, [ios_export(tmp_path / "b.zip", events, {})])
    assert count(case, "SELECT count(*) FROM messages") == 4
    assert summary.messages_merged == 4


def test_phone_read_in_the_wrong_zone_is_still_aligned_and_noted(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", title=None, tz="Europe/Madrid")
    ingest(case, [android_export(tmp_path / "a.txt", EVENTS)])
    summary = ingest(
        case, [ios_export(tmp_path / "b.zip", EVENTS, {})], IngestOptions(tz="America/New_York")
    )
    assert summary.messages_merged == len(EVENTS)
    assert any("--tz" in note for note in summary.notes)


def test_search_from_any_name_finds_the_merged_person(tmp_path: Path) -> None:
    from dossier.store.search import search

    case = Case.create(tmp_path / "case", title=None, tz="UTC")
    ingest(case, [android_export(tmp_path / "a.txt", EVENTS)], IngestOptions(custodian="M"))
    ingest(case, [ios_export(tmp_path / "b.zip", EVENTS, {})], IngestOptions(custodian="T"))
    mine = [e for e in EVENTS if e[1] == "maria"]
    for name in ('"Maria (office)"', '"Maria Lopez"'):
        assert len(search(case.store.conn, f"from:{name}", limit=50)) == len(mine)
    assert len(search(case.store.conn, "from:612345678", limit=50)) == 2  # Priya's number
