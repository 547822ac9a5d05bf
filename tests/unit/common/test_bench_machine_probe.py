"""``bench.proc.machine_probe_ms``: the CPU milliseconds of one pass of its fixed work, the best of
its passes, counted for the calling thread alone."""

from __future__ import annotations

import time

from bench import proc


def test_the_probe_is_the_best_pass_in_milliseconds_of_the_calling_threads_cpu() -> None:
    started = time.thread_time()
    probe = proc.machine_probe_ms(passes=3)
    spent_ms = (time.thread_time() - started) * 1000

    assert probe > 0
    # The best of three passes is at most their mean; the total is in seconds, the probe in ms.
    assert probe <= spent_ms / 3 + 1
