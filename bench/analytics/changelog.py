"""What the analytics worker writes to its changelog per notification under steady live traffic,
by how long each batch gathers events, in-process (no Kafka, no faust): the bytes of the delta
records (key and JSON value, as faust's ``json`` serializer writes them) and the CPU time of
counting the events, ending the batches and encoding the records.

Traffic like bench/platform's: one service sending SMS at ``--rate`` a second through two
providers, each notification requested, sent 0.1-0.3 s later and delivered 1-2 s after that, its
events on the source's six partitions by notification id. A worker's fetch is answered once the
broker holds ``fetch_min_bytes`` for it or after ``fetch_max_wait_ms`` (docs/analytics.md), so a
batch gathers the events of about ``min(fetch_min_bytes / bytes a second, max wait)`` seconds:
``--windows`` lists those spans.

    .venv/bin/python bench/analytics/changelog.py [--rate 1000] [--seconds 30] [--windows 0.06,0.25,1]
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
import zlib

import orjson

from notify_analytics.observe import Observation
from notify_analytics.state import PartitionState

PARTITIONS = 6
DAY_MS = 86_400_000


def traffic(rate: float, seconds: float, seed: int = 7) -> list[tuple[int, int, Observation]]:
    """(occurred ms, partition, observation) of every event, in the order they happen."""
    rng = random.Random(seed)
    service = str(uuid.UUID(int=rng.getrandbits(128)))
    start = int(time.time() * 1000)
    events: list[tuple[int, int, Observation]] = []
    for i in range(int(rate * seconds)):
        notification = str(uuid.UUID(int=rng.getrandbits(128)))
        partition = zlib.crc32(notification.encode()) % PARTITIONS
        created = start + int(i * 1000 / rate)
        sent = created + rng.randint(100, 300)
        delivered = sent + rng.randint(1000, 2000)
        provider = rng.choice(("mmg", "firetext"))

        def event(
            at: int, event_type: str, status: str, provider: str | None, notification: str = notification
        ) -> Observation:
            event_id = str(uuid.UUID(int=rng.getrandbits(128)))
            times = {"created": (at, None, None), "sending": (None, at, None), "delivered": (None, None, at)}[
                status
            ]
            return Observation(
                event_id, notification, at, service, event_type, status, "sms", provider, *times
            )

        events += [
            (created, partition, event(created, "SmsRequested", "created", None)),
            (sent, partition, event(sent, "NotificationSentToProvider", "sending", provider)),
            (delivered, partition, event(delivered, "NotificationDelivered", "delivered", provider)),
        ]
    events.sort(key=lambda e: e[0])
    return events


def measure(
    events: list[tuple[int, int, Observation]], window_ms: int, short_deltas: bool
) -> tuple[int, int, float]:
    """Records written, their bytes, and CPU seconds, for batches of ``window_ms`` of events."""
    states = [PartitionState(DAY_MS, short_deltas) for _ in range(PARTITIONS)]
    records = size = 0
    began = time.process_time()
    batch_end = events[0][0] + window_ms
    touched: set[int] = set()

    def end_batch() -> None:
        nonlocal records, size
        for partition in touched:
            delta = states[partition].take_delta()
            if delta is not None:
                key, value = delta
                records += 1
                size += len(orjson.dumps(f"{partition}|{key}")) + len(orjson.dumps(value))
        touched.clear()

    for at, partition, obs in events:
        if at >= batch_end:
            end_batch()
            batch_end = at + window_ms
        states[partition].apply(obs)
        touched.add(partition)
    end_batch()
    return records, size, time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=1000, help="notifications a second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--windows", default="0.06,0.25,0.5,1", help="seconds each batch gathers")
    parser.add_argument(
        "--short-deltas",
        action="store_true",
        help="write deltas in the shorter format (NOTIFY_ANALYTICS_SHORT_CHANGELOG=true)",
    )
    args = parser.parse_args()
    events = traffic(args.rate, args.seconds)
    notifications = len(events) // 3
    print(f"{notifications} notifications at {args.rate:.0f}/s, {len(events)} events")
    for window in (float(w) for w in args.windows.split(",")):
        runs = [measure(events, int(window * 1000), args.short_deltas) for _ in range(3)]
        records, size, _ = runs[0]
        cpu = sorted(r[2] for r in runs)[1]
        print(
            f"  batches of {window:.2f} s: {records} delta records, "
            f"{size / notifications:,.0f} bytes per notification (values and keys, before Kafka's "
            f"record overhead), {1e6 * cpu / len(events):.1f} µs CPU per event (median of 3)"
        )


if __name__ == "__main__":
    main()
