"""What Signal's text and JSON exports share: the chat's title, sigexport's reaction and
attachment conventions."""

from __future__ import annotations

import posixpath
import re
from typing import Any

from dossier.formats.base import ParseOptions

# The files signal-export (sigexport) writes in each chat's folder; the folder is the chat's name.
EXPORT_FILES = frozenset({"chat.md", "index.md", "data.json"})
DEFAULT_TITLE = "Signal chat"

# sigexport links a message's attachments as Markdown: ![name](./media/file) for pictures,
# [name](./media/file) for anything else (spaces in the path written as %20).
ATTACHMENT_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\./media/[^)\n]*\)")
# Reactions follow the text on a line of their own: "(- Aya: 👍, Jim: ❤️ -)".
REACTIONS_LINE = re.compile(r"(?:^|\n)\(- (.+?) -\)")
# What sigexport writes in place of the text of a message that was deleted for everyone.
DELETED_TEXT = "(This message was deleted)"


def chat_title(filename: str, options: ParseOptions) -> str:
    """The chat's name: what the container says, else sigexport's folder, else the file's."""
    if options.conversation:
        return options.conversation
    if filename in EXPORT_FILES and options.location:
        folder = posixpath.basename(posixpath.dirname(options.location.replace("\\", "/")))
        if folder:
            return folder
    stem = posixpath.splitext(filename)[0]
    return stem or DEFAULT_TITLE


def reactions_in(text: str) -> tuple[tuple[str, str], ...]:
    """(emoji, who) pairs from sigexport's reactions line, if the text has one."""
    found = list(REACTIONS_LINE.finditer(text))
    if not found:
        return ()
    pairs: list[tuple[str, str]] = []
    for part in found[-1].group(1).split(", "):
        who, sep, emoji = part.rpartition(": ")
        if sep and who and emoji:
            pairs.append((emoji, who))
    return tuple(pairs)


def file_names(value: Any, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The attachment names in a JSON list of attachment objects: the first of ``keys`` each
    object has as text (exports name the field differently)."""
    if not isinstance(value, list):
        return ()
    names = []
    for entry in value:
        if isinstance(entry, dict):
            name = next((entry[k] for k in keys if isinstance(entry.get(k), str) and entry[k]), "")
            if name:
                names.append(name)
    return tuple(names)
