"""The demo case: a fictional cache, written by Dossier itself, then ingested and searched.

    python -m dossier.demo FOLDER

writes FOLDER/inputs/ (the "leak": one staff group chat exported from two phones, an Android
.txt and an iOS .zip with a photo, a second chat, Maria's mailbox, the party's Slack export and
the volunteers' Telegram group), builds the case FOLDER/case, runs a few searches, finds who
is who and who is talked about, and draws the network. Everyone and everything in it is
invented.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from dossier.cli.main import cli
from dossier.demo_more import write_more_inputs

# (minutes after the start, author key, text). Multi-line texts keep their line breaks.
STAFF_CHAT = [
    (0, None, 'created group "Campaign HQ staff"'),
    (1, "maria", "Morning all. Exit poll embargo lifts at 22:00 tonight, nobody posts before."),
    (3, "tom", "Understood. Canvass numbers for Eastfield attached"),
    (4, "tom", "<photo>"),
    (9, "leo", "Eastfield looks soft. Can we move two organisers there?"),
    (12, "maria", "No. Resources stay with Hallam's people, that was agreed."),
    (13, "maria", "Nobody outside this chat needs to know that."),
    (20, "priya", "Who is covering the phone bank tonight?\n\nI can do until 21:00."),
    (24, "tom", "Leo can. He never does anything anyway 🙄"),
    (31, "leo", 'I made a chat "Phone bank rota" so it looks like we\'re busy.'),
    (600, "maria", "Exit poll is out. We're down 4."),
    (
        645,
        "maria",
        "That activist from Eastfield, Sam Okafor, cost us the ward.\nMake sure "
        "Sam never gets a council nomination.",
    ),
    (650, "priya", "That's not fair on Sam."),
    (651, "maria", "Plan: B. We talk about it tomorrow, not here."),
    (652, "tom", "👍"),
    (700, "leo", "Deleted my last message, sorry"),
]

# How each phone saved each person: the same people under different names.
ANDROID_NAMES = {
    "maria": "Maria Lopez",
    "tom": "Tom Hughes",
    "leo": "Leo Brandt",
    "priya": "+44 7700 900123",
}
IOS_NAMES = {"maria": "Maria (office)", "tom": "Tom", "leo": "Leo Brandt", "priya": "Priya Shah"}

START = datetime(2024, 5, 23, 9, 0)
PHOTO = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300" + "08" * 64 + "ffd9")


def _android_line(when: datetime, who: str | None, text: str, photo: str) -> str:
    stamp = when.strftime("%d/%m/%Y, %H:%M")
    if who is None:
        return f"{stamp} - You {text}\n"  # the export is from Maria's own phone
    if text == "<photo>":
        text = "<Media omitted>"
    return f"{stamp} - {who}: {text}\n"


def _ios_line(when: datetime, who: str | None, text: str, photo: str) -> str:
    stamp = when.strftime("[%d/%m/%Y, %H:%M:%S]")
    if who is None:
        return f"{stamp} Campaign HQ staff: \u200eMaria (office) {text}\r\n"
    if text == "<photo>":
        text = f"\u200e<attached: {photo}>"
    # iOS ends each message with CRLF; line breaks inside a message stay LF.
    return f"{stamp} {who}: {text}\r\n"


def write_inputs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    photo = "00000004-PHOTO-2024-05-02-09-04-07.jpg"
    android, ios = [], []
    for minutes, key, text in STAFF_CHAT:
        when = START + timedelta(minutes=minutes)
        android.append(_android_line(when, ANDROID_NAMES.get(key or ""), text, photo))
        # The iPhone received each message a few seconds after it was sent.
        received = when + timedelta(seconds=7 + minutes % 40)
        ios.append(_ios_line(received, IOS_NAMES.get(key or ""), text, photo))
    (folder / "WhatsApp Chat with Campaign HQ staff.txt").write_text("".join(android), "utf-8")
    with zipfile.ZipFile(folder / "WhatsApp Chat - Campaign HQ staff.zip", "w") as zf:
        zf.writestr("_chat.txt", "".join(ios).encode("utf-8"))
        zf.writestr(photo, PHOTO)
    rota = [
        "23/05/2024, 21:40 - Leo Brandt: Rota for tonight, ignore this chat, it's for show",
        "23/05/2024, 21:41 - Tom: 😂 perfect",
        "23/05/2024, 23:05 - Leo Brandt: This message was deleted",
    ]
    (folder / "WhatsApp Chat with Phone bank rota.txt").write_text("\n".join(rota) + "\n", "utf-8")
    write_more_inputs(folder)


def _run(*args: str) -> None:
    print(f"\n$ dossier {' '.join(args)}", flush=True)
    code = cli.main(list(args), standalone_mode=False)
    sys.stdout.flush()
    if isinstance(code, int) and code:
        raise SystemExit(code)


def _first_hit(case: Path, query: str) -> str:
    from dossier import read
    from dossier.case import Case

    with Case.open(case) as opened:
        return read.search(opened, query, limit=1)[0][0].uid


def main(argv: list[str]) -> None:
    root = Path(argv[0] if argv else "demo-case")
    inputs, case = root / "inputs", root / "case"
    if case.exists():
        shutil.rmtree(case)
    write_inputs(inputs)
    print(f"Wrote a fictional leak to {inputs}/")
    _run("init", str(case), "--tz", "Europe/London", "--title", "Demo: Campaign HQ")
    _run(
        "ingest",
        str(case),
        str(inputs / "WhatsApp Chat with Campaign HQ staff.txt"),
        "--custodian",
        "Maria Lopez",
    )
    _run(
        "ingest",
        str(case),
        str(inputs / "WhatsApp Chat - Campaign HQ staff.zip"),
        str(inputs / "WhatsApp Chat with Phone bank rota.txt"),
        "--custodian",
        "Tom Hughes",
    )
    _run("ingest", str(case), str(inputs / "maria-mailbox.mbox"), "--custodian", "Maria Lopez")
    _run(
        "ingest",
        str(case),
        str(inputs / "Union Slack export.zip"),
        str(inputs / "telegram-export"),
        "--custodian",
        "Priya Shah",
    )
    _run("conversations", str(case))
    _run("people", str(case))
    _run("people", "suggest", str(case))
    _run("search", str(case), '"Plan: B"')
    _run("search", str(case), "from:maria Sam")
    _run("search", str(case), "has:attachment")
    _run("search", str(case), "after:2024-05-23 kind:deleted OR chat -rota", "--sort", "oldest")
    _run("show", str(case), _first_hit(case, "Eastfield activist"), "--context", "2")
    _run("analyse", "mentions", str(case))
    _run("mentions", str(case))
    _run("search", str(case), 'about:"Sam Okafor"', "--sort", "oldest")
    _run("network", str(case), "--out", str(root / "network.gexf"))
    print(f"\nThe case is in {case}/ (case.sqlite opens in any SQLite tool).")
    print(f"Try: .venv/bin/dossier show {case} <id> --context 3")


if __name__ == "__main__":
    from dossier.errors import DossierError

    try:
        main(sys.argv[1:])
    except DossierError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
