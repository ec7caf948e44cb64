"""Outlook ``.pst`` and ``.ost`` mailboxes, read with libpff (``pypff``).

Every folder is walked; every item (mail, but also appointments, contacts, distribution lists,
free/busy data ...) becomes one ``EmailRecord`` with ``parsed`` set, its folder path in
``folder`` ("Top of Personal Folders/Inbox/Sub") and ``"<folder>#<node id>"`` in ``item``. The
node id is the item's identifier inside the file, so it is the same on every run. The message
class is in ``extra["message_class"]``. Teams chat messages kept in the mailbox (message
class ``IPM.SkypeTeams.*``) are not emails: they come out as chat ``MessageRecord`` objects of
the platform ``chat_platform`` (see ``dossier.formats.outlook.teams``). A folder or item libpff
cannot read becomes a ``ParseIssue`` and the walk goes on. libpff reads through the stream it
is given, so the file is never held in memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO, Literal

import pypff

from dossier.email.model import Address, Part
from dossier.formats.base import ParseOptions
from dossier.formats.outlook.build import Mapi, build
from dossier.formats.outlook.teams import TeamsItem, is_teams_class, teams_record
from dossier.formats.outlook.text import guess_type
from dossier.model import EmailRecord, MessageRecord, ParseIssue, ParseRecord, SourceFact

PST_MAGIC = b"!BDN"
_CONTENT_TYPES = {b"SM": "pst", b"SO": "ost"}

# MAPI property tags (without their type) read from an item's record set.
PR_MESSAGE_CLASS = 0x001A
PR_SUBJECT = 0x0037
PR_CONVERSATION_TOPIC = 0x0070
PR_CONVERSATION_ID = 0x3013
PR_SENDER_NAME = 0x0C1A
PR_SENDER_EMAIL = 0x0C1F
PR_SENDER_SMTP = 0x5D01
PR_SENT_REPRESENTING_NAME = 0x0042
PR_SENT_REPRESENTING_EMAIL = 0x0065
PR_INTERNET_MESSAGE_ID = 0x1035
PR_IN_REPLY_TO = 0x1042
PR_REFERENCES = 0x1039
PR_MESSAGE_CODEPAGE = 0x3FFD
PR_DISPLAY_NAME = 0x3001
PR_EMAIL_ADDRESS = 0x3003
PR_SMTP_ADDRESS = 0x39FE
PR_RECIPIENT_TYPE = 0x0C15
PR_ATTACH_METHOD = 0x3705
PR_ATTACH_FILENAME = 0x3704
PR_ATTACH_LONG_FILENAME = 0x3707
PR_ATTACH_MIME_TAG = 0x370E
PR_ATTACH_CONTENT_ID = 0x3712
PR_PST_PASSWORD = 0x67FF
ATTACH_EMBEDDED_MSG = 5
_ENCRYPTION = {0: "none", 1: "compressible", 2: "high"}


class PstFormat:
    name = "pst"
    platform = "email"
    # Teams chats kept in a mailbox come out as chat messages of this platform.
    chat_platform = "teams"
    companion_names: frozenset[str] = frozenset()
    reports_progress = True  # through ParseOptions.progress, in items

    def sniff(self, head: bytes, filename: str) -> float:
        if not head.startswith(PST_MAGIC):
            return 0.0
        return 0.95 if head[8:10] in _CONTENT_TYPES else 0.5

    def parse(
        self, stream: BinaryIO, filename: str, options: ParseOptions
    ) -> Iterator[ParseRecord]:
        size = _size(stream)
        pst = pypff.file()
        try:
            pst.open_file_object(stream)
            root = pst.get_root_folder()
        except Exception as exc:
            yield _issue(
                f"{filename}: not a readable Outlook .pst/.ost ({_why(exc)}); the file may be "
                "truncated or damaged: check its size against the original",
                "",
                severity="error",
            )
            return
        try:
            yield from _facts(pst)
            count = _Counted(options.progress, _item_count(pst, root))
            yield from count.each(_walk(root, "", size))
            yield from count.each(_orphans(pst, size))
        finally:
            pst.close()


class _Counted:
    """Tells ``progress`` how many of the file's items have been read (reading a big .pst
    takes many minutes, and its records cannot say where they sit in the file)."""

    def __init__(self, progress: Callable[[int, int], None] | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def each(self, records: Iterator[ParseRecord]) -> Iterator[ParseRecord]:
        for record in records:
            yield record
            if self.progress is not None and isinstance(record, EmailRecord | MessageRecord):
                self.done += 1
                if self.done % _PROGRESS_EVERY == 0 or self.done == self.total:
                    self.progress(min(self.done, self.total), self.total)


def _item_count(pst: Any, root: Any) -> int:
    """How many items the folders (and the orphans) hold, from the folders alone (quick)."""
    total = 0
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            total += folder.get_number_of_sub_messages()
            folders.extend(
                folder.get_sub_folder(n) for n in range(folder.get_number_of_sub_folders())
            )
        except Exception:  # the walk reports the folder; the count is only a guide
            continue
    with contextlib.suppress(Exception):  # (as above)
        total += pst.get_number_of_orphan_items()
    return max(total, 1)


_PROGRESS_EVERY = 25  # items between two reports of how far the read is

# The folder path given to items libpff finds outside the folder tree: left behind by deleted
# folders or a damaged index, often exactly what someone tried to remove.
ORPHAN_FOLDER = "(orphan items: in no folder)"


def _orphans(pst: Any, size: int) -> Iterator[ParseRecord]:
    try:
        count = pst.get_number_of_orphan_items()
    except Exception as exc:
        yield _issue(f"orphan items unreadable ({_why(exc)})", ORPHAN_FOLDER)
        return
    yield SourceFact("pst_orphan_items", str(count))
    for index in range(count):
        where = f"{ORPHAN_FOLDER} item {index + 1}"
        try:
            records = _item_records(pst.get_orphan_item(index), ORPHAN_FOLDER, size)
        except Exception as exc:
            yield _issue(f"{where}: unreadable ({_why(exc)})", where)
            continue
        yield from records


def _size(stream: BinaryIO) -> int:
    here = stream.tell()
    size = stream.seek(0, 2)
    stream.seek(here)
    return size


def _facts(pst: Any) -> Iterator[SourceFact]:
    """What the file says about itself: pst or ost, encryption, the password flag."""
    try:
        encryption = pst.get_encryption_type()
        yield SourceFact("pst_encryption", _ENCRYPTION.get(encryption, str(encryption)))
        kind = pst.get_content_type()
        yield SourceFact("pst_kind", {0x70: "pst", 0x6F: "ost", 0x61: "pab"}.get(kind, str(kind)))
        store = _Props(pst.get_message_store())
        if store.integer(PR_PST_PASSWORD):
            yield SourceFact("pst_password", "set (libpff reads the items regardless)")
    except Exception:  # facts are a bonus; the walk reports real trouble
        return


def _address(name: str, addr: str) -> Address:
    if name == addr:
        return Address("", addr) if "@" in addr else Address(name, "")
    return Address(name, addr)


def _subject(value: str) -> str:
    """PR_SUBJECT as stored in a PST may start with 0x01 and the length of its "Re: " prefix."""
    return value[2:] if value.startswith("\x01") else value


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]


def _issue(reason: str, raw: str, severity: str = "warning") -> ParseIssue:
    level: Literal["warning", "error"] = "error" if severity == "error" else "warning"
    return ParseIssue(reason=reason, raw=raw, severity=level)


def _walk(folder: Any, path: str, size: int) -> Iterator[ParseRecord]:
    try:
        count = folder.get_number_of_sub_messages()
    except Exception as exc:
        yield _issue(f"folder {path or '/'}: items unreadable ({_why(exc)})", path)
        count = 0
    for index in range(count):
        where = f"{path or '/'} item {index + 1}"
        try:
            item = folder.get_sub_message(index)
            records = _item_records(item, path, size)
        except Exception as exc:
            yield _issue(f"{where}: unreadable ({_why(exc)})", where)
            continue
        yield from records
    try:
        subfolders = folder.get_number_of_sub_folders()
    except Exception as exc:
        yield _issue(f"folder {path or '/'}: subfolders unreadable ({_why(exc)})", path)
        return
    for index in range(subfolders):
        try:
            sub = folder.get_sub_folder(index)
            name = sub.get_name() or f"(folder {sub.get_identifier()})"
        except Exception as exc:
            where = f"folder {path or '/'}: subfolder {index + 1}"
            yield _issue(f"{where} unreadable ({_why(exc)})", path)
            continue
        yield from _walk(sub, f"{path}/{name}" if path else name, size)


class _Props:
    """Typed reads of one item's first record set (the item's own properties)."""

    def __init__(self, item: Any) -> None:
        try:
            self.record = item.get_record_set(0) if item.get_number_of_record_sets() else None
        except Exception:
            self.record = None

    def entry(self, tag: int) -> Any:
        if self.record is None:
            return None
        try:
            return self.record.get_entry_by_type(tag)
        except Exception:
            return None

    def text(self, tag: int) -> str:
        entry = self.entry(tag)
        try:
            value = entry.get_data_as_string() if entry is not None else None
        except Exception:
            return ""
        return value.strip("\x00") if isinstance(value, str) else ""

    def integer(self, tag: int) -> int | None:
        entry = self.entry(tag)
        try:
            value = entry.get_data_as_integer() if entry is not None else None
        except Exception:
            return None
        return value if isinstance(value, int) else None


def _decode(data: bytes | None, codepage: int | None) -> str:
    if not data:
        return ""
    try:
        return data.decode("utf-8").rstrip("\x00")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(f"cp{codepage or 1252}", errors="replace").rstrip("\x00")
    except LookupError:
        return data.decode("cp1252", errors="replace").rstrip("\x00")


def _call(item: Any, method: str, mapi: Mapi) -> Any:
    """An item getter, or None (with an issue) when libpff cannot answer."""
    getter = getattr(item, method, None)
    if getter is None:
        return None
    try:
        return getter()
    except Exception as exc:
        mapi.issues.append(f"{method[4:].replace('_', ' ')} unreadable: {_why(exc)}")
        return None


def _item_records(item: Any, folder: str, size: int) -> list[ParseRecord]:
    """An email, or a Teams chat message (with what could not be read of it)."""
    props = _Props(item)
    message_class = props.text(PR_MESSAGE_CLASS)
    if not is_teams_class(message_class):
        return [_record(item, props, message_class, folder, size)]
    mapi = Mapi()  # collects what libpff could not read
    teams = _teams_item(item, props, folder, message_class, mapi)
    where = f"{folder or '/'}#{teams.node_id}"
    return [teams_record(teams), *(_issue(f"{where}: {text}", where) for text in mapi.issues)]


def _record(item: Any, props: _Props, message_class: str, folder: str, size: int) -> EmailRecord:
    mapi = Mapi(subject=_subject(props.text(PR_SUBJECT)))
    mapi.extra["message_class"] = message_class
    mapi.extra["pst_folder"] = folder
    name = props.text(PR_SENDER_NAME) or props.text(PR_SENT_REPRESENTING_NAME)
    addr = (
        props.text(PR_SENDER_SMTP)
        or props.text(PR_SENDER_EMAIL)
        or props.text(PR_SENT_REPRESENTING_EMAIL)
    )
    if name or addr:
        mapi.sender = _address(name, addr)
    mapi.message_id = props.text(PR_INTERNET_MESSAGE_ID)
    mapi.in_reply_to = props.text(PR_IN_REPLY_TO)
    mapi.references = props.text(PR_REFERENCES)
    _dates(item, mapi)
    codepage = props.integer(PR_MESSAGE_CODEPAGE)
    mapi.text = _decode(_call(item, "get_plain_text_body", mapi), codepage)
    html = _call(item, "get_html_body", mapi)
    mapi.html = _decode(html, codepage) if html else None
    if not mapi.text and not mapi.html:
        rtf = _call(item, "get_rtf_body", mapi)
        mapi.rtf = rtf if isinstance(rtf, bytes) and rtf else None
        if mapi.rtf:
            mapi.extra["body_source"] = "rtf"
    _recipients(item, mapi)
    _attachments(item, mapi)
    headers = _call(item, "get_transport_headers", mapi)
    identifier = item.get_identifier()
    return EmailRecord(
        raw=None,
        folder=folder,
        byte_start=0,
        byte_end=size,
        item=f"{folder}#{identifier}",
        parsed=build(headers if isinstance(headers, str) else "", mapi),
    )


def _teams_item(item: Any, props: _Props, folder: str, message_class: str, mapi: Mapi) -> TeamsItem:
    """The values a Teams chat record needs, read from a libpff item."""
    _dates(item, mapi)
    codepage = props.integer(PR_MESSAGE_CODEPAGE)
    html = _call(item, "get_html_body", mapi)
    conversation = props.entry(PR_CONVERSATION_ID)
    try:
        conversation_id = conversation.get_data().hex() if conversation is not None else ""
    except Exception:
        conversation_id = ""
    return TeamsItem(
        message_class=message_class,
        folder=folder,
        node_id=item.get_identifier(),
        sender_name=props.text(PR_SENDER_NAME) or props.text(PR_SENT_REPRESENTING_NAME),
        sender_address=props.text(PR_SENDER_SMTP)
        or props.text(PR_SENDER_EMAIL)
        or props.text(PR_SENT_REPRESENTING_EMAIL),
        sent=mapi.sent,
        sent_property=mapi.sent_property,
        text=_decode(_call(item, "get_plain_text_body", mapi), codepage),
        html=_decode(html, codepage) if html else "",
        topic=props.text(PR_CONVERSATION_TOPIC),
        subject=_subject(props.text(PR_SUBJECT)),
        conversation_id=conversation_id,
        message_id=props.text(PR_INTERNET_MESSAGE_ID),
        attachments=_attachment_names(item, mapi),
    )


def _attachment_names(item: Any, mapi: Mapi) -> tuple[str, ...]:
    names = []
    for index in range(_call(item, "get_number_of_attachments", mapi) or 0):
        try:
            props = _Props(item.get_attachment(index))
        except Exception as exc:
            mapi.issues.append(f"attachment {index + 1} unreadable: {_why(exc)}")
            continue
        name = props.text(PR_ATTACH_LONG_FILENAME) or props.text(PR_ATTACH_FILENAME)
        names.append(name or props.text(PR_DISPLAY_NAME) or f"attachment-{index + 1}")
    return tuple(names)


def _dates(item: Any, mapi: Mapi) -> None:
    for method, prop in (
        ("get_client_submit_time", "PR_CLIENT_SUBMIT_TIME"),
        ("get_delivery_time", "PR_MESSAGE_DELIVERY_TIME"),
        ("get_creation_time", "PR_CREATION_TIME"),
    ):
        value = _call(item, method, mapi)
        if isinstance(value, datetime) and value.year > 1601:
            mapi.sent = value if value.tzinfo else value.replace(tzinfo=UTC)  # FILETIME is UTC
            mapi.sent_property = prop
            return


def _recipients(item: Any, mapi: Mapi) -> None:
    kinds: dict[int, list[Address]] = {1: [], 2: [], 3: []}
    try:
        table = getattr(item, "recipients", None)  # pypff has no getter for it
        if table is None:
            return
        rows = [table.get_record_set(i) for i in range(table.get_number_of_record_sets())]
    except Exception as exc:
        mapi.issues.append(f"recipients unreadable: {_why(exc)}")
        return
    for row in rows:
        props = _Props.__new__(_Props)
        props.record = row
        name = props.text(PR_DISPLAY_NAME)
        addr = props.text(PR_SMTP_ADDRESS) or props.text(PR_EMAIL_ADDRESS)
        kind = props.integer(PR_RECIPIENT_TYPE) or 1
        kinds.setdefault(kind, []).append(_address(name, addr))
    mapi.to, mapi.cc, mapi.bcc = tuple(kinds[1]), tuple(kinds[2]), tuple(kinds[3])


def _attachments(item: Any, mapi: Mapi) -> None:
    count = _call(item, "get_number_of_attachments", mapi) or 0
    for index in range(count):
        try:
            attachment = item.get_attachment(index)
            _attachment(attachment, index + 1, mapi)
        except Exception as exc:
            mapi.issues.append(f"attachment {index + 1} unreadable: {_why(exc)}")


def _attachment(attachment: Any, number: int, mapi: Mapi) -> None:
    props = _Props(attachment)
    name = (
        props.text(PR_ATTACH_LONG_FILENAME)
        or props.text(PR_ATTACH_FILENAME)
        or props.text(PR_DISPLAY_NAME)
    )
    if props.integer(PR_ATTACH_METHOD) == ATTACH_EMBEDDED_MSG:
        mapi.issues.append(
            f"attachment {number} ({name or 'unnamed'}): an embedded Outlook item, not "
            "extracted (the .pst reader cannot open items inside items); to read it, save it "
            "from Outlook as a .msg file and ingest that"
        )
        return
    length = attachment.get_size()
    data = attachment.read_buffer(length) if length else b""
    content_type = props.text(PR_ATTACH_MIME_TAG) or guess_type(name)
    content_id = props.text(PR_ATTACH_CONTENT_ID) or None
    if content_type == "message/rfc822":
        mapi.nested.append(data)
        return
    mapi.parts.append(Part(name, content_type, data, content_id=content_id))


PST = PstFormat()
