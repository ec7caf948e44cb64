"""Chat titles from localised export file names ("WhatsApp Chat with X.txt" ...)."""

from __future__ import annotations

import re

# "<prefix><title>.txt|.zip" as WhatsApp names exports in different languages. Underscores
# may replace the spaces (some phones and mail clients do that).
EXPORT_PREFIXES = (
    "WhatsApp Chat with ",
    "WhatsApp Chat - ",
    "WhatsApp Chat mit ",
    "WhatsApp-Chat mit ",
    "Chat de WhatsApp con ",
    "Chat WhatsApp con ",
    "Conversa do WhatsApp com ",
    "Conversa no WhatsApp com ",
    "Discussion WhatsApp avec ",
    "WhatsApp-chat met ",
    "WhatsApp Chat met ",
    "Czat WhatsApp z ",
    "WhatsApp Sohbeti: ",
    "Чат WhatsApp с ",
    "Chat WhatsApp cu ",
    "WhatsApp-chatt med ",
    "WhatsApp-chat med ",
    "WhatsApp Chat avec ",
)

_PATTERNS = tuple(
    re.compile(
        r"^" + "[ _]".join(re.escape(word) for word in p.split(" ")) + r"(?P<title>.+?)"
        r"(?: \(\d+\))?\.(?:txt|zip)$",
        re.IGNORECASE,
    )
    for p in EXPORT_PREFIXES
)


def conversation_title_from_filename(name: str) -> str | None:
    """The chat's title if ``name`` is a WhatsApp export name; None otherwise (``_chat.txt``)."""
    base = re.split(r"[/\\]|!/", name)[-1]
    for pattern in _PATTERNS:
        m = pattern.match(base)
        if m is not None:
            title = m.group("title")
            if "_" in title and " " not in title:
                title = title.replace("_", " ")
            return title.strip() or None
    return None
