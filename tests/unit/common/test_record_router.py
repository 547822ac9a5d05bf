"""The shared RecordRouter with a fake producer: which records it hands back while a dependency is
unavailable, which it routes, and the capped backoff of its pauses."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any, cast

import psycopg
import pytest
from aiokafka import ConsumerRecord, TopicPartition

from notify_common import codec, topics
from notify_common.errors import DependencyUnavailableError, PermanentError, RetryableError
from notify_common.events import NotificationPending
from notify_common.kafka import (
    H_ATTEMPT,
    H_ERROR,
    H_ORIGINAL_TOPIC,
    EventProducer,
    Handler,
    Received,
    RecordRouter,
    RetryPolicy,
    TopicNames,
)
from notify_common.settings import CommonSettings


class RecordingProducer(EventProducer):
    def __init__(self) -> None:
        super().__init__(CommonSettings(), client_id="unit")
        self.sent: list[tuple[str, dict[str, str]]] = []

    async def send_raw(
        self, topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        self.sent.append((topic, {k: v.decode() for k, v in headers}))


def item(offset: int) -> Received:
    event = NotificationPending(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), provider="mmg", detail=str(offset)
    )
    return Received(topic=topics.NOTIFICATION_STATUS, partition=0, offset=offset, key=None, event=event)


def refused() -> RetryableError:
    try:
        raise psycopg.OperationalError("connection failed: Connection refused")
    except psycopg.OperationalError as exc:
        try:
            raise RetryableError("database unavailable") from exc
        except RetryableError as wrapped:
            return wrapped


def router(handler: Handler, producer: RecordingProducer, policy: RetryPolicy | None = None) -> RecordRouter:
    return RecordRouter(
        TopicNames(""),
        group=topics.GROUP_PROJECTOR,
        handler=handler,
        producer=producer,
        retry=policy or RetryPolicy(),
    )


async def test_a_batch_failing_for_an_unavailable_dependency_is_handed_back_whole_and_nothing_is_routed() -> (
    None
):
    producer = RecordingProducer()
    batch = [item(i) for i in range(3)]

    async def handle(records: Sequence[Received]) -> None:
        raise refused()

    assert await router(handle, producer).handle(batch) == batch
    assert producer.sent == []


async def test_records_already_settled_one_at_a_time_are_not_handed_back() -> None:
    producer = RecordingProducer()
    batch = [item(0), item(1), item(2)]
    bad, down = batch[0].event, batch[1].event

    async def handle(records: Sequence[Received]) -> None:
        if len(records) > 1 or records[0].event == bad:
            raise PermanentError("cannot ever work")
        if records[0].event == down:
            raise DependencyUnavailableError("job store unavailable")

    left = await router(handle, producer).handle(batch)
    assert left == batch[1:]
    assert [topic for topic, _ in producer.sent] == [topics.dead_letter_topic(topics.GROUP_PROJECTOR)]


async def test_a_retryable_failure_of_the_record_still_spends_an_attempt() -> None:
    producer = RecordingProducer()

    async def handle(records: Sequence[Received]) -> None:
        raise RetryableError("notification not projected yet")

    assert await router(handle, producer).handle([item(0)]) == []
    [(topic, headers)] = producer.sent
    assert topic == topics.retry_topic(topics.GROUP_PROJECTOR)
    assert headers["retry-attempt"] == "1"


async def test_a_failure_to_reach_the_retry_topic_hands_the_record_back() -> None:
    class DownProducer(RecordingProducer):
        async def send_raw(
            self, topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
        ) -> None:
            raise TimeoutError

    async def handle(records: Sequence[Received]) -> None:
        raise RetryableError("callback failed")

    batch = [item(0)]
    assert await router(handle, DownProducer()).handle(batch) == batch


async def test_waiting_in_place_ends_when_the_dependency_is_back_and_on_stop() -> None:
    policy = RetryPolicy(unavailable_base_delay_s=0.01, unavailable_max_delay_s=0.02)
    calls = 0

    async def handle(records: Sequence[Received]) -> None:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise refused()

    await router(handle, RecordingProducer(), policy).handle_until_done([item(0)], asyncio.Event())
    assert calls == 4

    async def always_down(records: Sequence[Received]) -> None:
        raise refused()

    stopping = asyncio.Event()
    stopping.set()
    with pytest.raises(DependencyUnavailableError):
        await router(always_down, RecordingProducer(), policy).handle_until_done([item(0)], stopping)


@pytest.mark.parametrize(
    ("failures", "pause"), [(1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 30.0), (50, 30.0), (10_000, 30.0)]
)
def test_pauses_double_up_to_their_cap(failures: int, pause: float) -> None:
    assert RetryPolicy().unavailable_delay(failures) == pause


def _record(value: bytes, offset: int, headers: list[tuple[str, bytes]]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topics.NOTIFICATION_STATUS, 0, offset, 0, 0, b"k", value, None, 1, len(value), headers
    )  # fmt: skip


async def test_decoded_records_carry_their_logical_topic_or_the_first_topic_and_attempt_of_a_retry() -> None:
    event = item(0).event
    plain = _record(codec.encode(event), 7, [("traceparent", b"00-x")])
    retried = _record(
        codec.encode(event), 8, [(H_ORIGINAL_TOPIC, b"notify.sms.requested"), (H_ATTEMPT, b"3")]
    )
    tp = TopicPartition(topics.NOTIFICATION_STATUS, 0)

    ready, ends = await router(_nothing, RecordingProducer()).decode_batches(
        cast(Any, None), {tp: [plain, retried]}
    )

    assert [(r.topic, r.offset, r.attempt, r.event) for r in ready] == [
        (topics.NOTIFICATION_STATUS, 7, 0, event),
        ("notify.sms.requested", 8, 3, event),
    ]
    assert ends == {tp: 9}


@pytest.mark.parametrize(
    ("value", "headers", "error"),
    [
        (b"not avro at all", [], "UnknownSchemaError"),
        # A retried record whose attempt header is no number: refused like an undecodable one,
        # rather than stopping the consumer.
        (None, [(H_ATTEMPT, b"three")], "ValueError"),
    ],
)
async def test_a_record_that_cannot_be_read_goes_to_the_dead_letter_topic_and_is_passed(
    value: bytes | None, headers: list[tuple[str, bytes]], error: str
) -> None:
    producer = RecordingProducer()
    tp = TopicPartition(topics.NOTIFICATION_STATUS, 0)
    record = _record(value if value is not None else codec.encode(item(0).event), 4, headers)

    ready, ends = await router(_nothing, producer).decode_batches(cast(Any, None), {tp: [record]})

    assert ready == []
    assert ends == {tp: 5}
    assert [topic for topic, _ in producer.sent] == [topics.dead_letter_topic(topics.GROUP_PROJECTOR)]
    assert producer.sent[0][1][H_ORIGINAL_TOPIC] == topics.NOTIFICATION_STATUS
    assert producer.sent[0][1][H_ERROR] == error


async def _nothing(records: Sequence[Received]) -> None:
    return None
