"""Shared helpers for the WhatsApp parser tests (holds no tests itself)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import NamedTuple

import pytest

from dossier.formats.base import ParseOptions
from dossier.formats.whatsapp import WHATSAPP
from dossier.model import MessageRecord, ParseIssue, SourceFact

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "whatsapp"


class Parsed(NamedTuple):
    messages: list[MessageRecord]
    issues: list[ParseIssue]
    facts: dict[str, str]
    raw: bytes


def parse_bytes(data: bytes, filename: str = "chat.txt", **options: str) -> Parsed:
    records = list(WHATSAPP.parse(io.BytesIO(data), filename, ParseOptions(**options)))
    facts: dict[str, str] = {}
    for r in records:
        if isinstance(r, SourceFact):
            assert r.key not in facts, f"fact {r.key} emitted twice"
            facts[r.key] = r.value
    return Parsed(
        [r for r in records if isinstance(r, MessageRecord)],
        [r for r in records if isinstance(r, ParseIssue)],
        facts,
        data,
    )


def parse_file(path: Path, **options: str) -> Parsed:
    return parse_bytes(path.read_bytes(), path.name, **options)


def fixture(name: str, **options: str) -> Parsed:
    return parse_file(FIXTURES / name, **options)


def corpora() -> Path:
    """The shared chat corpus, or skip: it is not bundled with the project."""
    env = os.environ.get("DOSSIER_CORPORA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "corpora")
    for base in candidates:
        if (base / "chats").is_dir():
            return base / "chats"
    pytest.skip("WhatsApp corpora absent (set DOSSIER_CORPORA or provide ../shared/corpora)")


def text_of(parsed: Parsed, enc: str, m: MessageRecord) -> str:
    """The original bytes a message points to, decoded: must start with its header line."""
    return parsed.raw[m.byte_start : m.byte_end].decode(enc)
