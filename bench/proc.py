"""What the benchmarks read about a process from ``/proc``, and how fast the machine runs Python."""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


# A ``stat`` file's fields after the command name: utime and stime, then cutime and cstime (the
# children the process has waited for).
OWN = (11, 12)
WITH_CHILDREN = (11, 12, 13, 14)


def _stat_seconds(stat: Path, fields: tuple[int, ...] = OWN) -> float:
    """CPU in seconds from a ``/proc`` ``stat`` file (a process's or a thread's), the sum of
    ``fields``: user + system by default."""
    values = stat.read_text().rsplit(")", 1)[1].split()
    return sum(int(values[i]) for i in fields) / TICKS


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far, in seconds, with that of the children it has
    forked and waited for (``FileNotFoundError`` once it is gone). Redis writes its snapshots and
    rewrites its append-only file in a child it forks, each a copy of the whole dataset: that work
    is Redis's, and the machine's, although no process of the platform's pid files does it."""
    return _stat_seconds(Path(f"/proc/{pid}/stat"), WITH_CHILDREN)


def sleeps(pid: int) -> int:
    """How many times the threads of process ``pid`` now running have gone to sleep waiting (their
    voluntary context switches, ``/proc/<pid>/task/*/status``; ``FileNotFoundError`` once it is
    gone). Each sleep is later a wake-up: on a machine where a wake-up is a costly switch between
    processes, their count per notification says where batching would save CPU."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in status.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                total += int(line.split()[1])
                break
    return total


def jit_seconds(pid: int) -> float:
    """User + system CPU so far of the JVM ``pid``'s JIT compiler threads (named ``C1
    CompilerThread…`` and ``C2 CompilerThread…``; ``FileNotFoundError`` once it is gone): the part
    of a JVM's CPU that is warming up rather than working, which falls away once its hot code is
    compiled."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().startswith(("C1 CompilerThre", "C2 CompilerThre")):
                total += _stat_seconds(task / "stat")
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def machine_probe_ms(passes: int = 3) -> float:
    """CPU milliseconds the calling thread takes for a fixed piece of pure-Python work, the best of
    ``passes``: how fast the machine runs Python at the moment (lower is faster). On a virtual
    machine whose host is shared, the same work has taken from under 300 to over 500 ms within
    ten minutes, and every process's CPU per operation moves with it; a figure taken beside each
    measurement says which runs can be compared. Measure while the platform is idle: under load it
    also counts the platform's own contention for the cores."""
    best = float("inf")
    for _ in range(passes):
        started = time.thread_time()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        best = min(best, time.thread_time() - started)
    return round(best * 1000, 1)
