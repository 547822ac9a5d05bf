"""Benchmark: what a ``traceparent`` record header costs the Kafka broker and its clients.

Produces ``--records`` SMS-requested records (the Avro value and key the platform writes, and its
event-type header) to a topic of the benchmark's own, then reads them all with ``--groups``
consumer groups (as the platform's records are read by several services), once with a
``traceparent`` header on every record and once without, alternating in ``--rounds`` rounds so
that a busy machine slows both alike. Reports, per record produced, the broker's CPU (from
``/proc`` of the pid in ``$NOTIFY_STATE_DIR/run/kafka.pid``, or ``--kafka-pid``) and this
process's (the producer's and consumers' client work), as the median over the rounds.

Run against a platform of its own (``deploy/local/infra.sh`` with the ``NOTIFY_LOCAL_*`` ports; the
broker also serves whatever else runs against it, so run it while that platform is idle):

    .venv/bin/python bench/tracing/kafka_headers.py [--records 20000] [--groups 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from notify_common import codec
from notify_common.events import SmsRequested
from notify_common.kafka import H_EVENT_TYPE

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.proc import cpu_seconds  # noqa: E402

TRACEPARENT = ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")


def event() -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()),
        service_id=str(uuid.uuid4()),
        template_id=str(uuid.uuid4()),
        template_version=1,
        key_type="normal",
        phone_number="07700900457",
        international=False,
        sender="GOVUK",
        body="Your code is 123456. It expires in 10 minutes.",
        fragment_count=1,
        created_at=datetime.now(UTC),
    )


async def one(bootstrap: str, records: int, groups: int, traced: bool, kafka_pid: int) -> tuple[float, float]:
    """Broker and client CPU seconds to write ``records`` and read them ``groups`` times."""
    topic = f"bench-headers-{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    events = [event() for _ in range(records)]
    broker, client = cpu_seconds(kafka_pid), time.process_time()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    futures = []
    for e in events:
        headers = [(H_EVENT_TYPE, b"SmsRequested"), *([TRACEPARENT] if traced else [])]
        futures.append(
            await producer.send(topic, codec.encode(e), key=e.partition_key.encode(), headers=headers)
        )
    await asyncio.gather(*futures)
    await producer.stop()
    for group in range(groups):
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=f"{topic}-{group}", auto_offset_reset="earliest"
        )
        await consumer.start()
        read = 0
        while read < records:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            read += sum(len(batch) for batch in batches.values())
        await consumer.stop()
    spent = cpu_seconds(kafka_pid) - broker, time.process_time() - client
    await admin.delete_topics([topic])
    await admin.close()
    return spent


async def rounds(
    bootstrap: str, args: argparse.Namespace, kafka_pid: int
) -> dict[bool, list[tuple[float, float]]]:
    spent: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(args.rounds):
        for traced in (False, True):
            spent[traced].append(await one(bootstrap, args.records, args.groups, traced, kafka_pid))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kafka-pid", type=int, default=None)
    args = parser.parse_args()
    state = Path(os.environ.get("NOTIFY_STATE_DIR") or Path(__file__).resolve().parents[2] / ".local")
    kafka_pid = args.kafka_pid or int((state / "run/kafka.pid").read_text().split()[0])
    bootstrap = f"127.0.0.1:{os.environ.get('NOTIFY_LOCAL_KAFKA_PORT', '19092')}"
    spent = asyncio.run(rounds(bootstrap, args, kafka_pid))
    print(f"{args.records} records, read by {args.groups} groups, {args.rounds} rounds; median µs per record")
    for traced, label in ((False, "without traceparent"), (True, "with traceparent")):
        broker = statistics.median(b for b, _ in spent[traced]) / args.records * 1e6
        client = statistics.median(c for _, c in spent[traced]) / args.records * 1e6
        runs = ", ".join(f"{b / args.records * 1e6:.1f}" for b, _ in spent[traced])
        print(f"  {label:22} broker {broker:6.1f} (rounds {runs})  clients {client:6.1f}")


if __name__ == "__main__":
    main()
