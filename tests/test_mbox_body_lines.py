"""An mbox is read in runs of lines, not a line at a time.

The parser takes a message's header block up to its blank line and its body up to the next
``From `` line as runs of whole lines (``_Reader.header_lines``, ``plain_lines``), searched in
a buffer of its own. Reading a line at a time (``runs=False``) must give the same records:
the same bytes, byte and line ranges, variant and problems, wherever the buffer happens to
end, from a file or from memory.
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
    return list(_MboxParser(io.BytesIO(data), runs=False).run())


def in_runs(path: Path, block: int) -> list[ParseRecord]:
    with path.open("rb") as stream:
        return list(_MboxParser(stream, block=block).run())


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.mbox")), ids=lambda p: p.name)
@pytest.mark.parametrize("block", [1, 16, 100, 8192, 1 << 18])
def test_the_fixtures_read_the_same_in_runs_of_lines(path: Path, block: int) -> None:
    assert in_runs(path, block) == line_by_line(path.read_bytes())


def test_made_up_mboxes_read_the_same_in_runs_of_lines(tmp_path: Path) -> None:
    """Separators, quoted and unquoted ``From`` lines, Content-Length framing, CRLF, lines
    without an end, in random order; read through buffers that end anywhere."""
    pick = random.Random(5)
    path = tmp_path / "made.mbox"
    for _ in range(1500):
        data = b"".join(pick.choice(PIECES) for _ in range(pick.randrange(1, 300)))
        path.write_bytes(data)
        block = pick.choice((1, 7, 16, 64, 100, 1000, 8192))
        assert in_runs(path, block) == line_by_line(data)
        assert list(_MboxParser(io.BytesIO(data), block=block).run()) == line_by_line(data)


def test_the_mailing_list_reads_the_same_in_runs_of_lines() -> None:
    path = need_corpora() / "email" / "mailing-list" / "linux-mips-2019q4.mbox"
    records = in_runs(path, 1 << 18)
    assert records == line_by_line(path.read_bytes())
    assert in_runs(path, 4000) == records
    assert sum(type(r).__name__ == "EmailRecord" for r in records) == 1500


@pytest.mark.parametrize("block", [1000, 1 << 18])
def test_lines_longer_than_a_read_are_read_the_same(tmp_path: Path, block: int) -> None:
    """A body line of 1.5 MB (more than the parser reads at once, and than a line may be),
    header lines cut by the buffer's end, a last line with no line break."""
    long_line = b"x" * (3 << 19) + b"\n"
    data = (
        b"From a@b Mon Jan  1 00:00:00 2001\nSubject: " + b"s" * 5000 + b"\n\n"
        + long_line + b"From here on\n\n"
        + b"From a@b Mon Jan  1 00:00:00 2001\nSubject: two\n\n" + b"y" * 300_000
    )  # fmt: skip
    path = tmp_path / "long.mbox"
    path.write_bytes(data)
    records = in_runs(path, block)
    assert records == line_by_line(data)
    emails = [r for r in records if type(r).__name__ == "EmailRecord"]
    assert len(emails) == 2 and long_line in emails[0].raw
