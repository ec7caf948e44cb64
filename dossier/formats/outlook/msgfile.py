"""Reading an Outlook ``.msg`` item with extract-msg (imported only when a .msg is read:
the library takes a tenth of a second to import, which every command would otherwise pay)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import extract_msg
from extract_msg.enums import AttachmentType, ErrorBehavior, RecipientType
from extract_msg.msg_classes import MessageBase, MSGFile

from dossier.email.model import Address, Part
from dossier.formats.outlook.build import Mapi, build
from dossier.formats.outlook.text import guess_type
from dossier.formats.outlook_msg import OUTLOOK_CONTENT_TYPE
from dossier.model import EmailRecord, ParseIssue, ParseRecord

# Where the sending time can come from, best first.
_DATE_PROPERTIES = (
    ("00390040", "PR_CLIENT_SUBMIT_TIME"),
    ("0E060040", "PR_MESSAGE_DELIVERY_TIME"),
    ("30070040", "PR_CREATION_TIME"),
)

# extract-msg logs every oddity at WARNING or above; problems come back as issues instead.
logging.getLogger("extract_msg").setLevel(logging.CRITICAL + 1)


def _string(msg: MSGFile, prop: str) -> str:
    try:
        value = msg.getStringStream(f"__substg1.0_{prop}")
    except Exception:
        return ""
    return value.strip("\x00") if isinstance(value, str) else ""


def _sent(msg: MSGFile) -> tuple[datetime | None, str]:
    for prop, name in _DATE_PROPERTIES:
        try:
            value = msg.getPropertyVal(prop)
        except Exception:
            continue
        if isinstance(value, datetime) and value.tzinfo is not None and value.year > 1601:
            return value, name
    return None, ""


def _recipients(msg: MSGFile, mapi: Mapi) -> None:
    if not isinstance(msg, MessageBase):
        return
    kinds: dict[int, list[Address]] = {1: [], 2: [], 3: []}
    for recipient in msg.recipients:
        name, addr = recipient.name or "", recipient.email or ""
        kind = int(recipient.type) if recipient.type is not None else 1
        kinds.setdefault(kind, []).append(Address(name if name != addr else "", addr))
    mapi.to = tuple(kinds[int(RecipientType.TO)])
    mapi.cc = tuple(kinds[int(RecipientType.CC)])
    mapi.bcc = tuple(kinds[int(RecipientType.BCC)])


def _looks_rfc822(data: bytes) -> bool:
    head = data[:2048].lstrip()
    return b":" in head.split(b"\n", 1)[0] and b"\n\n" in data[:65536].replace(b"\r\n", b"\n")


def _attachment(att: Any, mapi: Mapi, index: int) -> None:
    name = str(att.getFilename() if hasattr(att, "getFilename") else "") or ""
    name = str(getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or name)
    if att.type == AttachmentType.MSG:
        try:
            raw = att.data.exportBytes()
        except Exception as exc:
            mapi.issues.append(f"attachment {index} ({name}): embedded message unreadable: {exc}")
            return
        mapi.parts.append(Part(filename=name, content_type=OUTLOOK_CONTENT_TYPE, payload=raw))
        return
    data = att.data
    if not isinstance(data, bytes):
        kind = getattr(att.type, "name", str(att.type))
        mapi.issues.append(f"attachment {index} ({name}): {kind} attachment without data")
        return
    content_type = str(getattr(att, "mimetype", None) or "") or guess_type(name)
    if content_type == "message/rfc822" or (name.lower().endswith(".eml") and _looks_rfc822(data)):
        mapi.nested.append(data)
        return
    content_id = getattr(att, "contentId", None) or None
    inline = bool(getattr(att, "hidden", False)) and content_id is not None
    mapi.parts.append(
        Part(name, content_type, data, inline=inline, content_id=content_id and str(content_id))
    )


def _body(msg: MSGFile, mapi: Mapi) -> None:
    if not isinstance(msg, MessageBase):
        mapi.text = _string(msg, "1000")
        return
    for label, read in (("plain", lambda: msg.body), ("HTML", lambda: msg.htmlBody)):
        try:
            value = read()
        except Exception as exc:
            mapi.issues.append(f"{label} body unreadable: {type(exc).__name__}: {exc}")
            continue
        if label == "plain" and isinstance(value, str):
            mapi.text = value
        elif isinstance(value, bytes):
            mapi.html = value.decode("utf-8", errors="replace")
    if not mapi.text and not mapi.html:
        try:
            rtf = msg.rtfBody
        except Exception:
            rtf = None
        mapi.rtf = rtf if isinstance(rtf, bytes) else None


def read_msg(msg: MSGFile) -> tuple[str, Mapi]:
    """The transport headers and the MAPI facts of an open .msg item."""
    mapi = Mapi(subject=_string(msg, "0037"))
    message_class = msg.classType or ""
    mapi.extra["message_class"] = message_class
    if message_class.lower().startswith("ipm.skypeteams"):
        mapi.extra["teams"] = "true"
    sender_name = _string(msg, "0C1A") or _string(msg, "0042")
    sender_addr = _string(msg, "5D01") or _string(msg, "0C1F") or _string(msg, "0065")
    if sender_name or sender_addr:
        mapi.sender = Address(sender_name if sender_name != sender_addr else "", sender_addr)
    mapi.sent, mapi.sent_property = _sent(msg)
    mapi.message_id = _string(msg, "1035")
    mapi.in_reply_to = _string(msg, "1042")
    mapi.references = _string(msg, "1039")
    for step in (_recipients, _body):
        try:
            step(msg, mapi)
        except Exception as exc:
            mapi.issues.append(f"{step.__name__[1:]} unreadable: {type(exc).__name__}: {exc}")
    try:
        attachments = list(msg.attachments)
    except Exception as exc:
        mapi.issues.append(f"attachments unreadable: {type(exc).__name__}: {exc}")
        attachments = []
    for index, att in enumerate(attachments, 1):
        try:
            _attachment(att, mapi, index)
        except Exception as exc:
            mapi.issues.append(f"attachment {index} unreadable: {type(exc).__name__}: {exc}")
    return _string(msg, "007D"), mapi


def read_file(data: bytes, filename: str) -> Iterator[ParseRecord]:
    """The one item of a .msg file as an EmailRecord (or a ParseIssue if it cannot be read)."""
    try:
        msg = extract_msg.openMsg(
            data, strict=False, delayAttachments=False, errorBehavior=ErrorBehavior.SUPPRESS_ALL
        )
    except Exception as exc:
        yield ParseIssue(
            reason=f"{filename}: not a readable Outlook .msg ({type(exc).__name__}: {exc}); "
            "check that the file is complete",
            raw=data[:200].decode("latin-1"),
            byte_start=0,
            severity="error",
        )
        return
    try:
        headers_raw, mapi = read_msg(msg)
    finally:
        msg.close()
    yield EmailRecord(
        raw=None,
        folder="",
        byte_start=0,
        byte_end=len(data),
        item=None,
        parsed=build(headers_raw, mapi),
    )
