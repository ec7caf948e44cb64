"""Readable text from an HTML body, with BeautifulSoup and the stdlib ``html.parser``.

Its own module because BeautifulSoup takes a twentieth of a second to import: a mailbox of
plain-text emails (or a chat) never loads it (see ``html.html_to_text``).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import (
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    ProcessingInstruction,
    Tag,
)

# Elements that start a new line when a browser renders them.
_BLOCKS = frozenset(
    (
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "thead", "tfoot", "tr", "ul",
    )
)  # fmt: skip
_INVISIBLE = ("script", "style", "head", "title", "template", "noscript")
_SPACES = re.compile(r"[ \t\r\n\f]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def readable_text(html: str) -> str:
    """The text a reader sees: blocks on their own lines, whitespace collapsed as browsers do."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    chunks: list[str] = []
    try:
        _walk(soup, chunks, in_pre=False)
    except RecursionError:  # absurdly deep tag soup: lose the layout, keep the words
        chunks = [soup.get_text("\n")]
    lines = (line.rstrip(" ") for line in "".join(chunks).split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def _walk(node: Tag, chunks: list[str], in_pre: bool) -> None:
    for child in node.children:
        if isinstance(child, Comment | Doctype | Declaration | ProcessingInstruction):
            continue
        if isinstance(child, NavigableString):
            chunks.append(str(child) if in_pre else _collapse(str(child), chunks))
        elif isinstance(child, Tag):
            _tag(child, chunks, in_pre)


def _collapse(text: str, chunks: list[str]) -> str:
    """Whitespace as a browser renders it: one space, none at the start of a line."""
    text = _SPACES.sub(" ", text)
    previous = chunks[-1][-1:] if chunks else "\n"
    return text.lstrip(" ") if previous in ("\n", " ", "") else text


def _tag(tag: Tag, chunks: list[str], in_pre: bool) -> None:
    name = tag.name.lower()
    if name == "br":
        chunks.append("\n")
        return
    block = name in _BLOCKS
    if block:
        chunks.append("\n")
    if name == "li":
        chunks.append("* ")
    if name in ("td", "th"):
        chunks.append(" ")
    _walk(tag, chunks, in_pre or name == "pre")
    if name == "img" and tag.get("alt"):
        chunks.append(f"[{tag.get('alt')}]")
    if block:
        chunks.append("\n")
