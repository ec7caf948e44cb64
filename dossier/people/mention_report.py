"""Who is mentioned, how often, by whom: the mention annotations grouped for reading."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dossier.textnorm import fold

EXAMPLES = 3

PERSON = "person"  # a person of the case
NAMED = "not a participant"  # a name the model found, of someone no person of the case is
AMBIGUOUS = "ambiguous"  # a first name several participants have


@dataclass
class Mentioned:
    """One person (or name) talked about, with every mention of them."""

    label: str
    kind: str
    person_id: int | None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    def by_whom(self) -> Counter[str]:
        return Counter(row["author_name"] or "(unknown)" for row in self.rows)

    def conversations(self) -> int:
        return len({row["conversation_id"] for row in self.rows})

    def examples(self, n: int = EXAMPLES) -> list[str]:
        return list(dict.fromkeys(row["uid"] for row in self.rows))[:n]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.label,
            "kind": self.kind,
            "person_id": self.person_id,
            "mentions": self.count,
            "conversations": self.conversations(),
            "by": [{"name": n, "mentions": c} for n, c in self.by_whom().most_common()],
            "examples": self.examples(),
        }


def group(rows: list[dict[str, Any]]) -> list[Mentioned]:
    """Mentions grouped by who is meant, most mentioned first."""
    groups: dict[tuple[str, object], Mentioned] = {}
    for row in rows:
        if row["person_id"] is not None:
            key: tuple[str, object] = (PERSON, row["person_id"])
            label, kind = str(row["person_name"] or row["value"]), PERSON
        else:
            kind = AMBIGUOUS if row["method"].startswith("mentions/alias@") else NAMED
            label = str(row["value"])
            key = (kind, fold(label))
        entry = groups.setdefault(key, Mentioned(label, kind, row["person_id"]))
        entry.rows.append(row)
    return sorted(groups.values(), key=lambda m: (-m.count, fold(m.label)))


def matching(groups: list[Mentioned], name: str, names: dict[int, list[str]]) -> list[Mentioned]:
    """The groups whose name (or, for a person, any name or alias) contains ``name``."""
    wanted = fold(name).strip()
    return [
        g
        for g in groups
        if wanted in fold(g.label)
        or (g.person_id is not None and any(wanted in fold(n) for n in names[g.person_id]))
    ]
