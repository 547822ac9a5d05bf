"""CPU of this process per event published through ``EventProducer.publish_many``, back to back:
``--batch`` events a call (a sender's or the receipts' settled batches) and ``--concurrent`` calls
at once (the api-gateway's sends, one event each, sharing the producer's window). Best of five
passes of ``--events`` status events each, on uvloop as the services run; the Avro encoding, the
headers, the partition, aiokafka's accumulator and sender and the acknowledgement are all in it.

Needs Kafka (``NOTIFY_KAFKA_BOOTSTRAP_SERVERS`` as the services have it, e.g. after
``source deploy/local/env.sh`` with the platform's Kafka running); the topics are made (once)
under a prefix of the benchmark's own. Compare builds by running it from each build's tree in turn.

    .venv/bin/python bench/kafka/produce_cpu.py [--events 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from notify_common import topics
from notify_common.events import Event, NotificationDelivered, now
from notify_common.kafka import EventProducer
from notify_common.provision import provision_topics
from notify_common.runtime import run_on_uvloop
from notify_common.settings import CommonSettings

PREFIX = "bench-produce."  # the same topics every run: made once, reused
SHAPES = ((100, 1), (1, 100))  # (events a call, calls at once)
PASSES = 5


def status_events(n: int) -> list[Event]:
    made: list[Event] = []
    for _ in range(n):
        event = NotificationDelivered(
            notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), provider="mmg",
            provider_reference="ref", delivered_at=now(),
        )  # fmt: skip
        made.append(event)
    return made


async def cpu_per_event(producer: EventProducer, events: list[Event], batch: int, concurrent: int) -> float:
    """Microseconds of this process's CPU per event, best of ``PASSES``."""
    best = float("inf")
    step = batch * concurrent
    for _ in range(PASSES):
        started = time.process_time()
        for i in range(0, len(events), step):
            await asyncio.gather(
                *(
                    producer.publish_many([(topics.NOTIFICATION_STATUS, e) for e in events[j : j + batch]])
                    for j in range(i, min(i + step, len(events)), batch)
                )
            )
        best = min(best, (time.process_time() - started) / len(events) * 1e6)
    return best


async def main(events: int) -> None:
    settings = CommonSettings(kafka_topic_prefix=PREFIX)
    await provision_topics(settings)
    producer = EventProducer(settings, client_id="bench-produce")
    await producer.start()
    try:
        sample = status_events(events)
        await producer.publish_many([(topics.NOTIFICATION_STATUS, e) for e in sample[:100]])  # metadata
        for batch, concurrent in SHAPES:
            us = await cpu_per_event(producer, sample, batch, concurrent)
            print(f"RESULT {batch} event(s) a call, {concurrent} call(s) at once: {us:.1f} µs CPU per event")
    finally:
        await producer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000, help="events a pass (default 20,000)")
    run_on_uvloop(main(parser.parse_args().events))
