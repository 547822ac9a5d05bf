"""CPU of one round trip between two processes on different cores, against one within a process:
a socket pair, the other end in a child process pinned to the other core (``os.fork``), ROUNDS
round trips of 50 bytes each way; CPU is this process's user + system time (docs/benchmarks.md,
"Whole platform": why gathering round trips between services pays on this machine).

    .venv/bin/python bench/platform/roundtrip.py [ROUNDS]
"""

from __future__ import annotations

import os
import resource
import socket
import sys
import time


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("needs two cores")
    first, second = sorted(os.sched_getaffinity(0))[:2]
    ours, theirs = socket.socketpair()
    child = os.fork()
    if child == 0:
        os.sched_setaffinity(0, {second})
        for _ in range(rounds):
            theirs.send(theirs.recv(100))
        os._exit(0)
    os.sched_setaffinity(0, {first})
    wall, spent = time.perf_counter(), cpu()
    for _ in range(rounds):
        ours.send(b"x" * 50)
        ours.recv(100)
    wall, spent = time.perf_counter() - wall, cpu() - spent
    os.waitpid(child, 0)
    near, other = socket.socketpair()
    alone = cpu()
    for _ in range(rounds):
        near.send(b"x" * 50)
        other.recv(100)
    alone = cpu() - alone
    print(
        f"between two processes: {wall / rounds * 1e6:.1f} µs a round trip, "
        f"{spent / rounds * 1e6:.1f} µs of this side's CPU; "
        f"within one process: {alone / rounds * 1e6:.2f} µs of CPU"
    )


if __name__ == "__main__":
    main()
