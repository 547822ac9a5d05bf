"""Fetch requests per record, and how long a record waits to be fetched, for one consumer's fetch
settings, with events produced at a steady rate: a group member (``notify_common.kafka.
group_consumer``, as every service's) reads ``notify.sms.requested`` and a retry topic, as the
sms-sender's priority lane does, while the benchmark publishes to it with the platform's producer.

Prints, per setting: fetch requests a second and per record (counted at the client), the broker's
CPU milliseconds per record (``/proc``, with ``--broker-pid``; it serves others too, so only
alternating runs compare), and the time from each record's timestamp to its arrival in ``getmany``
(p50, p99): what the setting adds to created-to-sent.

Needs Kafka (``NOTIFY_KAFKA_BOOTSTRAP_SERVERS`` as the services have it); the topics are made
under a prefix of the benchmark's own.

    .venv/bin/python bench/kafka/fetch_paced.py --rate 1000 --seconds 10 \\
        --setting 16384:100 --setting 65536:100 [--broker-pid PID] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from typing import Any

import uvloop
from aiokafka import AIOKafkaConsumer
from aiokafka.protocol.fetch import FetchRequest

from bench.codec.run import sample
from bench.kafka.produce_paced import broker_cpu_s
from notify_common import topics
from notify_common.kafka import EventProducer, group_consumer
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings

PREFIX = "bench-fetch."


def count_fetches(consumer: AIOKafkaConsumer) -> list[int]:
    counter = [0]
    client: Any = consumer._client
    send = client.send

    async def counted(node_id: int, request: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(request, FetchRequest):
            counter[0] += 1
        return await send(node_id, request, *args, **kwargs)

    client.send = counted
    return counter


async def one_round(
    settings: CommonSettings,
    producer: EventProducer,
    rate: float,
    seconds: float,
    setting: str,
    pid: int | None,
) -> str:
    min_bytes, max_wait = (int(part) for part in setting.split(":"))
    names = producer.names
    consumer = group_consumer(
        settings,
        f"bench-fetch-{uuid.uuid4()}",
        "bench-fetch",
        names.physical(topics.SMS_REQUESTED),
        names.physical(topics.retry_topic(topics.GROUP_SMS_SENDER)),
        fetch_min_bytes=min_bytes,
        fetch_max_wait_ms=max_wait,
    )
    await consumer.start()
    try:
        await consumer.seek_to_end()
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        counter = count_fetches(consumer)
        events = sample(int(rate * seconds))
        waits: list[float] = []
        done = asyncio.Event()

        async def consume() -> None:
            while len(waits) < len(events):
                batches = await consumer.getmany(timeout_ms=200, max_records=500)
                now = time.time() * 1000
                waits.extend(now - r.timestamp for records in batches.values() for r in records)
            done.set()

        reader = asyncio.ensure_future(consume())
        loop = asyncio.get_running_loop()
        cpu, start = broker_cpu_s(pid), loop.time()
        publishes = []
        for i, event in enumerate(events):
            due = start + i / rate
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            publishes.append(asyncio.ensure_future(producer.publish(topics.SMS_REQUESTED, event)))
        await asyncio.gather(*publishes)
        await asyncio.wait_for(done.wait(), timeout=60)
        elapsed, cpu = loop.time() - start, broker_cpu_s(pid) - cpu
        reader.cancel()
        waits.sort()
        return (
            f"{setting:>12}: {counter[0] / elapsed:.1f} fetches/s, {counter[0] / len(events):.4f} a record, "
            f"broker CPU {cpu / len(events) * 1e3:.3f} ms/record, "
            f"fetched after p50 {statistics.median(waits):.0f} ms, p99 {waits[int(len(waits) * 0.99)]:.0f} ms"
        )
    finally:
        await consumer.stop()


async def run(args: argparse.Namespace) -> None:
    settings = CommonSettings(kafka_topic_prefix=PREFIX)
    await provision_topics(settings)
    producer = EventProducer(settings, client_id="bench-fetch")
    await producer.start()
    try:
        for _ in range(args.rounds):
            for setting in args.setting:
                line = await one_round(settings, producer, args.rate, args.seconds, setting, args.broker_pid)
                print(line, f"(load {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        await producer.stop()


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="records a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--setting", action="append", required=True, help="fetch_min_bytes:fetch_max_wait_ms")
    parser.add_argument("--broker-pid", type=int)
    uvloop.run(run(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
