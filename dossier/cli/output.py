"""Printing: data to stdout, progress and warnings to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from tqdm import tqdm

HL_OPEN, HL_CLOSE = "\x02", "\x03"  # highlight markers the search hands back


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def warn(text: str) -> None:
    click.echo(text, err=True)


def highlight(snippet: str, *, plain: bool = False) -> str:
    """Turn highlight markers into bold (on a terminal) or [brackets] (elsewhere)."""
    if plain or not sys.stdout.isatty():
        return snippet.replace(HL_OPEN, "[").replace(HL_CLOSE, "]")
    return snippet.replace(HL_OPEN, "\x1b[1m").replace(HL_CLOSE, "\x1b[0m")


def strip_markers(snippet: str) -> str:
    return snippet.replace(HL_OPEN, "").replace(HL_CLOSE, "")


class BarProgress:
    """A progress bar on stderr per big file (hidden when stderr is not a terminal)."""

    def __init__(self) -> None:
        self._bar: tqdm[Any] | None = None
        self._files: tqdm[Any] | None = None

    def files(self, total: int) -> None:
        if total > 1:
            self._files = tqdm(
                total=total,
                unit="file",
                desc="files",
                file=sys.stderr,
                leave=False,
                disable=None,
                dynamic_ncols=True,
                position=0,
            )

    def file_done(self) -> None:
        if self._files is not None:
            self._files.update(1)

    def close(self) -> None:
        self.end()
        if self._files is not None:
            self._files.close()
            self._files = None

    def begin(self, label: str, total_bytes: int, unit: str = "B") -> None:
        self.end()
        self._bar = tqdm(
            total=total_bytes,
            unit=unit,
            unit_scale=unit == "B",
            desc=_short(label),
            file=sys.stderr,
            leave=False,
            disable=None,
            dynamic_ncols=True,
        )

    def advance(self, nbytes: int) -> None:
        if self._bar is not None:
            self._bar.update(nbytes)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def note(self, text: str) -> None:
        warn(text)


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1) :]
