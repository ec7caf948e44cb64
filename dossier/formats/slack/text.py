"""Slack's message markup made readable: "<@U024BE7LH> see <#C024BE7LK|general>" reads
"@Maria Lopez see #general".

The stored body stays exactly as exported; this readable copy goes beside it (in the
message's structure) together with the names of the people mentioned.
"""

from __future__ import annotations

import re

from dossier.formats.slack.workspace import Workspace

# Everything Slack writes between angle brackets: mentions, channel links, links, specials.
_MARKUP = re.compile(r"<([^<>\n]+)>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def readable(text: str, ws: Workspace) -> tuple[str, tuple[str, ...]]:
    """(the text with mentions, channels and links spelled out, the people mentioned)."""
    mentioned: list[str] = []

    def spell(found: re.Match[str]) -> str:
        target, _, label = found.group(1).partition("|")
        if target.startswith("@"):
            name = ws.user_name(target[1:]) or label.lstrip("@") or target[1:]
            if name not in mentioned:
                mentioned.append(name)
            return "@" + name
        if target.startswith("#"):
            return "#" + (label or ws.channels.get(target[1:]) or target[1:])
        if target.startswith("!"):
            return _special(target[1:], label)
        return _link(target, label)

    spelled = _MARKUP.sub(spell, text)
    return _unescape(spelled), tuple(mentioned)


def _special(command: str, label: str) -> str:
    """<!here>, <!subteam^S123|@team>, <!date^1392734382^{date}|Feb 18, 2014> ..."""
    word = command.split("^", 1)[0]
    if word in _SPECIAL:
        return _SPECIAL[word]
    return label or "@" + command


def _link(url: str, label: str) -> str:
    plain = url.removeprefix("mailto:").removeprefix("tel:")
    if not label or label in (url, plain) or url.endswith("//" + label):
        return plain
    return f"{label} ({url})"


def _unescape(text: str) -> str:
    """Slack escapes exactly these three in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
