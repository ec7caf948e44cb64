"""The demo's other sources: Maria's mailbox, the party's Slack workspace and the volunteers'
Telegram group. Everyone and everything in them is invented."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

MAILBOX = """\
From m.lopez@union.example Thu May 23 08:40:00 2024
From: Maria Lopez <m.lopez@union.example>
To: James Hallam <j.hallam@union.example>
Subject: Organisers for Thursday
Date: Thu, 23 May 2024 08:40:00 +0100
Message-ID: <organisers-1@union.example>

James,

The two spare organisers go to your wards, not Eastfield. Keep it off the group chat.

Maria

From j.hallam@union.example Thu May 23 09:02:00 2024
From: James Hallam <j.hallam@union.example>
To: Maria Lopez <m.lopez@union.example>
Subject: Re: Organisers for Thursday
Date: Thu, 23 May 2024 09:02:00 +0100
Message-ID: <organisers-2@union.example>
In-Reply-To: <organisers-1@union.example>
References: <organisers-1@union.example>

Thanks. Leo Brandt will ask why; tell him the numbers decided it.

> The two spare organisers go to your wards, not Eastfield.
"""

SLACK_USERS = [
    {
        "id": "U01MARIA",
        "name": "maria",
        "real_name": "Maria Lopez",
        "profile": {"real_name": "Maria Lopez", "display_name": "Maria"},
    },
    {
        "id": "U02PRIYA",
        "name": "priya",
        "real_name": "Priya Shah",
        "profile": {"real_name": "Priya Shah", "display_name": "Priya"},
    },
]
SLACK_CHANNELS = [{"id": "C01ORG", "name": "organisers", "members": ["U01MARIA", "U02PRIYA"]}]
SLACK_DAY = [
    {
        "type": "message",
        "user": "U02PRIYA",
        "ts": "1716454800.000100",
        "text": "<@U01MARIA> where are the Eastfield organisers going?",
    },
    {
        "type": "message",
        "user": "U01MARIA",
        "ts": "1716455100.000200",
        "thread_ts": "1716454800.000100",
        "parent_user_id": "U02PRIYA",
        "text": "Hallam's wards. Numbers decided it.",
        "reactions": [{"name": "eyes", "users": ["U02PRIYA"], "count": 1}],
    },
]

TELEGRAM = {
    "name": "Eastfield volunteers",
    "type": "public_supergroup",
    "id": 1987654321,
    "messages": [
        {
            "id": 11,
            "type": "message",
            "date": "2024-05-23T20:10:00",
            "date_unixtime": "1716491400",
            "from": "Sam Okafor",
            "from_id": "user5550101",
            "text": "We knocked on 900 doors in Eastfield. Where were the organisers?",
        },
        {
            "id": 12,
            "type": "message",
            "date": "2024-05-23T20:12:00",
            "date_unixtime": "1716491520",
            "from": "Priya Shah",
            "from_id": "user5550202",
            "reply_to_message_id": 11,
            "text": ["Moved to Hallam's wards, ", {"type": "bold", "text": "not my call"}, "."],
        },
    ],
}


def write_more_inputs(folder: Path) -> None:
    (folder / "maria-mailbox.mbox").write_text(MAILBOX, "utf-8")
    with zipfile.ZipFile(folder / "Union Slack export.zip", "w") as zf:
        zf.writestr("users.json", json.dumps(SLACK_USERS, indent=1))
        zf.writestr("channels.json", json.dumps(SLACK_CHANNELS, indent=1))
        zf.writestr("organisers/2024-05-23.json", json.dumps(SLACK_DAY, indent=1))
    telegram = folder / "telegram-export"
    telegram.mkdir(exist_ok=True)
    (telegram / "result.json").write_text(
        json.dumps(TELEGRAM, indent=1, ensure_ascii=False), "utf-8"
    )
