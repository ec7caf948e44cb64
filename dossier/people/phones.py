"""Phone numbers as identities: one written form per number (E.164, ``+34612345678``).

A number saved without its country code (``612 34 56 78``) can only be placed with a region:
the case's own setting (``dossier init --region ES``), else the country of the case's time
zone when the zone belongs to exactly one country (Europe/Madrid -> ES). Without either, the
digits are kept as written and the identity is shown as lacking its country code.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

REGION_META = "phone_region"  # the case setting (meta key)
_REGION = re.compile(r"^[A-Z]{2}$")


def e164(digits_text: str, region: str | None) -> str | None:
    """The E.164 form of a number as written, or None when it cannot be placed (no country
    code and no region) or is not a possible number there."""
    import phonenumbers  # on first use: most commands never read a number

    text = digits_text.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def has_country_code(value: str) -> bool:
    """Whether a stored phone identity is in international form (else: digits as written)."""
    return value.startswith("+")


def valid_region(code: str) -> bool:
    """A two-letter region phonenumbers knows (ES, GB, US...)."""
    import phonenumbers

    code = code.upper()
    return bool(_REGION.match(code)) and code in phonenumbers.SUPPORTED_REGIONS


@functools.lru_cache(maxsize=64)
def region_of_zone(zone: str) -> str | None:
    """The country of an IANA zone when the zone table gives it exactly one (zone.tab lists
    one country per zone; UTC and the like have none)."""
    for line in _zone_table():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[2] == zone:
            return fields[0]
    return None


@functools.lru_cache(maxsize=1)
def _zone_table() -> tuple[str, ...]:
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ()
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))
