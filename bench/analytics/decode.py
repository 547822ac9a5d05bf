"""CPU per event of reading what analytics counts from lifecycle events' bytes, in-process: the
codec's full decode against the projection reader (``notify_analytics.projection``), each
followed by ``observe``, and the same with counting (``PartitionState.apply``, a batch ended every
1,000 events) after it. Rounds alternate between the two so a busy machine weighs on both alike.

    PYTHONPATH=. .venv/bin/python bench/analytics/decode.py [NOTIFICATIONS] [ROUNDS]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.analytics.run import traffic
from notify_analytics.observe import Observation, observe
from notify_analytics.projection import ProjectionReader
from notify_analytics.state import PartitionState
from notify_common.codec import default_codec, encode


def full() -> Callable[[bytes], Observation | None]:
    decode_record = default_codec().decode_record

    def read(data: bytes) -> Observation | None:
        event_type, record = decode_record(data, raw_timestamps=True)
        return observe(event_type.schema_name, record)

    return read


def projected() -> Callable[[bytes], Observation | None]:
    project = ProjectionReader().read

    def read(data: bytes) -> Observation | None:
        found = project(data)
        assert found is not None
        return observe(*found)

    return read


def run(read: Callable[[bytes], Observation | None], raw: list[bytes], count: bool) -> float:
    state = PartitionState(86_400_000)
    began = time.process_time()
    for i, data in enumerate(raw):
        obs = read(data)
        if count and obs is not None:
            state.apply(obs)
            if i % 1000 == 999:
                state.take_delta()
    return time.process_time() - began


def main(notifications: int, rounds: int) -> None:
    raw = [encode(event) for _, event in traffic(notifications)]
    readers: dict[str, Any] = {"full decode": full(), "projection": projected()}
    print(f"{len(raw)} events; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for count in (False, True):
        for round_ in range(rounds):
            line = []
            for name, read in readers.items():
                seconds = run(read, raw, count)
                line.append(f"{name} {seconds / len(raw) * 1e6:.2f} µs")
            what = "read, observe and count" if count else "read and observe"
            print(f"{what}, round {round_ + 1}: " + "; ".join(line))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
