"""``bench.proc.jit_seconds``: the CPU of a process's threads named as a JVM names its JIT compiler
threads, and of no other thread."""

from __future__ import annotations

import ctypes
import os
import threading
import time

from bench import proc

PR_SET_NAME = 15


def _spin_named(name: bytes, seconds: float, started: threading.Event) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0) == 0
    started.set()
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def _cpu_of(name: bytes, seconds: float) -> float:
    """``jit_seconds`` of this process before and after a thread named ``name`` burns ``seconds``."""
    before = proc.jit_seconds(os.getpid())
    started = threading.Event()
    thread = threading.Thread(target=_spin_named, args=(name, seconds, started))
    thread.start()
    started.wait()
    during = before
    # Read while the thread is alive: a thread's ticks leave /proc/<pid>/task with it.
    while thread.is_alive():
        during = max(during, proc.jit_seconds(os.getpid()))
        time.sleep(0.02)
    thread.join()
    return during - before


def test_a_compiler_thread_counts() -> None:
    assert _cpu_of(b"C2 CompilerThre", 0.5) >= 0.2
    assert _cpu_of(b"C1 CompilerThre", 0.5) >= 0.2


def test_any_other_thread_does_not() -> None:
    assert _cpu_of(b"data-plane-kafk", 0.5) == 0.0
