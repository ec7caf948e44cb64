"""What the benchmark scripts share: memory readings and a description of the machine."""

from __future__ import annotations

import json
import os
import platform
import resource
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any


def rss_mb() -> float:
    """This process's own high-water RSS (VmHWM: the memory map since exec)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample_tree_rss(pid: int, done: threading.Event, peak: list[float]) -> None:
    """Sum of RSS over a process and its children, every 50 ms (workers run side by side)."""
    try:
        import psutil
    except ImportError:
        return
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not done.wait(0.05):
        try:
            total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            continue
        peak[0] = max(peak[0], total / 1024**2)


def machine(packages: Iterable[str]) -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as fh:
        mem_kb = int(fh.readline().split()[1])
    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024**2, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "packages": versions,
            "load_avg_at_start": os.getloadavg()}


def run_measured(
    name: str, cmd: list[str], env: dict[str, str], timeout: float, result_file: Path,
    stderr_file: Path,
) -> dict[str, Any]:
    """Run one contender in a fresh process and measure it.

    Its own peak RSS comes from wait4 (ru_maxrss: the largest single process, the child or a
    worker it waited for); the sum over it and its workers is sampled. Linux folds the
    parent's high-water RSS into a child's at exec, so the parent must stay small: it never
    holds the input in memory. The child writes its figures as JSON into ``result_file``.
    """
    result_file.unlink(missing_ok=True)
    timed_out = threading.Event()
    start = time.perf_counter()
    with open(stderr_file, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env,
                                start_new_session=True)

        def kill() -> None:
            timed_out.set()
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        done, tree_peak = threading.Event(), [0.0]
        sampler = threading.Thread(target=sample_tree_rss, args=(proc.pid, done, tree_peak))
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        done.set()
        sampler.join()
        returncode = os.waitstatus_to_exitcode(status)
    row: dict[str, Any] = {"name": name, "wall_seconds": time.perf_counter() - start,
                           "peak_rss_mb": usage.ru_maxrss / 1024,
                           "peak_tree_rss_sampled_mb": tree_peak[0],
                           "cpu_seconds": usage.ru_utime + usage.ru_stime}
    if timed_out.is_set():
        row["status"] = f"timeout after {timeout:.0f} s"
    elif returncode != 0 or not result_file.exists():
        tail = stderr_file.read_text(errors="replace").strip().splitlines()
        row["status"] = f"crashed (exit {returncode}): " + (tail[-1] if tail else "")
    else:
        row.update(json.loads(result_file.read_text(encoding="utf-8")), status="ok")
    return row
