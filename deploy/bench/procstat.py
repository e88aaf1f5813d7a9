"""What the kernel says of a process: peak resident memory and CPU time, from /proc."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def peak_rss_bytes(pid: int) -> int | None:
    """VmHWM (the peak resident set) of `pid`, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after its closing one.
    return raw[raw.rindex(")") + 2 :].split()


def own_cpu_seconds(pid: int, *, with_reaped_children: bool = False) -> float:
    """utime + stime of `pid` (fields 14 and 15 of /proc/<pid>/stat), and optionally the time of
    its children already reaped (cutime + cstime)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # fields[0] is field 3 (state): utime is field 14, at index 11.
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process visible now."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    return parents


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid`, of its reaped children and of every live descendant (PostgreSQL
    serves each connection from a child process)."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    total = 0.0
    stack = [pid]
    while stack:
        current = stack.pop()
        total += own_cpu_seconds(current, with_reaped_children=True)
        stack += children.get(current, [])
    return total
