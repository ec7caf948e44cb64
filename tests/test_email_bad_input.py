"""Bad email input in one batch: every bad file is reported, the rest of the batch is stored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import need_corpora

GOOD = (
    "From: Alice <alice@union.example>\nTo: bob@union.example\nSubject: Fine\n"
    "Date: Tue, 14 May 2024 09:30:00 +0200\nMessage-ID: <fine@union.example>\n\nAll good.\n"
)


def make_batch(folder: Path) -> None:
    folder.mkdir()
    (folder / "good.eml").write_text(GOOD, "utf-8")
    truncated = (
        "From alice@union.example Tue May 14 09:30:00 2024\n" + GOOD + "\n"
        "From alice@union.example Tue May 14 09:31:00 2024\n"
        "From: Alice <alice@union.example>\nSubject: Cut"
    )
    (folder / "cut.mbox").write_text(truncated, "utf-8")
    (folder / "noheaders.eml").write_text("just a body, no headers at all\n" * 3, "utf-8")
    received = "".join(
        f"Received: from relay{i}.example by relay{i + 1}.example; Tue, 14 May 2024 09:30:00 "
        f"+0200 (hop {i:05d} of a very long chain of relays, padded to a hundred bytes)\n"
        for i in range(2000)
    )  # 200 KB of headers
    (folder / "long.eml").write_text(received + GOOD.replace("fine@", "long@"), "utf-8")
    (folder / "noboundary.eml").write_text(
        "From: a@x.example\nSubject: broken\nMessage-ID: <nb@x>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=NEVER\n\nno parts here at all\n",
        "utf-8",
    )
    bomb = "".join(
        f"--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=f{i}.txt\n\n"
        f"part {i}\n"
        for i in range(6000)
    )
    (folder / "bomb.eml").write_text(
        "From: a@x.example\nSubject: many parts\nMessage-ID: <bomb@x>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=B\n\n" + bomb + "--B--\n",
        "utf-8",
    )
    (folder / "junk.eml").write_bytes(bytes(range(256)) * 50)
    (folder / "really822.msg").write_text(GOOD.replace("fine@", "msg@"), "utf-8")


def test_bad_mail_batch(tmp_path: Path, dossier) -> None:
    batch = tmp_path / "batch"
    make_batch(batch)
    pst = need_corpora() / "email" / "fixtures" / "ingest-file" / "testPST.pst"
    shutil.copy(pst, batch / "ok.pst")
    (batch / "corrupt.pst").write_bytes(pst.read_bytes()[:60_000])
    dossier("init", tmp_path / "case")
    result = dossier("ingest", tmp_path / "case", batch)
    assert "Traceback" not in result.err
    hits = json.loads(dossier("search", tmp_path / "case", "subject:fine", "--json").out)
    # the good email (also the first of cut.mbox: one message, two copies), long.eml and the
    # RFC 822 .msg (other Message-IDs: near-duplicates, kept apart)
    assert len(hits) == 3
    assert max(len(h["copies"]) for h in hits) == 2
    ids = {
        h["id"]
        for h in json.loads(
            dossier("search", tmp_path / "case", "kind:email", "--json", "--limit", "100").out
        )
    }
    assert len(ids) >= 6 + 5  # six PST items, good, cut, long, broken, many parts, .msg
    report = json.loads(dossier("issues", tmp_path / "case", "--json").out)
    reported = {i["source_name"].rsplit("/", 1)[-1] for i in report["issues"]}
    reported |= {f["name"].rsplit("/", 1)[-1] for f in report["failed_sources"]}
    sources = {
        s["name"].rsplit("/", 1)[-1]: s
        for s in json.loads(dossier("sources", tmp_path / "case", "--json").out)
    }
    assert "cut.mbox" in reported  # truncated last message
    assert "corrupt.pst" in reported
    assert sources["junk.eml"]["status"] in ("unrecognised", "failed")
    assert sources["noheaders.eml"]["status"] in ("unrecognised", "ok")
    assert sources["really822.msg"]["format"] == "eml"
    assert sources["bomb.eml"]["status"] == "ok" and "bomb.eml" in reported
