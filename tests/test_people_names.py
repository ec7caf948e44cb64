"""Name clues: how display names, address local parts and custodian labels are compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier.case import Case
from dossier.ingest import IngestOptions, ingest
from dossier.people import names as nm
from dossier.people.suggest import suggest
from tests.conftest import need_corpora


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Lopez, María", "maria lopez"),
        ("Maria (office)", "maria"),
        ("Dr. Maria Lopez", "maria lopez"),
        ("Kenneth L. Lay (E-mail)  <kenneth.lay@enron.com>", "kenneth l lay"),
        ("~\u202fMARIA  LOPEZ", "maria lopez"),
    ],
)
def test_name_key(written: str, key: str) -> None:
    assert nm.name_key(written) == key


def test_name_similarity() -> None:
    assert nm.name_similarity("maria lopez", "lopez maria") == 1.0
    assert nm.name_similarity("kenneth l lay", "kenneth lay") == 1.0
    assert nm.name_similarity("maria", "maria lopez") == 0.3  # a first name alone: faint
    assert nm.name_similarity("maria", "jose garcia") == 0.0
    assert nm.name_similarity("maria lopez", "mario lopez") < 0.95
    assert nm.name_similarity("undisclosed recipients", "undisclosed recipients") == 0.0


@pytest.mark.parametrize(
    ("local", "pattern"),
    [
        ("maria.lopez", "first.last"),
        ("lopez_maria", "last.first"),
        ("mlopez", "f.last"),
        ("m.lopez", "f.last"),
        ("lopezm", "last.f"),
        ("lopez-m", "last.f"),  # a mail archive's folder label
        ("maria.j.lopez", "first.m.last"),
        ("lopez", "last"),
        ("jgarcia", ""),
        ("ml", ""),
    ],
)
def test_local_part_score(local: str, pattern: str) -> None:
    score, found = nm.local_part_score(local, "maria lopez")
    assert found == pattern and (score > 0) == bool(pattern)


def test_full_forms_outrank_initials() -> None:
    full, _ = nm.local_part_score("maria.lopez", "maria lopez")
    initial, _ = nm.local_part_score("mlopez", "maria lopez")
    surname, _ = nm.local_part_score("lopez", "maria lopez")
    assert full > initial > surname


def test_enron_mailbox_owner_addresses_are_suggested(tmp_path: Path) -> None:
    mailbox = need_corpora() / "email" / "enron" / "maildir" / "lay-k"
    if not mailbox.is_dir():
        pytest.skip(f"{mailbox} is absent")
    case = Case.create(tmp_path / "case", title=None, tz="America/Chicago")
    ingest(case, [mailbox], IngestOptions(custodian="lay-k"))
    found = suggest(case.store, limit=50)
    pairs = {frozenset((s.a["name"], s.b["name"])): {c.kind for c in s.clues} for s in found}
    owner = frozenset(("kenneth.lay@enron.com", "kenneth_lay@enron.com"))
    assert owner in pairs and "exporter" in pairs[owner]
    assert all(s.score >= 0.3 for s in found)
    assert not any("undisclosed" in s.a["name"] + s.b["name"] for s in found)
    case.close()
