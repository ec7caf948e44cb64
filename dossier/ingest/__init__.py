"""Ingest: walk the inputs, keep the originals, parse, merge copies, store.

Every file is hashed and kept in the case before it is parsed. Each chat is stored in one
transaction, so a run that is killed leaves the case as it was before that chat; running the
same command again finishes the work (files already stored are recognised by their hash).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dossier.case import Case
from dossier.formats.base import relaxed_gc
from dossier.ingest.entries import check_paths, walk_groups, walk_paths
from dossier.ingest.files import GroupIngest, prefetch_jobs
from dossier.ingest.report import IngestSummary, NoProgress, Progress
from dossier.ingest.threading import thread_case
from dossier.timeutil import zone

__all__ = ["IngestOptions", "IngestSummary", "ingest"]


@dataclass(frozen=True)
class IngestOptions:
    custodian: str | None = None
    tz: str | None = None  # None: the case's zone
    format: str | None = None  # None: recognise from content
    date_order: str | None = None  # None: the case's setting, else decided per file
    dkim_keys: str | None = None  # a DKIM key store file: verify signed emails as they come
    # choices for a format, e.g. a CSV's column mapping {"sender": "From", ...}
    format_settings: dict[str, str] = field(default_factory=dict)


def ingest(
    case: Case,
    paths: list[Path],
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    options = options or IngestOptions()
    if options.tz:
        zone(options.tz)
    if options.format:
        from dossier.formats.registry import format_named

        format_named(options.format)
    check_paths(paths)
    if options.dkim_keys:
        from dossier.email.dkim import load_keys

        load_keys(options.dkim_keys)  # a broken key store stops the run before anything is read
    summary = IngestSummary()
    progress = progress or NoProgress()
    jobs: list[tuple[str, str]] = []  # the files workers read ahead
    files = 0
    for names in walk_paths(paths):
        files += len(names)
        jobs.extend(prefetch_jobs(names, options.format))
    progress.files(files)
    with _collecting_rarely():
        runner = GroupIngest(case, options, summary, progress)
        runner.read_ahead(jobs)
        try:
            with case.store.batch():
                for group in walk_groups(paths):
                    runner.ingest_group(group, parent_id=None, depth=0)
        finally:
            runner.stop_reading_ahead()
        # (emails an interrupted run stored are threaded too, even if this run adds none)
        if runner.emails_loaded or case.store.has_unthreaded():
            with case.store.transaction():
                summary.threads = thread_case(case.store, progress)
    case.clean_tmp()
    return summary


@contextmanager
def _collecting_rarely() -> Iterator[None]:
    """An ingest makes millions of short-lived objects and hardly any reference cycles; at
    Python's usual pace the cycle collector took about 8 % of the writer's time, much of it
    scanning, again and again, everything loaded before the run. During the run, what was
    loaded before is set aside (``gc.freeze``) and the collector runs less often."""
    ours = gc.get_freeze_count() == 0  # (a program that froze objects itself keeps them so)
    if ours:
        gc.freeze()
    try:
        with relaxed_gc():
            yield
    finally:
        if ours:
            gc.unfreeze()
