"""CPU of this process per record consumed through ``BatchConsumer``: aiokafka's fetch and its
records, the Avro decoding, the trace context and the hand-over to a handler that does nothing.
Every consumer of the platform pays this for every record it reads (the projector, analytics,
receipts and callbacks read each status event; the senders each request), so it is paid about
eleven times a notification.

Each of ``--passes`` passes publishes ``--events`` status events (``NotificationSentToProvider``
with every field set, as the sms-sender publishes them) to topics of its own, then reads them all
as the callbacks service's group does, on uvloop as the services run; the best pass is printed.
Needs Kafka (``NOTIFY_KAFKA_BOOTSTRAP_SERVERS`` as the services have it, e.g. after
``source deploy/local/env.sh`` with the platform's Kafka running); the topics are made under a
prefix of the benchmark's own. Compare builds by running it from each build's tree in turn.

    .venv/bin/python bench/kafka/consume_cpu.py [--events 50000] [--passes 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Sequence

from notify_common import topics, tracing
from notify_common.events import Channel, Event, NotificationSentToProvider, now
from notify_common.kafka import BatchConsumer, EventProducer, Received
from notify_common.provision import provision_topics
from notify_common.runtime import run_on_uvloop
from notify_common.settings import CommonSettings


def sent_events(n: int) -> list[Event]:
    at = now()
    made: list[Event] = []
    for _ in range(n):
        event = NotificationSentToProvider(
            notification_id=str(uuid.uuid4()), service_id="4a4b0f5c-2f7e-4a57-9d5e-2c1d6c1f2b11",
            correlation_id=str(uuid.uuid4()), channel=Channel.SMS, provider="mmg",
            provider_reference=str(uuid.uuid4()), sent_at=at, billable_units=1, notification_type="sms",
            client_reference="ref-123", recipient="07700900123", template_id=str(uuid.uuid4()),
            template_version=3, created_at=at,
        )  # fmt: skip
        made.append(event)
    return made


async def one_pass(sample: list[Event]) -> float:
    """Microseconds of this process's CPU per record for a group reading ``sample``, published to
    topics of the pass's own (a prefix of its own: every declared topic and group exists there)."""
    settings = CommonSettings(kafka_topic_prefix=f"bench-consume-{uuid.uuid4().hex[:8]}.")
    await provision_topics(settings)
    producer = EventProducer(settings, client_id="bench-consume")
    await producer.start()
    try:
        for i in range(0, len(sample), 500):
            await producer.publish_many([(topics.NOTIFICATION_STATUS, e) for e in sample[i : i + 500]])
        return await consume(settings, producer, len(sample))
    finally:
        await producer.stop()


async def consume(settings: CommonSettings, producer: EventProducer, events: int) -> float:
    handled = 0
    done = asyncio.Event()

    async def handler(batch: Sequence[Received]) -> None:
        nonlocal handled
        handled += len(batch)
        if handled >= events:
            done.set()

    consumer = BatchConsumer(
        settings, group="callbacks", topics=[topics.NOTIFICATION_STATUS],
        handler=handler, producer=producer, commit_interval_ms=1000,
    )  # fmt: skip
    await consumer.start()
    started = time.process_time()
    running = asyncio.create_task(consumer.run())
    await done.wait()
    spent = time.process_time() - started
    consumer.request_stop()
    await running
    return spent / events * 1e6


async def main(events: int, passes: int) -> None:
    tracing.setup_tracing("bench-consume")
    sample = sent_events(events)
    best = min([await one_pass(sample) for _ in range(passes)])
    print(f"RESULT {best:.1f} µs CPU per record consumed (best of {passes} passes of {events:,})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50_000, help="records a pass (default 50,000)")
    parser.add_argument("--passes", type=int, default=5, help="passes, the best reported (default 5)")
    args = parser.parse_args()
    run_on_uvloop(main(args.events, args.passes))
