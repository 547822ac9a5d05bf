"""``EventProducer`` hands its records to aiokafka's accumulator itself (``kafka._Records``), not
through ``AIOKafkaProducer.send``: against the real broker, every record lands on the partition
aiokafka's own partitioner (the Java client's) gives its key, one key's records keep the order they
were published in (one call's, and one call's after another's), each carries its event-type header, a publish returns once the broker has
acknowledged it, and the first publish to a topic the producer knew nothing of waits for its
metadata."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner

from notify_common import codec, topics
from notify_common.events import NotificationPending
from notify_common.kafka import H_EVENT_TYPE, EventProducer, connection_options
from notify_common.settings import CommonSettings


async def read_all(
    settings: CommonSettings, topic: str, expected: int
) -> tuple[int, list[tuple[int, int, bytes, bytes]]]:
    """How many partitions ``topic`` has, and (partition, offset, key, value) of its first
    ``expected`` records, each checked for its event-type header."""
    name = settings.kafka_topic_prefix + topic
    consumer = AIOKafkaConsumer(name, auto_offset_reset="earliest", **connection_options(settings))
    await consumer.start()
    out: list[tuple[int, int, bytes, bytes]] = []
    try:
        count = len(consumer.partitions_for_topic(name) or ())
        async with asyncio.timeout(20):
            while len(out) < expected:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for r in records:
                        assert r.key is not None
                        assert r.value is not None
                        assert dict(r.headers)[H_EVENT_TYPE] == b"NotificationPending"
                        out.append((r.partition, r.offset, r.key, r.value))
    finally:
        await consumer.stop()
    return count, out


async def test_records_land_where_every_kafka_client_puts_their_key_in_the_order_published(
    kafka: CommonSettings,
) -> None:
    producer = EventProducer(kafka, client_id="test-publish")
    await producer.start()
    try:
        ids = [str(uuid.uuid4()) for _ in range(40)] + [str(uuid.uuid4()) for _ in range(50)]
        published = [
            NotificationPending(notification_id=ids[n % 40 if n < 150 else n - 110], service_id=str(uuid.uuid4()),
                                provider="mmg", detail=f"event {n}")
            for n in range(200)
        ]  # fmt: skip
        # The producer has never asked for this topic's metadata: its first publish waits for it.
        await producer.publish(topics.NOTIFICATION_STATUS, published[0])
        # 149 events over 40 keys in one call, in order; then 50 of keys of their own, concurrently.
        await producer.publish_many([(topics.NOTIFICATION_STATUS, e) for e in published[1:150]])
        await asyncio.gather(*(producer.publish(topics.NOTIFICATION_STATUS, e) for e in published[150:]))
    finally:
        await producer.stop()

    count, records = await read_all(kafka, topics.NOTIFICATION_STATUS, len(published))
    assert len(records) == len(published)
    assert count > 1
    assert len({p for p, _, _, _ in records}) == count  # 90 keys reach every partition
    reference = DefaultPartitioner()
    every = list(range(count))
    for partition, _, key, _ in records:
        assert partition == reference(key, every, every), key
    decoded = codec.default_codec()
    by_key: dict[bytes, list[str | None]] = {}
    for _, _, key, value in sorted(records):
        event = decoded.decode(value)
        assert isinstance(event, NotificationPending)
        by_key.setdefault(key, []).append(event.detail)
    expected: dict[bytes, list[str | None]] = {}
    for e in published:
        expected.setdefault(e.partition_key.encode(), []).append(e.detail)
    assert by_key == expected
