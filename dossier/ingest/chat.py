"""Store one chat export: rows from ``rows.py``, written in the caller's transaction.

A big export is parsed in a worker process while this process writes, so both cores work:
parsing is Python, writing is mostly SQLite. Small exports are parsed in-process, where
starting a worker would cost more than it saves. Either way a source is stored whole or not
at all, because every write happens here, inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import BinaryIO

from dossier.errors import UnreadableInput
from dossier.formats.base import MessageFormat, ParseOptions, relaxed_gc
from dossier.ingest.rows import Batch, RowPlan, batches
from dossier.people.phones import REGION_META
from dossier.store.sqlite import SqliteStore
from dossier.timeutil import now_iso

# Exports smaller than this are parsed in-process.
WORKER_MIN_BYTES = 4 * 1024 * 1024


@dataclass
class ChatContext:
    source_id: int
    source_sha: str
    identity_context: str  # whose phone: the custodian, or the export's hash
    tz: str
    attachment_sources: dict[str, int]  # file name -> source id, for files beside the chat
    options: ParseOptions


@dataclass
class ChatResult:
    messages: int = 0
    issues: int = 0
    conversations: dict[str, int] = field(default_factory=dict)  # title -> id
    # conversations the platform names by its own id: copies are found by message id, not
    # by aligning texts
    keyed: set[int] = field(default_factory=set)
    facts: dict[str, str] = field(default_factory=dict)
    first_id: int = 0


def conversation_uid(source_sha: str, title: str) -> str:
    digest = hashlib.blake2b(f"{source_sha}:{title}".encode(), digest_size=6).hexdigest()
    return "c" + digest


def keyed_conversation_uid(platform: str, key: str) -> str:
    """A chat the platform names by its own id is one conversation whichever file it is read
    from (a Slack channel's day files, two people's exports of one Telegram group)."""
    digest = hashlib.blake2b(f"{platform}#{key}".encode(), digest_size=6).hexdigest()
    return "c" + digest


def load_chat(
    store: SqliteStore,
    fmt: MessageFormat,
    opener: Callable[[], BinaryIO],
    size: int,
    filename: str,
    ctx: ChatContext,
    on_bytes: Callable[[int], None] | None = None,
) -> ChatResult:
    """Parse the stream ``opener`` gives with ``fmt`` and store everything it yields."""
    first_id = store.max_message_id() + 1
    plan = RowPlan(
        source_id=ctx.source_id,
        source_sha=ctx.source_sha,
        tz=ctx.tz,
        first_id=first_id,
        attachment_sources=ctx.attachment_sources,
        options=ctx.options,
        platform=fmt.platform,
        phone_region=store.get_meta(REGION_META),
    )
    writer = _Writer(store, fmt.platform, ctx, first_id)
    if size >= WORKER_MIN_BYTES and _can_fork():
        produced = _from_worker(fmt, opener, filename, plan)
    else:
        produced = _in_process(fmt, opener, filename, plan)
    with relaxed_gc():  # unpickled batches are millions of acyclic tuples
        for batch in produced:
            writer.write(batch)
            if on_bytes:
                on_bytes(batch.bytes_read)
    return writer.finish()


def _in_process(
    fmt: MessageFormat, opener: Callable[[], BinaryIO], filename: str, plan: RowPlan
) -> Iterator[Batch]:
    with opener() as stream:
        yield from batches(fmt, stream, filename, plan)


class _Writer:
    """Maps local sender/conversation numbers to the case's ids and writes the rows."""

    def __init__(self, store: SqliteStore, platform: str, ctx: ChatContext, first_id: int):
        self.store = store
        self.platform = platform
        self.ctx = ctx
        self.result = ChatResult(first_id=first_id)
        store.reset_local_maps()

    def write(self, batch: Batch) -> None:
        store = self.store
        for local, title, key in batch.new_conversations:
            if key is None:
                uid = conversation_uid(self.ctx.source_sha, title)
            else:
                uid = keyed_conversation_uid(self.platform, key)
            conversation_id = store.add_conversation(uid, self.platform, title, now_iso())
            self.result.conversations[title if key is None else f"{title}#{key}"] = conversation_id
            if key is not None:
                self.result.keyed.add(conversation_id)
            store.map_local("conversation", local, conversation_id)
        for local, kind, value, display in batch.new_senders:
            store.map_local("sender", local, self._identity(kind, value, display))
        if batch.messages:
            store.insert_local_messages(batch.messages)
            # Indexed batch by batch: the main process would otherwise wait for the parser.
            store.index_messages_between(batch.messages[0][0], batch.messages[-1][0])
        if batch.attachments:
            store.insert_attachments(batch.attachments)
        if batch.details:
            store.insert_details(batch.details)
        if batch.issues:
            self.result.issues += store.add_issues(self.ctx.source_id, batch.issues)
        self.result.facts.update(batch.facts)
        self.result.messages += len(batch.messages)

    def _identity(self, kind: str | None, value: str, display: str | None) -> int | None:
        store = self.store
        if kind == "phone":
            return store.identity("phone", value, "")
        if kind == "name":
            return store.identity("name", value, self.ctx.identity_context)
        if kind != "handle":
            return None
        # Named after the name it first wrote under. That name is not made an identity of its
        # own: two accounts may share a display name, and must not become one person by it.
        return store.identity("handle", value, "", display=display)

    def finish(self) -> ChatResult:
        self.store.add_facts(self.ctx.source_id, self.result.facts.items())
        return self.result


# --- the worker process ----------------------------------------------------------------------


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _from_worker(
    fmt: MessageFormat, opener: Callable[[], BinaryIO], filename: str, plan: RowPlan
) -> Iterator[Batch]:
    """Run the row builder in a forked process; yield its batches here, in order.

    Forking lets the worker inherit the format object and the opener as they are (archive
    members included) without pickling them. The pipe's buffer is the only queue, so a slow
    writer holds the worker back and memory stays bounded.
    """
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(sending, fmt, opener, filename, plan), daemon=True)
    worker.start()
    sending.close()
    try:
        while True:
            try:
                kind, payload = pickle.loads(receiving.recv_bytes())
            except EOFError:
                raise UnreadableInput(
                    f"Reading {filename} stopped unexpectedly (the parsing process ended).",
                    "run the same command again; if it recurs, report it with the file",
                ) from None
            if kind == "batch":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        receiving.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.kill()


def _work(
    sending: Connection,
    fmt: MessageFormat,
    opener: Callable[[], BinaryIO],
    filename: str,
    plan: RowPlan,
) -> None:
    try:
        with opener() as stream:
            for batch in batches(fmt, stream, filename, plan):
                sending.send_bytes(pickle.dumps(("batch", batch), pickle.HIGHEST_PROTOCOL))
        sending.send_bytes(pickle.dumps(("done", None)))
    except BaseException as exc:  # handed over to be raised in the main process
        sending.send_bytes(pickle.dumps(("error", _picklable(exc))))
    finally:
        sending.close()


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return UnreadableInput(f"{type(exc).__name__}: {exc}")
