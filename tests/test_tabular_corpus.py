"""Real CSV files (the shared NLP corpus: RFC 4180, text fields with line breaks) read by a
mapping: every row becomes one message whose bytes are exactly its record."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from dossier.formats.base import ParseOptions
from dossier.formats.tabular import CSV
from dossier.model import MessageRecord, ParseIssue
from tests.conftest import need_corpora

# The rows the corpus MANIFEST states for the file.
MODERATION_ROWS = 1680
MAPPING = {
    "text": "prompt",
    "message_id": "uid",
    "value:time": "2023-01-01T00:00:00Z",  # the file has no times: one fixed time for all
    "value:sender": "evaluation set",
}


def moderation_file() -> Path:
    return need_corpora() / "nlp" / "openai_moderation_eval.csv"


def test_every_row_is_one_message_with_its_exact_bytes() -> None:
    path = moderation_file()
    data = path.read_bytes()
    with path.open("rb") as stream:
        records = list(CSV.parse(stream, path.name, ParseOptions(settings=MAPPING)))
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert not [r for r in records if isinstance(r, ParseIssue)]
    assert len(messages) == MODERATION_ROWS
    with path.open(encoding="utf-8", newline="") as text:
        rows = list(csv.DictReader(text))
    assert [m.body for m in messages] == [row["prompt"] for row in rows]
    spanning = 0
    for message, row in zip(messages, rows, strict=True):
        raw = data[message.byte_start : message.byte_end].decode("utf-8")
        (fields,) = csv.reader(io.StringIO(raw, newline=""))
        assert fields[1] == row["prompt"] and fields[0] == row["uid"]
        assert message.details is not None and json.loads(message.details.structure or "") == row
        assert raw.count("\n") == message.line_end - message.line_start
        spanning += message.line_end > message.line_start
    assert spanning > 100  # the file's prompts do span lines: the ranges were really tested


def test_ingesting_the_file_twice_adds_nothing(tmp_path: Path, dossier) -> None:
    path = moderation_file()
    case = tmp_path / "case"
    assert dossier("init", case, "--tz", "UTC").code == 0
    args = ["--format", "csv", "--map", "text=prompt", "--map", "message_id=uid"]
    args += ["--value", "time=2023-01-01T00:00:00Z", "--value", "sender=evaluation set"]
    first = dossier("ingest", case, path, *args)
    assert first.code == 0, first.err
    assert f"Messages: {MODERATION_ROWS:,} new" in first.err
    again = dossier("ingest", case, path, *args)
    assert "Messages: 0 new" in again.err
