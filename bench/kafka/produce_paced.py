"""Produce requests per event at a steady rate, as the platform's producers publish: ``--shape
single`` publishes each event on its own (the api-gateway's sends), ``--shape batch`` publishes
``--batch`` events at a time (a sender's or the callbacks' settled batches). Events are keyed by
notification id, so they spread over the topic's partitions as the platform's do.

Prints, per round: produce requests per event (counted at the client), events per request, the
client's CPU microseconds per event (Avro encoding included), the broker's CPU milliseconds per
event (``/proc``, with ``--broker-pid``; the broker serves others too, so only alternating runs on
a quiet broker compare), and the acknowledgement latency (p50, p99) of each publish.

Needs Kafka (``NOTIFY_KAFKA_BOOTSTRAP_SERVERS`` as the services have it); the topics are made
under a prefix of the benchmark's own.

    .venv/bin/python bench/kafka/produce_paced.py --rate 1000 --seconds 10 [--linger-ms 5]
        [--shape batch --batch 20] [--broker-pid PID] [--rounds 2] [--per-partition-linger]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import uvloop
from aiokafka.protocol.produce import ProduceRequest

from bench.codec.run import sample
from notify_common import topics
from notify_common.events import Event
from notify_common.kafka import EventProducer
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings

PREFIX = "bench-paced."
TICKS = os.sysconf("SC_CLK_TCK")


def broker_cpu_s(pid: int | None) -> float:
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def count_produce_requests(producer: EventProducer) -> list[int]:
    """A counter of the produce requests the producer's client sends from now on."""
    counter = [0]
    client: Any = producer._producer.client
    send = client.send

    async def counted(node_id: int, request: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(request, ProduceRequest):
            counter[0] += 1
        return await send(node_id, request, *args, **kwargs)

    client.send = counted
    return counter


async def one_round(
    producer: EventProducer, events: list[Event], rate: float, batch: int, broker_pid: int | None
) -> dict[str, float]:
    counter = count_produce_requests(producer)
    before = counter[0]
    latencies: list[float] = []

    async def publish(chunk: list[Event]) -> None:
        start = time.perf_counter()
        await producer.publish_many([(topics.SMS_REQUESTED, e) for e in chunk], ack_within=30.0)
        latencies.append(time.perf_counter() - start)

    loop = asyncio.get_running_loop()
    tasks = []
    cpu, broker = time.process_time(), broker_cpu_s(broker_pid)
    start = loop.time()
    for n, i in enumerate(range(0, len(events), batch)):
        due = start + n * batch / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        tasks.append(asyncio.ensure_future(publish(events[i : i + batch])))
    await asyncio.gather(*tasks)
    cpu, broker = time.process_time() - cpu, broker_cpu_s(broker_pid) - broker
    requests = counter[0] - before
    latencies.sort()
    return {
        "requests_per_event": requests / len(events),
        "events_per_request": len(events) / max(requests, 1),
        "client_cpu_us": cpu / len(events) * 1e6,
        "broker_cpu_ms": broker / len(events) * 1e3,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
    }


async def run(args: argparse.Namespace) -> list[dict[str, float]]:
    settings = CommonSettings(kafka_topic_prefix=PREFIX)
    await provision_topics(settings)
    producer = EventProducer(settings, client_id="bench-paced", linger_ms=args.linger_ms)
    if args.per_partition_linger:  # as before the producer-wide window: aiokafka's own linger
        producer._window = None
        producer._producer._message_accumulator._linger_time = args.linger_ms / 1000
    await producer.start()
    batch = args.batch if args.shape == "batch" else 1
    try:
        await one_round(producer, sample(200), args.rate, batch, None)  # connections, metadata
        events = int(args.rate * args.seconds)
        return [
            await one_round(producer, sample(events), args.rate, batch, args.broker_pid)
            for _ in range(args.rounds)
        ]
    finally:
        await producer.stop()


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="events a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--linger-ms", type=int, default=5)
    parser.add_argument("--shape", choices=("single", "batch"), default="single")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--broker-pid", type=int)
    parser.add_argument(
        "--per-partition-linger", action="store_true", help="aiokafka's linger per partition, as before"
    )
    args = parser.parse_args()
    for r in uvloop.run(run(args)):
        print(
            f"requests/event {r['requests_per_event']:.3f} ({r['events_per_request']:.1f} events a request), "
            f"client CPU {r['client_cpu_us']:.1f} µs/event, broker CPU {r['broker_cpu_ms']:.3f} ms/event, "
            f"ack p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
