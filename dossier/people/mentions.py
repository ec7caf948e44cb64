"""Mentions: where a person is talked about, as annotations on message spans.

Two methods, each replacing only its own rows when run again:

* ``mentions/alias@1`` -- the names the case knows (persons' names, aliases, identity display
  names) found on word boundaries, case and accents ignored. A first name is resolved to a
  person only when one participant of the conversation has it; otherwise the mention is kept
  with no person and a low confidence ("Maria" in a group with two Marias).
* ``mentions/ner@1`` -- names of people who are not persons of the case (an activist who is
  discussed but never writes), found by an offline named-entity model. A name the model
  recognises anywhere is then looked for in every message, so the same person is found where
  the model missed them (other languages, lower case). Value is the name as most often written.

Spans are character offsets into ``messages.body``: ``body[start:end]`` is the text found.
For emails only what the sender wrote is read (quoted replies are not counted again).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol, TypeVar

from dossier.case import Case
from dossier.people.mention_names import NAMED, NameIndex, Resolution, build_index
from dossier.people.mention_ner import PersonFinder
from dossier.people.mention_text import (
    body_span,
    bounded,
    fold_with_origin,
    name_key,
    regions,
    words,
)
from dossier.store.annotations import MENTIONS_RUN, MentionRow, MessageText
from dossier.timeutil import now_iso

ALIAS_METHOD = "mentions/alias@1"
NER_METHOD = "mentions/ner@1"
RUN_KEY = MENTIONS_RUN  # meta: when mentions were last looked for
SPOTTED = 0.6  # where the model itself recognised the name (elsewhere it is NAMED)
CHUNK = 512
MODEL_TEXT = 100_000  # characters the model reads at once (its own limit is 1,000,000)
_T = TypeVar("_T")


class Progress(Protocol):
    def begin(self, label: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def end(self) -> None: ...


@dataclass
class MentionRun:
    messages: int = 0
    resolved: int = 0  # mentions of a person of the case
    ambiguous: int = 0  # a known name that could mean several persons
    named: int = 0  # mentions of people who are not persons of the case
    names: Counter[str] = field(default_factory=Counter)  # those people, by mentions
    model: str | None = None  # the named-entity model used, or None (--no-ner)


@dataclass
class _Spotted:
    """What the model found: full names (two words or more) and one-word names, per message,
    with how each full name was written."""

    full: dict[int, list[tuple[int, int, tuple[str, ...]]]] = field(default_factory=dict)
    single: dict[int, list[tuple[int, int, tuple[str, ...]]]] = field(default_factory=dict)
    written: dict[tuple[str, ...], Counter[str]] = field(default_factory=dict)
    parts: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)

    def add(self, message_id: int, start: int, end: int, key: tuple[str, ...], text: str) -> None:
        if len(key) == 1:
            self.single.setdefault(message_id, []).append((start, end, key))
            return
        self.full.setdefault(message_id, []).append((start, end, key))
        self.written.setdefault(key, Counter())[text] += 1
        for word in (key[0], key[-1]):
            self.parts.setdefault(word, set()).add(key)

    def value(self, key: tuple[str, ...]) -> str:
        """A full name as it is most often written."""
        return self.written[key].most_common(1)[0][0]

    def full_name(self, word: tuple[str, ...]) -> tuple[str, ...] | None:
        """The one full name whose first or last word ``word`` is ("Brandt": Leo Brandt)."""
        names = self.parts.get(word[0], set())
        return next(iter(names)) if len(names) == 1 else None


def find_mentions(case: Case, *, ner: bool = True, progress: Progress | None = None) -> MentionRun:
    """Find mentions in every message and store them (one transaction: all or nothing)."""
    store = case.store
    finder = PersonFinder() if ner else None  # a missing model is reported before any work
    index = build_index(store.person_names())
    members = store.conversation_members()
    total = store.count_texts()
    run = MentionRun(messages=total, model=finder.model if finder else None)
    spotted = _Spotted()
    if finder is not None:
        with _stage(progress, "names (model)", total) as step:
            spotted = _spot(case, finder, index, step)
        for key in spotted.written:
            index.add_named(key)  # full names are looked for everywhere
    at = now_iso()
    with store.transaction(), _stage(progress, "mentions", total) as step:
        store.clear_annotations(ALIAS_METHOD)
        store.set_meta(RUN_KEY, at)
        if finder is not None:
            store.clear_annotations(NER_METHOD)
            store.set_meta(f"{NER_METHOD} model", finder.model)
        named_before: dict[int, set[int]] = {}
        for batch in _chunks(store.texts(), CHUNK):
            known: list[MentionRow] = []
            named: list[MentionRow] = []
            for m in batch:
                before = named_before.setdefault(m.conversation, set())
                hits = _hits(m, index, members.get(m.conversation, frozenset()), before)
                known += _known_rows(m.body, m.id, hits)
                named += _named_rows(m.id, hits, spotted)
            store.add_mentions(ALIAS_METHOD, at, known)
            store.add_mentions(NER_METHOD, at, named)
            _count(run, known, named)
            step(len(batch))
    return run


def _spot(
    case: Case, finder: PersonFinder, index: NameIndex, step: Callable[[int], None]
) -> _Spotted:
    """Run the model over every text; keep the PERSON names the case does not know."""
    spotted = _Spotted()
    for batch in _chunks(case.store.texts(), CHUNK):
        # A name is written with a capital (``looks_like_name``): text with none is not read.
        pieces = [
            (m.id, off, text)
            for m in batch
            for start, region in regions(m.body, m.new_text)
            for off, text in bounded(start, region, MODEL_TEXT)
            if text != text.lower()
        ]
        for (message_id, offset, _), entities in zip(
            pieces, finder.persons(text for _, _, text in pieces), strict=True
        ):
            for entity in entities:
                key = name_key(entity.text)
                if not key or key in index:
                    continue  # a name of a person of the case: the alias method finds it
                start, end = offset + entity.start, offset + entity.end
                spotted.add(message_id, start, end, key, entity.text)
        step(len(batch))
    return spotted


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    key: tuple[str, ...]
    resolution: Resolution


def _hits(
    m: MessageText, index: NameIndex, participants: frozenset[int], named_before: set[int]
) -> list[_Hit]:
    """Every name of the index in the message, resolved among the people present: the
    conversation's participants and anyone named in full earlier in it ("Sam Okafor ...
    make sure Sam never ..."). ``named_before`` grows as full names are found. A part of the
    author's own name ("Maria" signing her email) is no mention."""
    hits: list[_Hit] = []
    for offset, text in regions(m.body, m.new_text):
        folded = fold_with_origin(text)
        found = words(folded)
        for first, last, key in index.find(folded, found):
            resolution = index.resolve(key, participants | named_before)
            if resolution is None or (resolution.part and resolution.person_id == m.author):
                continue
            if resolution.person_id is not None and not resolution.part:
                named_before.add(resolution.person_id)
            start, end = body_span(m.body, offset, folded, found[first], found[last])
            hits.append(_Hit(start, end, key, resolution))
    return hits


def _known_rows(body: str, message_id: int, hits: list[_Hit]) -> list[MentionRow]:
    """Mentions of the case's persons (person None: ambiguous)."""
    return [
        (
            message_id,
            h.start,
            h.end,
            h.resolution.person_id,
            body[h.start : h.end],
            h.resolution.confidence,
        )
        for h in hits
        if not h.resolution.named
    ]


def _named_rows(message_id: int, hits: list[_Hit], spotted: _Spotted) -> list[MentionRow]:
    """Mentions of people who are not persons of the case: full names the model recognised,
    wherever they occur, and one-word names where the model recognised them, when they are
    the first or last word of exactly one of those full names."""
    rows: list[MentionRow] = []
    taken = [(h.start, h.end) for h in hits]
    at_spot = {(s, e) for s, e, _ in spotted.full.get(message_id, [])}
    for h in hits:
        if h.resolution.named:
            sure = SPOTTED if (h.start, h.end) in at_spot else h.resolution.confidence
            rows.append((message_id, h.start, h.end, None, spotted.value(h.key), sure))
    spots = [(s, e, k, SPOTTED) for s, e, k in spotted.full.get(message_id, [])]
    for start, end, word in spotted.single.get(message_id, []):
        if (full := spotted.full_name(word)) is not None:
            spots.append((start, end, full, NAMED))
    for start, end, key, sure in spots:
        if not any(s < end and start < e for s, e in taken):
            rows.append((message_id, start, end, None, spotted.value(key), sure))
            taken.append((start, end))
    return rows


def _count(run: MentionRun, known: list[MentionRow], named: list[MentionRow]) -> None:
    run.resolved += sum(1 for row in known if row[3] is not None)
    run.ambiguous += sum(1 for row in known if row[3] is None)
    run.named += len(named)
    run.names.update(row[4] for row in named)


def _chunks(items: Iterator[_T], size: int) -> Iterator[list[_T]]:
    while batch := list(islice(items, size)):
        yield batch


class _stage:
    """A progress stage as a context manager handing out the advance function."""

    def __init__(self, progress: Progress | None, label: str, total: int) -> None:
        self.progress, self.label, self.total = progress, label, total

    def __enter__(self) -> Callable[[int], None]:
        if self.progress is None:
            return lambda n: None
        self.progress.begin(self.label, self.total)
        return self.progress.advance

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.end()
