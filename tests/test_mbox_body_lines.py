"""An mbox body is taken many lines at a time when the stream lets us look ahead.

The parser reads a message's body in runs of whole lines up to the next ``From `` line
(``_Reader.plain_lines``) when the stream can be peeked at (a file), and a line at a time when
it cannot (``io.BytesIO``). Both must give the same records: the same bytes, byte and line
ranges, variant and problems, wherever the stream's buffer happens to end.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from dossier.formats.mbox import _MboxParser
from dossier.model import ParseRecord

from .conftest import need_corpora

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
PIECES = (
    b"From a@b Mon Jan  1 00:00:00 2001\n",
    b"From a@b Mon Jan  1 00:00:00 2001\r\n",
    b"Subject: x\n",
    b"Content-Length: 5\n",
    b"Content-Length: 40\n",
    b"\n",
    b"\r\n",
    b">From here\n",
    b">>From there\n",
    b"From nobody\n",
    b"body text line\n",
    b"From: x@y\n",
    b"To: z@w\n",
    b"xx",
    b"From ",
    b">From",
    b"a" * 50 + b"\n",
)


def line_by_line(data: bytes) -> list[ParseRecord]:
    stream = io.BytesIO(data)
    assert not hasattr(stream, "peek")  # so the parser reads a line at a time
    return list(_MboxParser(stream).run())


def in_runs(path: Path, buffer: int) -> list[ParseRecord]:
    with path.open("rb", buffering=buffer) as stream:
        return list(_MboxParser(stream).run())


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.mbox")), ids=lambda p: p.name)
@pytest.mark.parametrize("buffer", [16, 100, 8192])
def test_the_fixtures_read_the_same_in_runs_of_lines(path: Path, buffer: int) -> None:
    assert in_runs(path, buffer) == line_by_line(path.read_bytes())


def test_made_up_mboxes_read_the_same_in_runs_of_lines(tmp_path: Path) -> None:
    """Separators, quoted and unquoted ``From`` lines, Content-Length framing, CRLF, lines
    without an end, in random order; read through buffers that end anywhere."""
    pick = random.Random(5)
    path = tmp_path / "made.mbox"
    for _ in range(1500):
        data = b"".join(pick.choice(PIECES) for _ in range(pick.randrange(1, 300)))
        path.write_bytes(data)
        assert in_runs(path, pick.choice((16, 64, 100, 1000, 8192))) == line_by_line(data)


def test_the_mailing_list_reads_the_same_in_runs_of_lines() -> None:
    path = need_corpora() / "email" / "mailing-list" / "linux-mips-2019q4.mbox"
    records = in_runs(path, 8192)
    assert records == line_by_line(path.read_bytes())
    assert sum(type(r).__name__ == "EmailRecord" for r in records) == 1500
