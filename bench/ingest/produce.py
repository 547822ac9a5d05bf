"""The producer's CPU per event as the api-gateway uses it: each event published on its own with
``publish_many(..., ack_within=...)``, 200 at a time, every one waited for until Kafka has
acknowledged it (acks=all). Prints the CPU microseconds per event (``time.process_time``, Avro
encoding included) of each round, so two builds can be compared by alternating them.

Needs Kafka (``bash deploy/local/infra.sh start``; ``NOTIFY_KAFKA_BOOTSTRAP_SERVERS`` as the
services have it); the topics are made under a prefix of the benchmark's own.

    .venv/bin/python bench/ingest/produce.py [--events 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import uvloop

from bench.codec.run import sample
from notify_common import topics
from notify_common.events import Event
from notify_common.kafka import EventProducer
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings

PREFIX = "bench-produce."
AT_ONCE = 200


async def one_round(producer: EventProducer, events: list[Event]) -> float:
    """CPU microseconds per event over ``events``."""

    async def publish(event: Event) -> None:
        await producer.publish_many([(topics.SMS_REQUESTED, event)], ack_within=30.0)

    start = time.process_time()
    for i in range(0, len(events), AT_ONCE):
        await asyncio.gather(*(publish(e) for e in events[i : i + AT_ONCE]))
    return (time.process_time() - start) / len(events) * 1e6


async def run(events: int, rounds: int) -> list[float]:
    settings = CommonSettings(kafka_topic_prefix=PREFIX)
    await provision_topics(settings)
    producer = EventProducer(settings, client_id="bench-produce")
    await producer.start()
    try:
        await one_round(producer, sample(AT_ONCE))  # connections made, metadata known
        return [await one_round(producer, sample(events)) for _ in range(rounds)]
    finally:
        await producer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = uvloop.run(run(args.events, args.rounds))
    print("CPU µs per event, each round:", ", ".join(f"{r:.1f}" for r in rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
