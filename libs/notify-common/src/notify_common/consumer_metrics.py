"""What a Kafka consumer reports about itself (the consumer series of ``notify_common.metrics``):
records by outcome, records sent to the retry and dead-letter topics, whether it is paused for an
unavailable dependency, and its lag, computed by the consumer from its own positions and the
high-water marks its fetches return (so no admin client and no extra request to the brokers)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from aiokafka import TopicPartition

from notify_common.metrics import (
    CONSUMER_LAG,
    CONSUMER_PAUSED,
    CONSUMER_RECORDS,
    DEAD_LETTERS,
    RETRY_RECORDS,
    UNCOUNTED,
    Children,
    counting,
)


class _Topics(Protocol):
    def logical(self, physical: str) -> str: ...


def partition_lags(
    positions: Mapping[TopicPartition, int], highwaters: Mapping[TopicPartition, int | None]
) -> dict[TopicPartition, int]:
    """Records behind the high-water mark for each partition whose position and high-water mark
    are both known (a partition not fetched yet has none). Never negative: a high-water mark is
    only as new as the last fetch, so the position may be a little ahead of it."""
    lags: dict[TopicPartition, int] = {}
    for tp, position in positions.items():
        highwater = highwaters.get(tp)
        if highwater is not None:
            lags[tp] = max(0, highwater - position)
    return lags


class ConsumerMetrics:
    """The consumer series of one consumer of ``group`` (labelled with logical topic names)."""

    def __init__(self, group: str, names: _Topics, *, lag_interval_s: float = 1.0) -> None:
        self.group, self._names = group, names
        self._records = Children(CONSUMER_RECORDS)
        self._retries = Children(RETRY_RECORDS)
        self._dead = Children(DEAD_LETTERS)
        self._paused = CONSUMER_PAUSED.labels(group) if counting() else UNCOUNTED
        self._paused.set(0)
        self._lag_interval_s = lag_interval_s
        self._next_lag = 0.0
        # Each partition reported: its labels (logical topic, partition) and its lag series.
        self._lags: dict[TopicPartition, tuple[tuple[str, str], Any]] = {}

    def handled(self, topics: Iterable[str]) -> None:
        """Records handled (``topics``: the logical topic of each)."""
        if not counting():
            return
        for topic, count in collections.Counter(topics).items():
            self._records(self.group, topic, "ok").inc(count)

    def retried(self, topic: str) -> None:
        self._records(self.group, topic, "retry").inc()
        self._retries(topic).inc()

    def dead_lettered(self, topic: str) -> None:
        self._records(self.group, topic, "dead_letter").inc()
        self._dead(topic).inc()

    def paused(self, paused: bool) -> None:
        self._paused.set(1 if paused else 0)

    async def report_lag(self, consumer: Any) -> None:
        """Set the lag of every partition ``consumer`` has (at most once per interval) and drop the
        partitions it no longer has. A position is usually known, so asking for it completes at
        once; the timeout bounds the wait for one being reset (a scope, not a task per partition)."""
        now = time.monotonic()
        if now < self._next_lag or not counting():
            return
        self._next_lag = now + self._lag_interval_s
        positions: dict[TopicPartition, int] = {}
        highwaters: dict[TopicPartition, int | None] = {}
        for tp in consumer.assignment():
            highwaters[tp] = consumer.highwater(tp)
            if highwaters[tp] is None:
                continue
            # A partition being revoked or reset has no position to report this time.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(0.5):
                    positions[tp] = await consumer.position(tp)
        self.set_lags(partition_lags(positions, highwaters))

    def set_lags(self, lags: Mapping[TopicPartition, int]) -> None:
        reported: dict[TopicPartition, tuple[tuple[str, str], Any]] = {}
        for tp, lag in lags.items():
            series = self._lags.get(tp)
            if series is None:
                key = (self._names.logical(tp.topic), str(tp.partition))
                series = (key, CONSUMER_LAG.labels(self.group, *key))
            series[1].set(lag)
            reported[tp] = series
        for gone in self._lags.keys() - reported.keys():
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.group, *self._lags[gone][0])
        self._lags = reported
