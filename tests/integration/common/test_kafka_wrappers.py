"""The Kafka wrappers against the real broker: batches, commits after handling, retries with
backoff through the retry topic, and dead-lettering of what cannot be handled."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from notify_common import codec, topics
from notify_common.errors import PermanentError, RetryableError
from notify_common.events import Event, NotificationDelivered, NotificationPending
from notify_common.kafka import (
    H_ATTEMPT,
    H_NOT_BEFORE,
    H_ORIGINAL_TOPIC,
    BatchConsumer,
    EventProducer,
    Received,
    RetryPolicy,
    connection_options,
)
from notify_common.settings import CommonSettings

GROUP = topics.GROUP_CALLBACKS  # any declared group; its topics live under the test's own prefix


def pending(n: int = 0) -> NotificationPending:
    return NotificationPending(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), provider="mmg", detail=f"event {n}"
    )


async def consume_until(
    settings: CommonSettings,
    producer: EventProducer,
    handler: Callable[[Sequence[Received]], Awaitable[None]],
    done: Callable[[], bool],
    retry: RetryPolicy | None = None,
    timeout: float = 30,
    only: Mapping[str, Collection[type[Event]]] | None = None,
    commit_interval_ms: int = 0,
    while_running: Callable[[], Awaitable[None]] | None = None,
) -> None:
    consumer = BatchConsumer(
        settings,
        group=GROUP,
        topics=[topics.NOTIFICATION_STATUS],
        handler=handler,
        producer=producer,
        retry=retry,
        poll_timeout_ms=100,
        only=only,
        commit_interval_ms=commit_interval_ms,
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(timeout):
            while not done():
                await asyncio.sleep(0.05)
            if while_running is not None:
                await while_running()
    finally:
        consumer.request_stop()
        await task


async def read_dead_letters(
    settings: CommonSettings, expected: int
) -> list[tuple[bytes | None, dict[str, str]]]:
    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topics.dead_letter_topic(GROUP),
        auto_offset_reset="earliest",
        **connection_options(settings),
    )
    await consumer.start()
    out: list[tuple[bytes | None, dict[str, str]]] = []
    try:
        async with asyncio.timeout(20):
            while len(out) < expected:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    out += [(r.value, {k: bytes(v).decode() for k, v in r.headers}) for r in records]
    finally:
        await consumer.stop()
    return out


async def test_events_are_handled_in_batches_and_committed_offsets_are_not_read_again(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    first = [pending(i) for i in range(50)]
    await producer.publish_many((topics.NOTIFICATION_STATUS, e) for e in first)
    seen: list[Received] = []

    async def handle(batch: Sequence[Received]) -> None:
        seen.extend(batch)

    await consume_until(kafka, producer, handle, lambda: len(seen) >= 50)
    assert {r.event for r in seen} == set(first)
    assert all(r.topic == topics.NOTIFICATION_STATUS for r in seen)

    later = pending(99)
    await producer.publish(topics.NOTIFICATION_STATUS, later)
    again: list[Received] = []

    async def handle_again(batch: Sequence[Received]) -> None:
        again.extend(batch)

    await consume_until(kafka, producer, handle_again, lambda: len(again) >= 1)
    await asyncio.sleep(0.5)
    assert [r.event for r in again] == [later]


async def committed_offsets(settings: CommonSettings) -> int:
    """The offsets the group has committed on the status topic, summed over its partitions."""
    physical = settings.kafka_topic_prefix + topics.NOTIFICATION_STATUS
    admin = AIOKafkaAdminClient(**connection_options(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.kafka_topic_prefix + GROUP)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == physical)


async def test_with_a_commit_interval_handled_offsets_are_committed_by_then_or_at_stop(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    events = [pending(i) for i in range(30)]
    await producer.publish_many((topics.NOTIFICATION_STATUS, e) for e in events)
    seen: list[Received] = []
    while_running: list[int] = []

    async def handle(batch: Sequence[Received]) -> None:
        seen.extend(batch)

    async def look() -> None:
        while_running.append(await committed_offsets(kafka))

    # An interval far longer than the test: the handled batches are committed only at the stop.
    await consume_until(kafka, producer, handle, lambda: len(seen) >= 30, commit_interval_ms=3_600_000,
                        while_running=look)  # fmt: skip
    assert while_running == [0]
    assert await committed_offsets(kafka) == 30

    later = pending(99)
    await producer.publish(topics.NOTIFICATION_STATUS, later)
    again: list[Received] = []

    async def handle_again(batch: Sequence[Received]) -> None:
        again.extend(batch)

    await consume_until(kafka, producer, handle_again, lambda: len(again) >= 1, commit_interval_ms=3_600_000)
    await asyncio.sleep(0.5)
    assert [r.event for r in again] == [later]


async def test_a_retryable_failure_comes_back_through_the_retry_topic_and_then_succeeds(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    flaky, steady = pending(1), pending(2)
    await producer.publish_many([(topics.NOTIFICATION_STATUS, flaky), (topics.NOTIFICATION_STATUS, steady)])
    handled: list[Received] = []

    async def handle(batch: Sequence[Received]) -> None:
        # Fails whenever the flaky record is read from its original topic, so only the retry works.
        if any(item.event == flaky and item.attempt == 0 for item in batch):
            raise RetryableError("provider timed out")
        handled.extend(batch)

    await consume_until(
        kafka,
        producer,
        handle,
        lambda: any(r.event == flaky for r in handled),
        retry=RetryPolicy(base_delay_s=0.5),
    )
    retried = [r for r in handled if r.event == flaky]
    assert len(retried) == 1
    assert retried[0].attempt == 1
    assert retried[0].topic == topics.NOTIFICATION_STATUS  # the original topic, not the retry topic
    assert [r.event for r in handled].count(steady) == 1


async def test_a_record_that_keeps_failing_is_dead_lettered_after_its_attempts(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    doomed, fine = pending(1), pending(2)
    await producer.publish_many([(topics.NOTIFICATION_STATUS, doomed), (topics.NOTIFICATION_STATUS, fine)])
    attempts: list[int] = []
    handled: list[Received] = []

    async def handle(batch: Sequence[Received]) -> None:
        for item in batch:
            if item.event == doomed:
                attempts.append(item.attempt)
                raise RetryableError("still down")
        handled.extend(batch)

    await consume_until(
        kafka, producer, handle, lambda: 2 in attempts, retry=RetryPolicy(max_attempts=3, base_delay_s=0.2)
    )
    dead = await read_dead_letters(kafka, 1)
    assert sorted(set(attempts)) == [0, 1, 2]
    assert dead[0][1]["retry-attempt"] == "3"
    assert dead[0][1]["error"] == "RetryableError"
    assert dead[0][1]["original-topic"] == topics.NOTIFICATION_STATUS
    assert [r.event for r in handled] == [fine]


async def test_a_permanent_failure_goes_straight_to_the_dead_letter_topic(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    bad = pending(1)
    await producer.publish(topics.NOTIFICATION_STATUS, bad)
    calls = 0

    async def handle(batch: Sequence[Received]) -> None:
        nonlocal calls
        calls += 1
        raise PermanentError("cannot ever work")

    await consume_until(kafka, producer, handle, lambda: calls >= 1)
    dead = await read_dead_letters(kafka, 1)
    assert dead[0][1]["retry-attempt"] == "1"
    assert dead[0][1]["error"] == "PermanentError"
    await asyncio.sleep(0.5)
    assert calls == 1


async def test_an_undecodable_record_is_dead_lettered_and_does_not_block_the_partition(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    await producer.send_raw(topics.NOTIFICATION_STATUS, b"not avro at all", b"k", [])
    good = pending(1)
    await producer.publish(topics.NOTIFICATION_STATUS, good)
    handled: list[Received] = []

    async def handle(batch: Sequence[Received]) -> None:
        handled.extend(batch)

    await consume_until(kafka, producer, handle, lambda: len(handled) >= 1)
    dead = await read_dead_letters(kafka, 1)
    assert dead[0][0] == b"not avro at all"
    assert [r.event for r in handled] == [good]


async def test_a_consumer_given_event_types_hands_over_only_those_and_commits_past_the_others(
    kafka: CommonSettings, producer: EventProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = NotificationDelivered(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), provider="mmg",
        delivered_at=datetime.now(UTC),
    )  # fmt: skip
    await producer.publish_many((topics.NOTIFICATION_STATUS, e) for e in [pending(1), wanted, pending(2)])
    await producer.send_raw(topics.NOTIFICATION_STATUS, b"not avro at all", b"k", [])
    decoded: list[bytes] = []
    real_decode = codec.decode

    def counted(data: bytes) -> Event:
        decoded.append(data)
        return real_decode(data)

    monkeypatch.setattr(codec, "decode", counted)
    handled: list[Received] = []

    async def handle(batch: Sequence[Received]) -> None:
        handled.extend(batch)

    only = {topics.NOTIFICATION_STATUS: [NotificationDelivered]}
    await consume_until(kafka, producer, handle, lambda: len(handled) >= 1, only=only)
    # The pending events are passed over without being decoded; an undecodable record is still
    # dead-lettered.
    assert [r.event for r in handled] == [wanted]
    assert len(decoded) == 2
    assert (await read_dead_letters(kafka, 1))[0][0] == b"not avro at all"
    later: list[Received] = []

    async def handle_later(batch: Sequence[Received]) -> None:
        later.extend(batch)

    await producer.publish(topics.NOTIFICATION_STATUS, pending(3))
    again = replace(wanted, event_id=str(uuid.uuid4()))
    await producer.publish(topics.NOTIFICATION_STATUS, again)
    await consume_until(kafka, producer, handle_later, lambda: len(later) >= 1, only=only)
    assert [r.event for r in later] == [again]  # what was passed over was committed


async def read_topic_raw(settings: CommonSettings, topic: str) -> list[bytes | None]:
    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topic, auto_offset_reset="earliest", **connection_options(settings)
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=2000)
        return [r.value for records in batches.values() for r in records]
    finally:
        await consumer.stop()


async def test_an_unavailable_dependency_holds_the_records_back_without_spending_attempts_or_dead_lettering(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    events = [pending(i) for i in range(20)]
    await producer.publish_many((topics.NOTIFICATION_STATUS, e) for e in events)
    outage_calls = 0
    handled: list[Received] = []

    async def handle(batch: Sequence[Received]) -> None:
        nonlocal outage_calls
        if outage_calls < 8:  # longer than the retry budget of 3 attempts
            outage_calls += 1
            try:
                raise psycopg.OperationalError("connection failed: Connection refused")
            except psycopg.OperationalError as exc:
                raise RetryableError("claims database unavailable") from exc
        handled.extend(batch)

    retry = RetryPolicy(
        max_attempts=3, base_delay_s=0.1, unavailable_base_delay_s=0.05, unavailable_max_delay_s=0.2
    )
    await consume_until(kafka, producer, handle, lambda: len({r.event for r in handled}) >= 20, retry=retry)
    assert {r.event for r in handled} == set(events)
    assert all(r.attempt == 0 and r.topic == topics.NOTIFICATION_STATUS for r in handled)
    assert await read_topic_raw(kafka, topics.retry_topic(GROUP)) == []
    assert await read_topic_raw(kafka, topics.dead_letter_topic(GROUP)) == []

    again: list[Received] = []

    async def handle_again(batch: Sequence[Received]) -> None:
        again.extend(batch)

    later = pending(99)
    await producer.publish(topics.NOTIFICATION_STATUS, later)
    await consume_until(kafka, producer, handle_again, lambda: len(again) >= 1)
    await asyncio.sleep(0.5)
    assert [r.event for r in again] == [later]  # what was handled after the outage was committed


async def test_a_retry_not_due_for_minutes_does_not_hold_back_a_retry_due_now_behind_it(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    # Two records in one partition of the retry topic (same key): one on a late attempt, due in two
    # minutes, and behind it one due now (another notification's first retry).
    late, due_now = pending(1), pending(2)
    key = b"same-partition"
    now_ms = int(time.time() * 1000)
    for event, attempt, not_before in ((late, 4, now_ms + 120_000), (due_now, 1, now_ms)):
        headers = [
            (H_ORIGINAL_TOPIC, topics.NOTIFICATION_STATUS.encode()),
            (H_ATTEMPT, str(attempt).encode()),
            (H_NOT_BEFORE, str(not_before).encode()),
        ]
        await producer.send_raw(topics.retry_topic(GROUP), codec.encode(event), key, headers)
    handled: list[Received] = []

    async def handle(batch: Sequence[Received]) -> None:
        handled.extend(batch)

    await consume_until(kafka, producer, handle, lambda: any(r.event == due_now for r in handled))
    assert [r.event for r in handled] == [due_now]

    # The late record was moved behind it, not lost: it is still in the retry topic, still due later.
    again: list[Received] = []

    async def handle_again(batch: Sequence[Received]) -> None:
        again.extend(batch)

    with contextlib.suppress(TimeoutError):
        await consume_until(kafka, producer, handle_again, lambda: bool(again), timeout=3)
    assert again == []
    raw = await read_topic_raw(kafka, topics.retry_topic(GROUP))
    assert raw.count(codec.encode(late)) >= 1


async def test_a_batch_consumer_asked_for_a_fetch_size_hands_over_records_published_one_by_one_as_one_batch(
    kafka: CommonSettings, producer: EventProducer
) -> None:
    # One notification's events: one partition, so every fetch of them is one answer.
    nid = str(uuid.uuid4())
    first, *events = [dataclasses.replace(pending(i), notification_id=nid) for i in range(21)]
    batches: list[int] = []

    async def handle(batch: Sequence[Received]) -> None:
        batches.append(len(batch))

    consumer = BatchConsumer(
        kafka,
        group=GROUP,
        topics=[topics.NOTIFICATION_STATUS],
        handler=handle,
        producer=producer,
        poll_timeout_ms=100,
        # More than the 20 records make: the broker holds each fetch for the whole wait, in which
        # they are all published; with the default of 1 byte it answers as soon as the first lands.
        fetch_min_bytes=1024 * 1024,
        fetch_max_wait_ms=2000,
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(20):
            # A first record handled: the member is fetching before the others are published.
            await producer.publish(topics.NOTIFICATION_STATUS, first)
            while not batches:
                await asyncio.sleep(0.05)
            batches.clear()
            for event in events:  # each acknowledged before the next: 20 produce requests
                await producer.publish(topics.NOTIFICATION_STATUS, event)
            while sum(batches) < len(events):
                await asyncio.sleep(0.05)
    finally:
        consumer.request_stop()
        await task
    assert batches == [len(events)]
