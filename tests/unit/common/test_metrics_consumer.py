"""The consumer series every consumer reports about itself: lag from its own positions and the
high-water marks of its fetches, records by outcome, retries and dead letters, and the paused gauge
while a dependency is unavailable (a fake producer and a fake aiokafka consumer; no Kafka)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from notify_common import topics
from notify_common.consumer_metrics import ConsumerMetrics, partition_lags
from notify_common.errors import PermanentError, RetryableError
from notify_common.events import NotificationPending
from notify_common.kafka import EventProducer, Handler, Received, RecordRouter, RetryPolicy, TopicNames
from notify_common.metrics import CONSUMER_LAG
from notify_common.settings import CommonSettings

PREFIX = "test-run."
STATUS = topics.NOTIFICATION_STATUS


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class FakeConsumer:
    """What the lag report reads of an aiokafka consumer."""

    def __init__(self, positions: dict[TopicPartition, int], highwaters: dict[TopicPartition, int | None]):
        self.positions, self.highwaters = positions, highwaters

    def assignment(self) -> set[TopicPartition]:
        return set(self.highwaters)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters[tp]

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]


class RecordingProducer(EventProducer):
    def __init__(self) -> None:
        super().__init__(CommonSettings(), client_id="unit")

    async def send_raw(
        self, topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        return None


def tp(topic: str, partition: int) -> TopicPartition:
    return TopicPartition(PREFIX + topic, partition)


def item(offset: int) -> Received:
    event = NotificationPending(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), provider="mmg", detail=str(offset)
    )
    return Received(topic=STATUS, partition=0, offset=offset, key=None, event=event)


def router(handler: Handler) -> RecordRouter:
    group = f"unit-{uuid.uuid4().hex[:8]}"
    return RecordRouter(
        TopicNames(PREFIX), group=group, handler=handler, producer=RecordingProducer(), retry=RetryPolicy()
    )


def refused() -> RetryableError:
    try:
        raise psycopg.OperationalError("connection failed: Connection refused")
    except psycopg.OperationalError as exc:
        try:
            raise RetryableError("database unavailable") from exc
        except RetryableError as wrapped:
            return wrapped


def test_lag_is_the_high_water_mark_less_the_position() -> None:
    a, b = tp(STATUS, 0), tp(STATUS, 1)
    assert partition_lags({a: 90, b: 7}, {a: 100, b: 7}) == {a: 10, b: 0}


def test_a_partition_not_fetched_yet_has_no_lag_to_report() -> None:
    a, b = tp(STATUS, 0), tp(STATUS, 1)
    assert partition_lags({a: 5, b: 0}, {a: 5, b: None}) == {a: 0}


def test_a_position_ahead_of_an_older_high_water_mark_is_no_lag_not_a_negative_one() -> None:
    a = tp(STATUS, 0)
    assert partition_lags({a: 12}, {a: 10}) == {a: 0}


async def test_the_lag_of_each_partition_is_reported_by_logical_topic_and_partition() -> None:
    group = f"unit-{uuid.uuid4().hex[:8]}"
    metrics = ConsumerMetrics(group, TopicNames(PREFIX))
    retry = topics.retry_topic(topics.GROUP_PROJECTOR)
    consumer = FakeConsumer(
        {tp(STATUS, 0): 40, tp(STATUS, 1): 3, tp(retry, 0): 0},
        {tp(STATUS, 0): 100, tp(STATUS, 1): 3, tp(retry, 0): 2},
    )
    await metrics.report_lag(consumer)
    assert sample("notify_consumer_lag", group=group, topic=STATUS, partition="0") == 60
    assert sample("notify_consumer_lag", group=group, topic=STATUS, partition="1") == 0
    assert sample("notify_consumer_lag", group=group, topic=retry, partition="0") == 2


async def test_a_partition_given_up_in_a_rebalance_stops_being_reported() -> None:
    group = f"unit-{uuid.uuid4().hex[:8]}"
    metrics = ConsumerMetrics(group, TopicNames(PREFIX), lag_interval_s=0)
    await metrics.report_lag(
        FakeConsumer({tp(STATUS, 0): 1, tp(STATUS, 1): 1}, {tp(STATUS, 0): 5, tp(STATUS, 1): 9})
    )
    await metrics.report_lag(FakeConsumer({tp(STATUS, 0): 5}, {tp(STATUS, 0): 5}))
    assert (
        REGISTRY.get_sample_value("notify_consumer_lag", {"group": group, "topic": STATUS, "partition": "1"})
        is None
    )
    assert sample("notify_consumer_lag", group=group, topic=STATUS, partition="0") == 0


async def test_records_handled_retried_and_dead_lettered_are_counted_by_outcome() -> None:
    batch = [item(0), item(1), item(2)]
    bad, flaky = batch[0].event, batch[1].event

    async def handle(records: Sequence[Received]) -> None:
        if len(records) > 1 or records[0].event == bad:
            raise PermanentError("cannot ever work")
        if records[0].event == flaky:
            raise RetryableError("not projected yet")

    routed = router(handle)
    group = routed.group
    retries, dead = (
        sample("notify_retry_records_total", topic=STATUS),
        sample("notify_dead_letters_total", topic=STATUS),
    )
    assert await routed.handle(batch) == []
    assert sample("notify_consumer_records_total", group=group, topic=STATUS, outcome="ok") == 1
    assert sample("notify_consumer_records_total", group=group, topic=STATUS, outcome="retry") == 1
    assert sample("notify_consumer_records_total", group=group, topic=STATUS, outcome="dead_letter") == 1
    assert sample("notify_retry_records_total", topic=STATUS) == retries + 1
    assert sample("notify_dead_letters_total", topic=STATUS) == dead + 1


async def test_the_paused_gauge_is_one_while_a_dependency_is_unavailable_and_zero_after() -> None:
    down = True

    async def handle(records: Sequence[Received]) -> None:
        if down:
            raise refused()

    routed = router(handle)
    assert sample("notify_consumer_paused", group=routed.group) == 0
    batch = [item(0), item(1)]
    assert await routed.handle(batch) == batch
    assert sample("notify_consumer_paused", group=routed.group) == 1
    assert sample("notify_consumer_records_total", group=routed.group, topic=STATUS, outcome="ok") == 0
    down = False
    assert await routed.handle(batch) == []
    assert sample("notify_consumer_paused", group=routed.group) == 0
    assert sample("notify_consumer_records_total", group=routed.group, topic=STATUS, outcome="ok") == 2


async def test_each_partitions_lag_series_is_looked_up_once_not_at_every_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[tuple[str, ...]] = []
    labels = CONSUMER_LAG.labels

    def counting_labels(*values: str) -> Any:
        looked_up.append(values)
        return labels(*values)

    monkeypatch.setattr(CONSUMER_LAG, "labels", counting_labels)
    group = f"unit-{uuid.uuid4().hex[:8]}"
    metrics = ConsumerMetrics(group, TopicNames(PREFIX), lag_interval_s=0)
    for position in (1, 2, 3):
        await metrics.report_lag(FakeConsumer({tp(STATUS, 0): position}, {tp(STATUS, 0): 5}))
    assert sample("notify_consumer_lag", group=group, topic=STATUS, partition="0") == 2
    assert looked_up == [(group, STATUS, "0")]
