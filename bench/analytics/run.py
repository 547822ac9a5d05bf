"""Events consumed per second by one analytics worker (notify-analytics), on the real Kafka.

The events (a request, a sending and a delivery per notification, over the SMS and email topics)
are written first, under a topic prefix of the run's own; then one worker starts and catches up.
The figures are the events counted from the worker being ready to its
``notify_analytics_events_total{outcome="counted"}`` reaching them all, divided by those seconds
and by the CPU seconds the worker process used meanwhile.
Usage: run.py NOTIFICATIONS
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import _delete_topics
from tests.integration.analytics.conftest import Worker, isolated, lifecycle, publish

from notify_analytics.observe import observe
from notify_analytics.state import PartitionState
from notify_common.codec import default_codec, encode
from notify_common.events import Event
from notify_common.settings import CommonSettings


def cpu_seconds(worker: Worker) -> float:
    """User and system CPU time of the worker process so far (Linux /proc)."""
    assert worker.process is not None
    fields = Path(f"/proc/{worker.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def traffic(notifications: int) -> list[tuple[str, Event]]:
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(hours=1)
    items: list[tuple[str, Event]] = []
    for i in range(notifications):
        items += lifecycle(
            uuid.uuid4().hex,
            f"service-{i % 20}",
            start + timedelta(seconds=rng.uniform(0, 3000)),
            channel=rng.choice(("sms", "email")),
            send_after=rng.uniform(0.2, 15),
            deliver_after=rng.uniform(1, 60),
            fails=rng.random() < 0.05,
        )
    return items


def counting_cpu(items: list[tuple[str, Event]]) -> float:
    """CPU seconds to decode and count the events in-process (no Kafka, no faust): the floor."""
    raw = [encode(event) for _, event in items]
    codec = default_codec()
    state = PartitionState(86_400_000)
    began = time.process_time()
    for i, data in enumerate(raw):
        event_type, record = codec.decode_record(data, raw_timestamps=True)
        observed = observe(event_type.schema_name, record)
        if observed is not None:
            state.apply(observed)
        if i % 1000 == 999:
            state.take_delta()
    return time.process_time() - began


async def main(notifications: int) -> None:
    settings = await isolated(CommonSettings(kafka_topic_prefix=f"bench-analytics-{os.getpid()}."))
    try:
        items = traffic(notifications)
        floor = counting_cpu(items)
        print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"decode and count in-process: {len(items) / floor:,.0f} events per CPU second")
        for chunk in range(0, len(items), 20_000):
            await publish(settings, items[chunk : chunk + 20_000])
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-analytics-{os.getpid()}.log"  # noqa: S108
        # The service's own publishing and checkpoint intervals, not the tests' shorter ones.
        worker = Worker(
            settings,
            log,
            env={
                "NOTIFY_ANALYTICS_PUBLISH_SECONDS": os.environ.get("NOTIFY_ANALYTICS_PUBLISH_SECONDS", "10"),
                "NOTIFY_ANALYTICS_CATCH_UP_PUBLISH_SECONDS": "60",
                "NOTIFY_ANALYTICS_CHECKPOINT_SECONDS": "30",
            },
        ).start()
        try:
            await worker.wait_ready(180)
            # A worker counts from the moment its state is restored, a little before it answers
            # /readyz; what it counted by then is left out of the figures (CPU time is read first,
            # so an event counted between the two readings is left out but its CPU time is not).
            cpu_began = cpu_seconds(worker)
            before = int(await worker.counted())
            began = time.monotonic()
            while (counted := await worker.counted()) < len(items):  # noqa: ASYNC110 - polls another process
                await asyncio.sleep(0.2)
            seconds = time.monotonic() - began
            cpu = cpu_seconds(worker) - cpu_began
        finally:
            worker.stop()
        measured = len(items) - before
        if measured <= 0 or cpu <= 0:
            raise SystemExit(f"{before} of {len(items)} events counted before ready: use more NOTIFICATIONS")
        print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"events: {len(items)} ({notifications} notifications x 3), counted: {int(counted)}")
        print(f"counted before the worker was ready (left out): {before}; measured: {measured}")
        print(f"seconds from ready to all counted: {seconds:.1f}")
        print(f"events consumed per second, one worker: {measured / seconds:,.0f}")
        # On a machine shared with other work the wall rate says more about the neighbours; the
        # worker's own CPU time says what one idle core would do.
        print(f"worker CPU seconds: {cpu:.2f}; events per CPU second: {measured / cpu:,.0f}")
    finally:
        await _delete_topics(settings)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30_000))
