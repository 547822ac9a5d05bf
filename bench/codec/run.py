"""Benchmark: Avro events encoded and decoded per second on one core.

Run: ``make bench`` or ``.venv/bin/python bench/codec/run.py [--events N] [--cpu]``.

With ``--cpu`` it prints the CPU time (of this thread, best of five passes) per event encoded,
decoded and decoded as a record with raw timestamps: on a shared machine, wall-clock rates move
with the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from rich.progress import Progress

from notify_common import codec
from notify_common.events import Event, SmsRequested, now


def sample(n: int) -> list[Event]:
    created = now()
    return [
        SmsRequested(
            notification_id=str(uuid.uuid4()),
            service_id=str(uuid.uuid4()),
            template_id=str(uuid.uuid4()),
            template_version=3,
            key_type="normal",
            api_key_id=str(uuid.uuid4()),
            job_id=None,
            job_row_number=None,
            client_reference=f"ref-{i}",
            phone_number="447700900123",
            international=False,
            sender="GOVUK",
            body="Your appointment is at 10:30 on Monday. Reply STOP to opt out.",
            fragment_count=1,
            rate_multiplier=1,
            created_at=created,
        )
        for i in range(n)
    ]


def cpu_per_event(events: list[Event]) -> dict[str, float]:
    """Microseconds of this thread's CPU per event, best of five passes, for each operation."""
    encoded = [codec.encode(e) for e in events]

    def decode_raw(data: bytes) -> object:
        return codec.decode_record(data, raw_timestamps=True)

    result = {}
    operations: list[tuple[str, Callable[[Any], object], Sequence[object]]] = [
        ("encode", codec.encode, events),
        ("decode", codec.decode, encoded),
        ("decode_record(raw_timestamps)", decode_raw, encoded),
    ]
    for name, operation, items in operations:
        best = float("inf")
        for _ in range(5):
            start = time.thread_time()
            for item in items:
                operation(item)
            best = min(best, time.thread_time() - start)
        result[name] = best / len(items) * 1e6
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--cpu", action="store_true", help="CPU time per event instead of rates")
    args = parser.parse_args()
    events = sample(args.events)
    if args.cpu:
        for name, micros in cpu_per_event(events).items():
            print(f"codec: {name} {micros:.2f} µs CPU per SmsRequested")
        return 0
    chunk = max(1, args.events // 20)
    with Progress() as progress:
        task = progress.add_task("encode", total=args.events)
        start = time.perf_counter()
        encoded: list[bytes] = []
        for i in range(0, args.events, chunk):
            encoded += [codec.encode(e) for e in events[i : i + chunk]]
            progress.advance(task, len(events[i : i + chunk]))
        encode_s = time.perf_counter() - start
        task = progress.add_task("decode", total=args.events)
        start = time.perf_counter()
        for i in range(0, args.events, chunk):
            for data in encoded[i : i + chunk]:
                codec.decode(data)
            progress.advance(task, len(encoded[i : i + chunk]))
        decode_s = time.perf_counter() - start
    size = sum(map(len, encoded)) / len(encoded)
    print(f"codec: {args.events} SmsRequested events, {size:.0f} bytes each")
    print(
        f"codec: encode {args.events / encode_s:,.0f} events/s, decode {args.events / decode_s:,.0f} events/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
