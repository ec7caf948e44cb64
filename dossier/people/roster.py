"""The roster: who the case's people are, as a file the user edits and keeps in version
control (CSV or YAML), exported from and imported into a case.

Columns (CSV) or keys (YAML): id (informative), name, aliases, role, groups, public_figure,
identities, notes. In CSV, lists are separated by ';' (a ';' inside a value is written '\\;').
An identity is written ``kind:value`` or, for a name as one phone shows it,
``name[custodian]:value`` (e.g. ``phone:+34612345678``, ``email:m.lopez@union.example``,
``name[maria-phone]:Maria (office)``), so a roster re-attaches people to a rebuilt case.

Import checks the whole file first and changes nothing if any row is wrong; then, in one
transaction, each row's identities bring their persons together (merged if the case had them
apart), and the row's name, role, flags, aliases and groups are set. Importing the same file
twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import yaml

from dossier.case import Case
from dossier.errors import DossierError
from dossier.people.phones import e164
from dossier.timeutil import now_iso

COLUMNS = ("id", "name", "aliases", "role", "groups", "public_figure", "identities", "notes")
KINDS = ("name", "phone", "email", "handle")
_SPEC = re.compile(r"^(?P<kind>[a-z]+)(?:\[(?P<context>[^\]]*)\])?:(?P<value>.+)$", re.DOTALL)
_SEP = re.compile(r"(?<!\\);")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_TRUE = {"yes", "y", "true", "1", "public", "x"}
_FALSE = {"no", "n", "false", "0", "private", ""}


class RosterError(DossierError):
    """A roster file that cannot be read; nothing in the case was changed."""


@dataclass
class Entry:
    where: str  # "row 3", "entry 2": for messages
    name: str
    aliases: list[str] = field(default_factory=list)
    role: str | None = None
    groups: list[str] = field(default_factory=list)
    public_figure: bool = False
    identities: list[tuple[str, str, str]] = field(default_factory=list)  # kind, value, context
    notes: str | None = None


# --- export --------------------------------------------------------------------------------


def export_roster(case: Case, path: Path, fmt: str | None = None) -> int:
    """Write every person to ``path`` (CSV or YAML, by ``fmt`` or the file's extension)."""
    fmt = fmt or _format_of(path)
    rows = [_row(p) for p in case.store.people_summary()]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_cell(v) for k, v in row.items()})
        text = out.getvalue()
    else:
        text = yaml.safe_dump({"people": rows}, allow_unicode=True, sort_keys=False)
    partial = path.with_name(path.name + ".partial")  # a reader never sees half a roster
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return len(rows)


def _row(person: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": person["id"],
        "name": person["name"],
        "aliases": person["aliases"],
        "role": person["role"] or "",
        "groups": person["labels"],
        "public_figure": bool(person["public_figure"]),
        "identities": [identity_spec(i) for i in person["identities"]],
        "notes": person["notes"] or "",
    }


def identity_spec(identity: dict[str, Any]) -> str:
    context = f"[{identity['context']}]" if identity["context"] else ""
    return f"{identity['kind']}{context}:{identity['value']}"


def _csv_cell(value: Any) -> str:
    if isinstance(value, list):
        text = ";".join(str(v).replace(";", "\\;") for v in value)
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(value)
    # A leaked name like "=HYPERLINK(...)" must not run as a formula when the file is opened
    # in a spreadsheet: such cells get a leading apostrophe, taken off again on import.
    return "'" + text if text.startswith(_FORMULA) or _uncell(text) != text else text


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].lstrip("'").startswith(_FORMULA) else text


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise RosterError(
        f"Cannot tell the roster format of {path.name}.",
        "name the file .csv, .yaml or .yml, or give --format",
    )


# --- reading -------------------------------------------------------------------------------


def read_roster(path: Path, fmt: str | None = None, region: str | None = None) -> list[Entry]:
    """Every entry of a roster file, checked; RosterError names the first bad one."""
    fmt = fmt or _format_of(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path.name} is not UTF-8 text.", "save it as UTF-8") from exc
    raw = _csv_rows(text, path.name) if fmt == "csv" else _yaml_rows(text, path.name)
    entries = [_entry(where, row, region) for where, row in raw]
    seen: dict[tuple[str, str, str], str] = {}
    for entry in entries:
        for ident in entry.identities:
            if ident in seen:
                raise RosterError(
                    f"{path.name}, {entry.where}: identity {ident[0]}:{ident[1]} is also in "
                    f"{seen[ident]}.",
                    "one identity belongs to one person: keep it in one row",
                )
            seen[ident] = entry.where
    return entries


def _csv_rows(text: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "name" not in header:
        raise RosterError(
            f"{name} has no 'name' column.",
            f"the first line names the columns: {','.join(COLUMNS)}",
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise RosterError(
            f"{name}: unknown column {unknown[0]!r}.", f"the columns are: {', '.join(COLUMNS)}"
        )
    rows: list[tuple[str, dict[str, Any]]] = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise RosterError(f"{name}, line {number}: more cells than columns.")
        cells: dict[str, Any] = {k: _uncell(v) for k, v in row.items() if v is not None}
        for key in ("aliases", "groups", "identities"):
            cells[key] = _split(cells.get(key) or "")
        rows.append((f"line {number}", cells))
    return rows


def _split(cell: str) -> list[str]:
    return [part.strip().replace("\\;", ";") for part in _SEP.split(cell) if part.strip()]


def _yaml_rows(text: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RosterError(f"{name} is not valid YAML ({exc}).") from exc
    if isinstance(data, dict):
        data = data.get("people")
    if not isinstance(data, list):
        raise RosterError(f"{name}: expected a list of people (under 'people:').")
    rows: list[tuple[str, dict[str, Any]]] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise RosterError(f"{name}, entry {number}: expected keys like name:, role:.")
        unknown = [k for k in item if k not in COLUMNS]
        if unknown:
            raise RosterError(
                f"{name}, entry {number}: unknown key {unknown[0]!r}.",
                f"the keys are: {', '.join(COLUMNS)}",
            )
        rows.append((f"entry {number}", item))
    return rows


def _entry(where: str, row: dict[str, Any], region: str | None) -> Entry:
    name = _text(where, row, "name")
    if not name:
        raise RosterError(f"{where}: the name is empty.", "every person needs a name")
    return Entry(
        where=where,
        name=name,
        aliases=_list(where, row, "aliases"),
        role=_text(where, row, "role") or None,
        groups=_list(where, row, "groups"),
        public_figure=_flag(where, row.get("public_figure")),
        identities=[_identity(where, s, region) for s in _list(where, row, "identities")],
        notes=_text(where, row, "notes") or None,
    )


def _text(where: str, row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        raise RosterError(f"{where}: {key} should be text, not a list.")
    return str(value).strip()


def _list(where: str, row: dict[str, Any], key: str) -> list[str]:
    value = row.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return _split(value)
    if not isinstance(value, list) or any(isinstance(v, list | dict) for v in value):
        raise RosterError(f"{where}: {key} should be a list of texts.")
    return [str(v).strip() for v in value if str(v).strip()]


def _flag(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RosterError(f"{where}: public_figure is {value!r}.", "write yes or no")


def _identity(where: str, spec: str, region: str | None) -> tuple[str, str, str]:
    found = _SPEC.match(spec.strip())
    if found is None or found["kind"] not in KINDS:
        raise RosterError(
            f"{where}: cannot read the identity {spec!r}.",
            "write kind:value with kind one of name, phone, email, handle "
            "(e.g. phone:+34612345678, name[custodian]:Maria)",
        )
    kind, value, context = found["kind"], found["value"].strip(), found["context"] or ""
    if kind == "phone":
        value = e164(value, region) or "".join(c for c in value if c.isdigit() or c == "+")
    elif kind == "email":
        value = value.lower()
    return kind, value, context


# --- import --------------------------------------------------------------------------------


def import_roster(case: Case, entries: Sequence[Entry]) -> list[str]:
    """Apply checked entries in one transaction; returns what changed, one line each."""
    changes: list[str] = []
    store = case.store
    rows_of: dict[int, str] = {}  # person -> the row that described them
    with store.transaction():
        for entry in entries:
            person, changed = _apply(case, entry)
            if person in rows_of:
                raise RosterError(
                    f"Roster {entry.where} is the same person as {rows_of[person]} "
                    "(by a name or identity they share); nothing was changed.",
                    "describe each person in one row",
                )
            rows_of[person] = entry.where
            changes += changed
    return changes


def _apply(case: Case, entry: Entry) -> tuple[int, list[str]]:
    store = case.store
    found = [store.find_identity(k, v, c) for k, v, c in entry.identities]
    missing = [
        f"{k}:{v}" for (k, v, _), i in zip(entry.identities, found, strict=True) if i is None
    ]
    persons = list(dict.fromkeys(store.person_of(i) for i in found if i is not None))
    changes = [
        f"{entry.name}: identity {m} is not in this case (kept in the roster)" for m in missing
    ]
    if not persons:
        named = store.persons_named(entry.name)
        if len(named) > 1:  # several: the one a roster (or the user) named so before
            named = [p for p in named if _confirmed_as(case, p, entry.name)]
        if len(named) == 1:
            persons = named
        else:
            persons = [store.new_person(entry.name)]
            store.update_person(
                persons[0], confirmed=1
            )  # the roster's own: found by name next time
            changes.append(f"{entry.name}: new person #{persons[0]}")
    keep = persons[0]
    for absorb in persons[1:]:
        mine, theirs = store.identities_of(keep), store.identities_of(absorb)
        store.record_decisions(product(mine, theirs), "confirmed", now_iso())
        if mine and theirs:
            store.link_identities(mine[0], theirs[0], "user", "one person in the roster", now_iso())
        store.absorb_person_details(keep, absorb)
        store.join_persons(keep, absorb)
        changes.append(f"{entry.name}: person #{absorb} merged into #{keep}")
    changes += _set_fields(case, keep, entry)
    return keep, changes


def _confirmed_as(case: Case, person_id: int, name: str) -> bool:
    fields = case.store.person_fields(person_id)
    return bool(fields["confirmed"]) and fields["name"] == name


def _set_fields(case: Case, person_id: int, entry: Entry) -> list[str]:
    store = case.store
    before = store.person_fields(person_id)
    aliases, labels = sorted(set(entry.aliases)), sorted(set(entry.groups))
    wanted: dict[str, Any] = {
        "name": entry.name,
        "role": entry.role,
        "public_figure": entry.public_figure,
        "notes": entry.notes,
        "aliases": aliases,
        "labels": labels,
    }
    changes = []
    for key, value in wanted.items():
        old = sorted(before[key]) if isinstance(before[key], list) else before[key]
        if old != value:
            changes.append(f"{entry.name} (#{person_id}): {key} {old!r} -> {value!r}")
    if not changes:  # an unedited row confirms nothing and writes nothing
        return []
    store.update_person(
        person_id,
        name=entry.name,
        role=entry.role,
        public_figure=int(entry.public_figure),
        notes=entry.notes,
        confirmed=1,
    )
    store.set_aliases(person_id, aliases)
    store.set_labels(person_id, labels)
    return changes
