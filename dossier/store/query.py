"""The search query language: a tokenizer and a parser into a small tree.

The syntax follows what people know from mail clients::

    money transfer              both words (AND), case-insensitive, accents significant
    "plan b"                    the exact phrase: punctuation, apostrophes, accents exact
    -word  -"phrase"  -from:x   exclude
    vote OR poll                either; AND binds tighter than OR (a b OR c = (a b) OR c)
    (vote OR poll) -cancelled   parentheses group
    transf*                     words starting with "transf"
    from:maria  from:"Maria Lopez"     the sender: a person's name, alias or any identity
                                       (every identity of that person: names, numbers, ...)
    to:maria  cc:x  bcc:x       an email's recipient, the person resolved as for from:
    in:campaign  in:"Campaign team"    the conversation: part of its title, or its exact uid
    about:"Leo Brandt"          mentions a person (any name or alias) or that name (people who
                                never write): the mention annotations, ``dossier analyse mentions``
    after:2016-08-06  before:2016-08-07T14:30    a day (or minute) in the case's time zone
    kind:poll                   one of dossier.model.MESSAGE_KINDS
    has:attachment  has:media

Decisions worth knowing:

* Operator names are case-insensitive (``FROM:maria``); ``OR`` and the optional ``AND`` must be
  uppercase, so the words "or" and "and" can still be searched.
* ``word:`` prefixes that are not operators are plain text (``10:30``, ``https://x.org``,
  ``re:``), except when the prefix looks like a misspelt operator (``form:maria``): that is an
  error suggesting the operator, so a typo never silently becomes a text search.
* ``flag:`` and ``around:`` are reserved: an error says they are not available yet, rather
  than searching for the text.
* A ``-`` only excludes at the start of a term (``-word``); inside a word it is part of the word
  (``well-known``), and a lone ``-`` is searched as text.
* Parentheses are grouping: to search for ``:)`` put it in quotes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

from dossier.errors import QueryError
from dossier.model import MESSAGE_KINDS
from dossier.textnorm import search_text

OPERATORS: tuple[str, ...] = (
    "from",
    "to",
    "cc",
    "bcc",
    "in",
    "subject",
    "after",
    "before",
    "kind",
    "has",
    "dkim",
    "arc",
    "about",
)
DKIM_VALUES: tuple[str, ...] = ("pass", "fail", "no-key", "unsigned", "error", "unchecked")
ARC_VALUES: tuple[str, ...] = ("pass", "fail", "no-key", "unchecked", "none")
RESERVED: dict[str, str] = {
    "flag": "it will come with the analysis annotations",
    "around": "it will come with the analysis annotations",
}
HAS_VALUES: tuple[str, ...] = ("attachment", "media")
_HAS_ALIASES = {"attachment": "attachment", "attachments": "attachment", "media": "media"}
_DATE = re.compile(
    r"(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})"
    r"(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?"
)
_DATE_HINT = "Write dates as YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time, e.g. after:2016-08-06."


# ---------------------------------------------------------------------------------------------
# The tree


@dataclass(frozen=True, slots=True)
class Text:
    """Text to find in the message body (already passed through ``textnorm.search_text``).

    A bare word matches whole words through the full-text index; ``phrase`` means the quoted,
    exact form; ``prefix`` is ``word*``.
    """

    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class From:
    name: str


@dataclass(frozen=True, slots=True)
class In:
    name: str


@dataclass(frozen=True, slots=True)
class Recipient:
    """to: (To, Cc and Bcc), cc: or bcc: an email was addressed to this person."""

    roles: tuple[str, ...]
    name: str


@dataclass(frozen=True, slots=True)
class About:
    """The message mentions this person or name (see ``dossier.store.annotations``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Subject:
    text: str


@dataclass(frozen=True, slots=True)
class Dkim:
    status: str
    check: str = "dkim"  # or "arc": the ARC chain's result


@dataclass(frozen=True, slots=True)
class After:
    """Sent at or after this naive local time (read in the case's zone)."""

    when: datetime


@dataclass(frozen=True, slots=True)
class Before:
    """Sent strictly before this naive local time (read in the case's zone)."""

    when: datetime


@dataclass(frozen=True, slots=True)
class Kind:
    kind: str


@dataclass(frozen=True, slots=True)
class Has:
    what: Literal["attachment", "media"]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Node: TypeAlias = (
    (Text | From | In | Recipient | About | Subject | Dkim | After | Before | Kind | Has | Not)
    | And
    | Or
)


def conj(parts: list[Node]) -> Node:
    """AND of ``parts``, nested ANDs flattened."""
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.children if isinstance(part, And) else (part,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def disj(parts: list[Node]) -> Node:
    """OR of ``parts``, nested ORs flattened."""
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.children if isinstance(part, Or) else (part,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def negate(node: Node) -> Node:
    return node.child if isinstance(node, Not) else Not(node)


# ---------------------------------------------------------------------------------------------
# Tokens

TokenKind = Literal["(", ")", "OR", "AND", "-", "term"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    pos: int  # 0-based character offset in the query, for error messages
    node: Node | None = None


def tokenize(query: str) -> Iterator[Token]:
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            yield Token("(" if c == "(" else ")", i)
            i += 1
        elif c == "-" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] != ")":
            yield Token("-", i)
            i += 1
        elif c == '"':
            text, end = _quoted(query, i)
            yield Token("term", i, _phrase(text, i))
            i = end
        else:
            token, i = _word(query, i)
            yield token


def _quoted(query: str, start: int) -> tuple[str, int]:
    """The text between the quote at ``start`` and the next quote, and the index after it."""
    end = query.find('"', start + 1)
    if end < 0:
        raise QueryError(
            f'Unbalanced quote: the " at position {start + 1} is never closed.',
            hint='Close the phrase with another " (e.g. "plan b"), or remove the quote.',
        )
    return query[start + 1 : end], end + 1


def _phrase(text: str, pos: int) -> Text:
    text = search_text(text).strip()
    if not text:
        raise QueryError(
            f"Empty phrase at position {pos + 1}: there is nothing between the quotes.",
            hint='Put the exact text to find between the quotes, e.g. "plan b".',
        )
    return Text(text, phrase=True)


def _word(query: str, start: int) -> tuple[Token, int]:
    end = start
    while end < len(query) and not query[end].isspace() and query[end] not in '()"':
        end += 1
    word = query[start:end]
    if word in ("OR", "AND"):
        return Token("OR" if word == "OR" else "AND", start), end
    name, colon, value = word.partition(":")
    if colon and name.lower() in (*OPERATORS, *RESERVED):
        if not value and end < len(query) and query[end] == '"':
            value, end = _quoted(query, end)
        return Token("term", start, operator(name.lower(), value.strip())), end
    if colon and name.isalpha() and value:
        _refuse_near_miss(name, word)
    return Token("term", start, _text(word, start)), end


def _text(word: str, pos: int) -> Text:
    stripped = word.rstrip("*")
    if stripped != word and not stripped:
        raise QueryError(
            f"A lone * at position {pos + 1}: a prefix search needs letters before the star.",
            hint="Write the start of a word followed by *, e.g. transf*.",
        )
    return Text(search_text(stripped), prefix=stripped != word)


def _refuse_near_miss(name: str, word: str) -> None:
    close = difflib.get_close_matches(name.lower(), [*OPERATORS, *RESERVED], n=1, cutoff=0.75)
    if close:
        raise QueryError(
            f"Unknown operator {name}: in {word!r}. Did you mean {close[0]}:?",
            hint=f"Operators are {', '.join(o + ':' for o in OPERATORS)}. "
            f'To search for the text itself, put it in quotes: "{word}".',
        )


# ---------------------------------------------------------------------------------------------
# Operators


def operator(name: str, value: str) -> Node:
    """The node for ``name:value``; ``name`` is lower-case and known."""
    if name in RESERVED:
        raise QueryError(
            f"{name}: is not available yet: {RESERVED[name]}.",
            hint=f"Use {', '.join(o + ':' for o in OPERATORS)}; to search for the text "
            f'"{name}:{value}", put it in quotes.',
        )
    if not value:
        raise QueryError(f"{name}: needs a value.", hint=_EXAMPLES[name])
    if name == "from":
        return From(value)
    if name == "in":
        return In(value)
    if name in ("to", "cc", "bcc"):
        return Recipient(("to", "cc", "bcc") if name == "to" else (name,), value)
    if name == "subject":
        return Subject(value)
    if name == "about":
        return About(value)
    if name == "dkim":
        if value.lower() not in DKIM_VALUES:
            raise QueryError(f"Unknown dkim:{value}.", hint=_EXAMPLES["dkim"])
        return Dkim(value.lower())
    if name == "arc":
        if value.lower() not in ARC_VALUES:
            raise QueryError(f"Unknown arc:{value}.", hint=_EXAMPLES["arc"])
        return Dkim(value.lower(), "arc")
    if name in ("after", "before"):
        when = parse_date(name, value)
        return After(when) if name == "after" else Before(when)
    if name == "kind":
        if value.lower() not in MESSAGE_KINDS:
            raise QueryError(
                f"Unknown message kind {value!r} in kind:{value}.",
                hint=f"Valid kinds are: {', '.join(MESSAGE_KINDS)}.",
            )
        return Kind(value.lower())
    if value.lower() not in _HAS_ALIASES:
        raise QueryError(f"Unknown has:{value}.", hint=_EXAMPLES["has"])
    return Has("attachment" if _HAS_ALIASES[value.lower()] == "attachment" else "media")


_EXAMPLES = {
    "from": 'Name the sender, e.g. from:maria or from:"Maria Lopez" or from:+34600123456.',
    "in": 'Name the conversation, e.g. in:campaign or in:"Campaign team".',
    "to": "Name a recipient (To, Cc or Bcc), e.g. to:maria or to:m.lopez@union.example.",
    "cc": "Name a Cc recipient, e.g. cc:maria.",
    "bcc": "Name a Bcc recipient, e.g. bcc:maria.",
    "subject": 'Words of the subject, e.g. subject:budget or subject:"exit poll".',
    "about": 'Name who is talked about, e.g. about:brandt or about:"Leo Brandt".',
    "dkim": f"Use one of: {', '.join('dkim:' + v for v in DKIM_VALUES)}.",
    "arc": f"Use one of: {', '.join('arc:' + v for v in ARC_VALUES)}.",
    "after": _DATE_HINT,
    "before": _DATE_HINT,
    "kind": f"Valid kinds are: {', '.join(MESSAGE_KINDS)}.",
    "has": f"Use one of: {', '.join('has:' + h for h in HAS_VALUES)}.",
}


def parse_date(name: str, value: str) -> datetime:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS]`` (``/`` also accepted) as a naive datetime."""
    m = _DATE.fullmatch(value)
    if not m:
        raise QueryError(f"{name}:{value} is not a date.", hint=_DATE_HINT)
    y, mo, d, h, mi, s = (int(m.group(g) or 0) for g in ("y", "mo", "d", "h", "mi", "s"))
    try:
        return datetime(y, mo, d, h, mi, s)
    except ValueError as exc:
        raise QueryError(f"{name}:{value} is not a valid date: {exc}.", hint=_DATE_HINT) from exc


# ---------------------------------------------------------------------------------------------
# Parser


def parse(query: str) -> Node:
    """Parse ``query`` into a tree, or raise ``QueryError`` saying what is wrong."""
    tokens = list(tokenize(query))
    if not tokens:
        raise QueryError(
            "The search query is empty.",
            hint="Type words to find, or an operator such as from:maria or after:2016-08-01.",
        )
    return _Parser(tokens).parse()


class _Parser:
    """Recursive descent: or := and (OR and)* ; and := unary+ ; unary := -unary | (or) | term."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:  # only a ")" can stop parse_or early
            raise QueryError(
                f'Unbalanced parenthesis: the ")" at position {extra.pos + 1} closes nothing.',
                hint='Remove it, or to search for it, put it in quotes: ":)".',
            )
        return node

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            parts.append(self.parse_and())
        return disj(parts)

    def parse_and(self) -> Node:
        parts: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.take()
                if not parts or self._at_end_of_group():
                    raise _dangling("AND", token)
                continue
            parts.append(self.parse_unary())
        if not parts:
            raise self._missing_term()
        return conj(parts)

    def parse_unary(self) -> Node:
        token = self.take()
        if token.kind == "-":
            following = self.peek()
            if following is None or following.kind in ("OR", "AND", ")"):
                raise QueryError(
                    f"Nothing to exclude after the - at position {token.pos + 1}.",
                    hint="Write the word, phrase or operator right after the -, e.g. -spam.",
                )
            return negate(self.parse_unary())
        if token.kind == "(":
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError(
                    f'Unbalanced parenthesis: the "(" at position {token.pos + 1} is never closed.',
                    hint='Add the missing ")", or to search for it, put it in quotes.',
                )
            self.take()
            return node
        assert token.node is not None  # "term"; OR/AND/")" are handled by the callers
        return token.node

    def _at_end_of_group(self) -> bool:
        following = self.peek()
        return following is None or following.kind in ("OR", "AND", ")")

    def _missing_term(self) -> QueryError:
        token = self.peek()
        if token is not None and token.kind == "OR":
            return _dangling("OR", token)
        before = self.tokens[self.i - 1] if self.i else None
        if token is not None and token.kind == ")" and before is not None and before.kind == "OR":
            return _dangling("OR", before)
        if token is not None and token.kind == ")":
            if before is not None and before.kind == "(":
                return QueryError(
                    f"Empty parentheses at position {before.pos + 1}.",
                    hint="Put search terms inside them, or remove them.",
                )
            return QueryError(
                f'Unbalanced parenthesis: the ")" at position {token.pos + 1} closes nothing.',
                hint='Remove it, or to search for it, put it in quotes: ":)".',
            )
        last = self.tokens[-1]
        if last.kind == "(":
            return QueryError(
                f'Unbalanced parenthesis: the "(" at position {last.pos + 1} is never closed.',
                hint='Add the missing ")", or to search for it, put it in quotes.',
            )
        return _dangling(last.kind, last)


def _dangling(word: str, token: Token) -> QueryError:
    return QueryError(
        f"{word} at position {token.pos + 1} needs a search term on both sides.",
        hint=f"Write e.g. vote {word} poll; to search for the word itself, "
        f'write it in lower case or in quotes: "{word.lower()}".',
    )
