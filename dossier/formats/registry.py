"""Which format a file is in, decided from its first bytes and its name.

A new format is one module with a ``MessageFormat`` object, added to ``FORMATS`` below.
"""

from __future__ import annotations

from dossier.errors import UnrecognisedInput
from dossier.formats.base import MessageFormat
from dossier.formats.eml import EML
from dossier.formats.mbox import MBOX
from dossier.formats.outlook_msg import OUTLOOK_MSG
from dossier.formats.pst import PST
from dossier.formats.signal import SIGNAL
from dossier.formats.slack import SLACK
from dossier.formats.tabular import TABLE_FORMATS
from dossier.formats.telegram import TELEGRAM
from dossier.formats.whatsapp import WHATSAPP, conversation_title_from_filename

FORMATS: dict[str, MessageFormat] = {
    fmt.name: fmt for fmt in (WHATSAPP, MBOX, EML, OUTLOOK_MSG, PST, SIGNAL, TELEGRAM, SLACK)
}
# Tables (csv, jsonl) are read only when the user names them, with a column mapping.
FORMATS.update(TABLE_FORMATS)

# Below this score a file is not taken to be in any format.
MIN_SCORE = 0.3
# An email file that email's recogniser scores this high is in no other format (an RFC 822
# header block with a message-like name): the others are not asked. Mail folders bring files by
# the thousand, and each is then recognised by one recogniser, not eight.
CERTAIN = 0.95


def format_named(name: str) -> MessageFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UnrecognisedInput(
            f"Unknown format {name!r}.", f"use one of: {', '.join(sorted(FORMATS))}"
        ) from None


def is_companion(filename: str) -> bool:
    """Whether a file is part of some format's export without holding messages itself."""
    return any(filename in fmt.companion_names for fmt in FORMATS.values())


def is_export_root(filenames: list[str]) -> bool:
    """Whether a folder holding these files is an export that keeps its media in subfolders
    (Telegram's result.json beside photos/, files/ ...): its whole tree belongs together."""
    return any(
        name in getattr(fmt, "export_root_names", frozenset())
        for fmt in FORMATS.values()
        for name in filenames
    )


def recognise(head: bytes, filename: str) -> MessageFormat | None:
    """The best-scoring format for a file, or None if none is confident enough."""
    email = FORMATS.get(EML.name)
    email_score = email.sniff(head, filename) if email is not None else 0.0
    if email is not None and email_score >= CERTAIN:
        return email
    best: tuple[float, MessageFormat] | None = None
    for fmt in FORMATS.values():
        if fmt.name in TABLE_FORMATS:
            continue  # read only when named
        score = email_score if fmt is email else fmt.sniff(head, filename)
        if score >= MIN_SCORE and (best is None or score > best[0]):
            best = (score, fmt)
    return best[1] if best else None


# Chat titles hidden in export file names ("WhatsApp Chat with Team.txt", "WhatsApp Chat -
# Team.zip"), one reader per platform.
TITLE_READERS = (conversation_title_from_filename,)


def title_from_name(name: str) -> str | None:
    """A chat's title from an export's file or folder name, if the name carries one."""
    for reader in TITLE_READERS:
        # An unpacked export's folder is named like the archive it came from, minus ".zip".
        for candidate in (name, name + ".zip"):
            title = reader(candidate)
            if title:
                return title
    return None
