"""What the benchmark scripts share: memory readings and a description of the machine."""

from __future__ import annotations

import os
import platform
import resource
import sqlite3
import threading
from collections.abc import Iterable
from importlib import metadata
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
