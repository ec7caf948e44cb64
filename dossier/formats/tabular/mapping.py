"""What a table's columns mean: the mapping a user gives for a CSV or JSONL export.

A mapping arrives as flat text settings (``ParseOptions.settings``), the same whether it was
typed on the command line (``--map sender=From``) or read from a mapping file:

    FIELD = column          a column (CSV header name, or ``#3`` for the third column) or a
                            JSON key (``handle.id`` for nested objects)
    value:FIELD = text      the same text for every row (a fixed conversation title)
    OPTION = value          how to read the file: time_format, time_zone, owner, delimiter,
                            encoding, header_row, list_separator

``Mapping.from_settings`` checks it all before a single row is read.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from pathlib import Path

from dossier.errors import InputError
from dossier.formats.tabular.times import parse_offset
from dossier.timeutil import zone

# Every field a row can give, and what it means (shown in errors and in the docs).
FIELDS: dict[str, str] = {
    "time": "when the message was sent",
    "text": "the message text",
    "sender": "who wrote it (name or number)",
    "sender_id": "the author's account id or number",
    "recipients": "who it was sent to",
    "conversation": "the chat's title",
    "conversation_id": "the chat's own id (one conversation across files)",
    "message_id": "the message's own id",
    "reply_to": "id of the message it answers",
    "thread": "id of the thread it belongs to",
    "attachments": "file names it carries",
    "direction": "incoming or outgoing",
    "kind": "text, media, call, system ...",
    "utc_offset": "the UTC offset its time is in (+02:00)",
}

OPTIONS: dict[str, str] = {
    "time_format": "iso (default), epoch, epoch_ms, epoch_us, apple, apple_ns, or a pattern "
    "such as %d/%m/%Y %H:%M:%S",
    "time_zone": "the zone times without an offset are in (an IANA name, utc, or +02:00); "
    "default: --tz or the case's zone",
    "owner": "the phone owner's name: the sender of outgoing rows that name none",
    "delimiter": "the CSV column separator: , ; tab | (default ,)",
    "encoding": "the file's text encoding (default utf-8; a BOM decides by itself)",
    "header_row": "which CSV row holds the column names (default 1; 0: no header, columns "
    "are #1, #2 ...)",
    "list_separator": "what separates several recipients or attachments in one CSV cell "
    "(default ;)",
}

FIXED = "value:"
REQUIRED = ("time", "text")
TIME_WORDS = ("iso", "epoch", "epoch_ms", "epoch_us", "apple", "apple_ns")
_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
# strptime directives Python knows; anything else in a pattern is a mistake worth reporting.
_DIRECTIVE = re.compile(r"%(.)")
_KNOWN_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
_HOW = (
    "give the mapping with --map FIELD=COLUMN (e.g. --map time=Date --map sender=From "
    "--map text=Body) or --mapping FILE; see docs/tabular.md"
)


class MappingError(InputError):
    """A mapping that does not fit the file, or cannot be understood."""


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str]  # field -> column name or JSON path
    values: dict[str, str]  # field -> the same text for every row
    time_format: str = "iso"
    time_zone: str | None = None
    owner: str | None = None
    delimiter: str = ","
    encoding: str | None = None
    header_row: int = 1
    list_separator: str = ";"

    @classmethod
    def from_settings(cls, settings: MappingType[str, str], format_name: str) -> Mapping:
        if not settings:
            raise MappingError(
                f"Reading a file as {format_name} needs a mapping: which column holds the "
                "time, the sender and the text.",
                _HOW,
            )
        columns: dict[str, str] = {}
        values: dict[str, str] = {}
        options: dict[str, str] = {}
        for key, value in settings.items():
            if key.startswith(FIXED):
                values[_field(key[len(FIXED) :])] = value
            elif key in OPTIONS:
                options[key] = value
            else:
                columns[_field(key)] = value
        given = set(columns) | set(values)
        missing = [f for f in REQUIRED if f not in given]
        if not given & {"sender", "sender_id"} and not options.get("owner"):
            missing.append("sender")
        if missing:
            raise MappingError(
                f"The mapping does not say which column holds the {' and the '.join(missing)}.",
                f"add --map {missing[0]}=COLUMN (or --value {missing[0]}=TEXT for the same "
                "text on every row)",
            )
        return cls(
            columns=columns,
            values=values,
            time_format=check_time_format(options.get("time_format", "iso")),
            time_zone=_time_zone(options.get("time_zone", "")),
            owner=options.get("owner") or None,
            delimiter=_delimiter(options.get("delimiter", ",")),
            encoding=options.get("encoding") or None,
            header_row=_header_row(options.get("header_row", "1")),
            list_separator=options.get("list_separator") or ";",
        )

    def as_text(self) -> str:
        """The mapping as one line, recorded with the source."""
        parts = [f"{k}={v}" for k, v in self.columns.items()]
        parts += [f"{k}={v!r}" for k, v in self.values.items()]
        parts.append(f"time_format={self.time_format}")
        if self.time_zone:
            parts.append(f"time_zone={self.time_zone}")
        if self.owner:
            parts.append(f"owner={self.owner}")
        return "; ".join(parts)


def _field(name: str) -> str:
    if name not in FIELDS:
        known = ", ".join([*FIELDS, *OPTIONS])
        raise MappingError(f"{name!r} is not a field Dossier knows.", f"use one of: {known}")
    return name


def check_time_format(text: str) -> str:
    word = text.strip().lower()
    if word in TIME_WORDS:
        return word
    if "%" not in text:
        raise MappingError(
            f"time_format {text!r} is neither a known kind of time nor a pattern.",
            f"use one of {', '.join(TIME_WORDS)}, or a pattern such as %d/%m/%Y %H:%M:%S",
        )
    unknown = sorted({d for d in _DIRECTIVE.findall(text) if d not in _KNOWN_DIRECTIVES})
    if unknown or (text.rstrip().endswith("%") and not text.rstrip().endswith("%%")):
        raise MappingError(
            f"time_format {text!r} has a directive Python does not know "
            f"({', '.join('%' + d for d in unknown) or 'a lone %'}).",
            "use %d %m %Y %H %M %S %p %I %b %z ... (see docs/tabular.md)",
        )
    return text


def _time_zone(text: str) -> str | None:
    text = text.strip()
    if text and parse_offset(text) is None:
        zone(text)  # an unknown zone is refused here, with names that come close
    return text or None


def _delimiter(text: str) -> str:
    text = _DELIMITERS.get(text.lower(), text)
    if len(text) != 1 or text in '"\r\n':
        raise MappingError(
            f"delimiter {text!r} must be one character other than a quote or line break.",
            "use , ; | or tab",
        )
    return text


def _header_row(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise MappingError(
            f"header_row {text!r} is not a row number.",
            "give the row that holds the column names (1 for the first), or 0 for none",
        )
    return number


# --- mapping files -----------------------------------------------------------------------------

_SECTIONS = ("columns", "values", "options")


def read_mapping_file(path: Path) -> dict[str, str]:
    """A TOML mapping file as flat settings: [columns], [values] and [options] tables."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(
            f"The mapping file {path} is not valid TOML ({exc}).",
            'write one `name = "value"` per line under [columns], [values] or [options]',
        ) from None
    except (OSError, UnicodeError) as exc:
        raise MappingError(f"The mapping file {path} cannot be read ({exc}).") from None
    settings: dict[str, str] = {}
    for section, table in data.items():
        if section not in _SECTIONS or not isinstance(table, dict):
            raise MappingError(
                f"The mapping file {path} has {section!r}, which is not a section Dossier knows.",
                "use the sections [columns], [values] and [options] (see docs/tabular.md)",
            )
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise MappingError(
                    f"In {path}, [{section}] {key} should be text, not {value!r}.",
                    'put the value in double quotes: name = "value"',
                )
            prefix = FIXED if section == "values" else ""
            settings[prefix + key] = str(value)
    return settings


def settings_from_pairs(pairs: tuple[str, ...], prefix: str = "") -> dict[str, str]:
    """``("sender=From", ...)`` from the command line as settings."""
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MappingError(
                f"{pair!r} is not FIELD=COLUMN.",
                'write it as --map sender=From (quote it if the column has spaces: --map "time='
                'Timestamp: Time")',
            )
        settings[prefix + key.strip()] = value
    return settings
