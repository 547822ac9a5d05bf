"""``bench.proc.cpu_seconds`` counts the CPU of a process's children once it has waited for them, as
Redis waits for the child that writes its snapshot."""

from __future__ import annotations

import os
import subprocess
import sys

from bench import proc

BURN = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"


def test_a_child_waited_for_counts_with_its_parent() -> None:
    before = proc.cpu_seconds(os.getpid())
    subprocess.run([sys.executable, "-c", BURN], check=True)
    assert proc.cpu_seconds(os.getpid()) - before >= 0.4
