"""The whole shared chat corpus through `dossier ingest`: nothing fails, every copy is kept.

Many corpus files are the same chat written in different styles (WhatsR's eight locale/OS
variants, whatstk's 96 generated header formats of one generated chat); ingest rightly merges
those into one conversation each, so messages are counted as copies per source.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dossier.case import Case
from dossier.ingest import IngestOptions, ingest
from tests.test_whatsapp_corpus import MANIFEST
from tests.test_whatsapp_support import corpora


@pytest.fixture(scope="module")
def corpus_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    root = corpora()
    case = Case.create(tmp_path_factory.mktemp("corpus") / "case", title=None, tz="Europe/Berlin")
    summary = ingest(case, [root], IngestOptions(custodian="corpus"))
    assert summary.failed == []
    return case


def copies_by_file(case: Case) -> dict[str, int]:
    rows = case.store.conn.execute(
        "SELECT s.name, count(c.message_id) FROM sources s"
        " LEFT JOIN message_copies c ON c.source_id = s.id WHERE s.role = 'messages'"
        " GROUP BY s.id"
    )
    return {name: n for name, n in rows}


def test_every_whatsapp_fixture_is_stored_with_its_manifest_count(corpus_case: Case) -> None:
    root = corpora()
    stored = copies_by_file(corpus_case)
    for rel, records, _ in MANIFEST:
        name = str(root / rel)
        if records == 0:
            assert name not in stored  # the empty export is kept, but holds no chat
            continue
        assert stored.get(name) == records, rel


def test_generated_formats_all_count(corpus_case: Case) -> None:
    stored = copies_by_file(corpus_case)
    generated = [n for n in stored if "/generated-hformats/" in n]
    assert len(generated) == 96
    assert all(stored[n] == 100 for n in generated)


def test_merged_copies_keep_every_source(corpus_case: Case) -> None:
    conn = corpus_case.store.conn
    copies = conn.execute("SELECT count(*) FROM message_copies").fetchone()[0]
    messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    orphans = conn.execute(
        "SELECT count(*) FROM message_copies c LEFT JOIN messages m ON m.id = c.message_id"
        " WHERE m.id IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    assert copies > messages  # same chats from several "phones" were merged
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_reingesting_the_corpus_adds_nothing(corpus_case: Case) -> None:
    before = corpus_case.store.counts()
    summary = ingest(corpus_case, [corpora()])
    assert summary.messages_new == 0 and summary.failed == []
    assert corpus_case.store.counts()["messages"] == before["messages"]


def test_unrecognised_files_are_kept_and_listed(corpus_case: Case) -> None:
    sources = corpus_case.store.list_sources()
    unrecognised = [s for s in sources if s["status"] == "unrecognised"]
    # the corpus holds files that are no chat at all (expected parses, READMEs)
    assert unrecognised, "the corpus's expected-output files should be kept as unrecognised"
    assert all(s["error"] for s in unrecognised)
    formats = {s["format"] for s in sources if s["status"] == "ok"}
    assert {"whatsapp", "telegram", "slack"} <= formats
    assert not [s for s in sources if s["status"] == "failed"]


def test_corpus_path_is_real(tmp_path: Path) -> None:
    assert (corpora() / "MANIFEST.md").is_file()


def _json_texts(value: object) -> set[str]:
    """Every string in a decoded JSON value, and the joined text of every list of text runs
    (Telegram writes rich text as a list of strings and {"text": ...} entities)."""
    found: set[str] = set()
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            found |= _json_texts(item)
    elif isinstance(value, list):
        runs = [
            v if isinstance(v, str) else v.get("text") for v in value if isinstance(v, (str, dict))
        ]
        if runs and all(isinstance(r, str) for r in runs):
            found.add("".join(r for r in runs if isinstance(r, str)))
        for item in value:
            found |= _json_texts(item)
    return found


def test_every_message_is_found_in_its_original_bytes(corpus_case: Case) -> None:
    """The evidence promise: each copy's byte range in the kept original holds its header and
    its body, exactly (decoded with the encoding the source recorded)."""
    from dossier.read import original_bytes

    store = corpus_case.store
    encodings = {
        source["id"]: source["facts"].get("encoding", "utf-8") for source in store.list_sources()
    }
    cache: dict[int, bytes] = {}
    checked = 0
    rows = store.conn.execute(
        "SELECT c.source_id, c.byte_start, c.byte_end, c.header_text, m.body, m.kind,"
        " c.source_id = m.source_id AND c.byte_start = m.byte_start"
        " FROM message_copies c JOIN messages m ON m.id = c.message_id"
    )
    for source_id, start, end, header, body, kind, first_copy in rows:
        if source_id not in cache:
            cache[source_id] = original_bytes(corpus_case, source_id)
        codec = encodings[source_id].replace("utf-8-sig", "utf-8")
        text = cache[source_id][start:end].decode(codec, errors="replace")
        assert header.lstrip("\ufeff\u200e") in text
        if text.startswith("{"):
            # A JSON export's range is the message's own object; its text is JSON-escaped
            # there (and service entries are worded), so the object itself is what must hold.
            item = json.loads(text)
            assert isinstance(item, dict), (source_id, start)
            if first_copy and kind in ("text", "media") and body:  # others are worded
                assert body in _json_texts(item), (source_id, start)
        elif first_copy and "\ufffd" not in body:
            assert text.endswith(body), (source_id, start)
        checked += 1
    assert checked > 10_000
