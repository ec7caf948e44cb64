"""Shared helpers: run the CLI in-process, make small chat exports."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dossier.cli.main import main as cli_main


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def dossier(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run `dossier ARGS...` in this process; returns exit code, stdout, stderr."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["dossier", *map(str, args)])
        try:
            cli_main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def corpora() -> Path:
    """The shared real-world samples; tests that need them skip when they are absent."""
    env = os.environ.get("DOSSIER_CORPORA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "corpora"


def need_corpora() -> Path:
    root = corpora()
    if not root.is_dir():
        pytest.skip(f"the shared corpora folder is absent ({root}); set DOSSIER_CORPORA")
    return root


def android_chat(lines: list[tuple[str, str | None, str]]) -> str:
    """Android export text from (\"dd/mm/yyyy, HH:MM\", sender or None, text)."""
    out = []
    for stamp, sender, text in lines:
        out.append(f"{stamp} - {sender}: {text}" if sender else f"{stamp} - {text}")
    return "\n".join(out) + "\n"
