"""HTML bodies: readable text for search and quoting, and a sanitised copy for display.

Text comes from BeautifulSoup with the stdlib ``html.parser`` (no compiled parser needed, and
it never raises on tag soup). Sanitising uses ``nh3`` (ammonia): scripts, styles, event
handlers and remote images go, so showing a leaked mail cannot run code or call home.
"""

from __future__ import annotations

import nh3


def html_to_text(html: str) -> str:
    """The text a reader sees: blocks on their own lines, whitespace collapsed as browsers do."""
    from dossier.email.html_text import readable_text  # loads BeautifulSoup on first use

    return readable_text(html)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Images only from the message itself (cid:) or inline data; links never to data:."""
    lowered = value.strip().lower()
    if tag == "img" and attribute == "src":
        return value if lowered.startswith(("cid:", "data:image/")) else None
    if attribute == "href" and lowered.startswith("data:"):
        return None
    return value


def sanitise(html: str) -> str:
    """HTML safe to show: no scripts, styles, event handlers, forms or remote images."""
    schemes = set(nh3.ALLOWED_URL_SCHEMES) | {"cid", "data"}
    return nh3.clean(
        html,
        url_schemes=schemes,
        attribute_filter=_keep_attribute,
        link_rel="noopener noreferrer nofollow",
    )
