"""`make demo` works: the fictional leak is written, ingested from every platform, searched,
people suggested, mentions found and the network drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier import demo


def test_the_demo_builds_its_case_from_every_platform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.main([str(tmp_path / "demo")])
    out = capsys.readouterr().out
    for platform in ("whatsapp", "slack", "telegram", "email"):
        assert f"  {platform}  " in out
    assert "people merge" in out  # suggestions come with the command that confirms them
    assert "Plan: B" in out
    assert (tmp_path / "demo" / "network.gexf").is_file()
    assert (tmp_path / "demo" / "case" / "case.sqlite").is_file()
