"""A consumer with many batches in flight, for a consumer app that reads in lanes (the
sms-sender's priority and bulk lanes, docs/adr/0002); ``notify_common.runtime`` runs one per lane.

* Each lane is one member of the app's consumer group reading its own topics, so a fetch of one
  lane's records never holds up a fetch of another's, and each lane has its own handler (with its
  own provider-call slots).
* A lane hands a batch to its handler as soon as ``getmany`` returns it and reads on while it is
  being handled, up to ``max_in_flight`` records; so a message waits for its own claim and call,
  not for the previous batch to be published and committed.
* A lane that yields to another (bulk to priority) takes no new records while that one is busy
  (at least half its window in flight), so the process's CPU goes to it until it catches up.
* Offsets are committed in order: a partition's offset advances only past batches whose handler
  has returned, in a commit every ``commit_interval_s``; on a rebalance a revoked partition's
  batches are finished and committed before it is given up; on stop (SIGTERM) everything in
  flight is finished and committed.

Failures are handled by the same ``notify_common.kafka.RecordRouter`` as ``BatchConsumer``'s: a
batch whose handler raises is retried record by record, a record failing with ``RetryableError`` goes to the
retry topic with backoff and otherwise to the dead-letter topic; retry records not yet due pause
their partition until they are. While a dependency is unavailable (the claims database, Kafka) a
batch waits and is handed over again with capped backoff, in its own task while the lane polls on;
it is never committed past, never dead-lettered and spends no retry attempt.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from notify_common.kafka import (
    EventProducer,
    Handler,
    Received,
    RecordRouter,
    RetryPolicy,
    Skip,
    TopicNames,
    group_consumer,
)
from notify_common.settings import CommonSettings

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(eq=False)
class _Batch:
    ends: dict[TopicPartition, int]  # next offset to commit per partition, once done
    done: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class LaneConsumer:
    """One consumer of the group reading one lane's topics; see the module docstring."""

    def __init__(
        self,
        settings: CommonSettings,
        *,
        name: str,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        producer: EventProducer,
        retry: RetryPolicy,
        max_records: int = 500,
        max_in_flight: int = 1_000,
        poll_timeout_ms: int = 200,
        fetch_min_bytes: int = 1,
        fetch_max_wait_ms: int = 100,
        commit_interval_s: float = 0.2,
        yield_to: LaneConsumer | None = None,
        skip: Skip | None = None,
    ) -> None:
        self.name, self.group = name, group
        self.names = TopicNames(settings.kafka_topic_prefix)
        self._records = RecordRouter(
            self.names, group=group, handler=handler, producer=producer, retry=retry,
            log_extra={"lane": name}, skip=skip,
        )  # fmt: skip
        self._max_records, self._max_in_flight = max_records, max_in_flight
        self._poll_timeout_ms, self._commit_interval_s = poll_timeout_ms, commit_interval_s
        self._yield_to = yield_to
        # A fetch in flight holds up the next fetch of a partition just drained: keep its wait short
        # for a lane whose latency matters (and its minimum small, or it waits that long each time).
        self._consumer = group_consumer(
            settings,
            group,
            f"{group}-{name}",
            fetch_min_bytes=fetch_min_bytes,
            fetch_max_wait_ms=fetch_max_wait_ms,
        )
        self._topics = sorted(self.names.physical(t) for t in topics)
        self._stopping = asyncio.Event()
        self._pending: dict[TopicPartition, collections.deque[_Batch]] = {}
        self._to_commit: dict[TopicPartition, int] = {}
        self._batches: set[_Batch] = set()
        self._room = asyncio.Event()
        self._failure: BaseException | None = None
        self.in_flight = 0
        self.handled = 0
        self.last_poll_monotonic = 0.0

    @property
    def assigned(self) -> bool:
        return bool(self._consumer.assignment())

    @property
    def busy(self) -> bool:
        """At least half the window in flight: a lane that others should yield to."""
        return self.in_flight * 2 >= self._max_in_flight

    @property
    def yields_now(self) -> bool:
        """Whether this lane takes no new records now, because the lane it yields to is busy."""
        return self._yield_to is not None and self._yield_to.busy

    async def start(self) -> None:
        self._consumer.subscribe(self._topics, listener=_Listener(self))
        await self._consumer.start()

    def request_stop(self) -> None:
        self._stopping.set()
        self._room.set()

    async def run(self) -> None:
        """Poll and dispatch until asked to stop; then finish what is in flight, commit, leave."""
        committer = asyncio.create_task(self._commit_periodically())
        try:
            while not self._stopping.is_set():
                self.last_poll_monotonic = time.monotonic()
                await self._records.metrics.report_lag(self._consumer)
                room = self._max_in_flight - self.in_flight
                if room <= 0 or self.yields_now:
                    self._room.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._room.wait(), timeout=0.05)
                    continue
                self._records.resume_due_partitions(self._consumer)
                batches = await self._consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=min(self._max_records, room)
                )
                if batches:
                    await self._dispatch(batches)
        finally:
            committer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await committer
            await self._finish(None)
            await self._consumer.stop()
        if self._failure is not None:
            raise self._failure

    async def _dispatch(self, batches: dict[TopicPartition, list[Record]]) -> None:
        ready, ends = await self._records.decode_batches(self._consumer, batches)
        if not ends:
            return
        batch = _Batch(ends)
        for tp in ends:
            self._pending.setdefault(tp, collections.deque()).append(batch)
        self._batches.add(batch)
        self.in_flight += len(ready)
        batch.task = asyncio.create_task(self._run_batch(batch, ready))

    async def _run_batch(self, batch: _Batch, ready: list[Received]) -> None:
        try:
            if ready:
                await self._records.handle_until_done(ready, self._stopping)
        except BaseException as exc:
            # Not even routed to the retry topic (Kafka down?): never commit past this batch; stop
            # the lane, so the process exits and its records are read again after the restart.
            if self._failure is None:
                self._failure = exc
            self.request_stop()
            return
        finally:
            self.in_flight -= len(ready)
            self._room.set()
            self._batches.discard(batch)
        self.handled += len(ready)
        batch.done = True
        for tp in batch.ends:
            queue = self._pending.get(tp)
            while queue and queue[0].done:
                self._to_commit[tp] = queue.popleft().ends[tp]

    async def _commit_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._commit_interval_s)
            await self._commit(None)

    async def _commit(self, only: set[TopicPartition] | None) -> None:
        if only is None:
            offsets, self._to_commit = self._to_commit, {}
        else:
            offsets = {tp: o for tp, o in self._to_commit.items() if tp in only}
            for tp in offsets:
                del self._to_commit[tp]
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:
            # The records are handled again after the rebalance; their claims make that harmless.
            log.warning(
                "offset commit failed",
                extra={"group": self.group, "lane": self.name, "error": type(exc).__name__},
            )

    async def _finish(self, partitions: set[TopicPartition] | None) -> None:
        """Wait for the batches holding ``partitions`` (all if None), then commit them."""
        waiting = [
            b.task
            for b in list(self._batches)
            if b.task is not None and (partitions is None or partitions & b.ends.keys())
        ]
        if waiting:
            await asyncio.wait(waiting)
        await self._commit(partitions)
        for tp in partitions if partitions is not None else list(self._pending):
            self._pending.pop(tp, None)
            self._records.forget(tp)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, lane: LaneConsumer) -> None:
        self._lane = lane

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._lane._finish(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None
