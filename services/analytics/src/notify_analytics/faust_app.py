"""The faust application class of the analytics workers: faust's own, with a consumer that hands
the messages of its source topics to the counting code in batches, and a monitor that keeps no
per-message statistics.

faust delivers each message on its own: its ``Consumer._drain_messages`` awaits every message's
delivery in ``wait_first`` (four tasks and an ``asyncio.wait``), the conductor wraps it in an
event and queues it for each agent's stream, and the stream acknowledges it on its own. For a
worker that otherwise only counts, that was most of its CPU (docs/benchmarks-analytics.md).
Here a whole fetched batch is delivered under one flow-control wait, and the messages of a topic
given a batch handler (``AnalyticsApp.batches``) skip the conductor and the streams: the handler
gets them in lists of up to ``batch_size``, and they are acknowledged together once it returns.
Offsets are committed as faust commits them (its producer flushed first, so whatever the handler
sent to a changelog before returning is written before its messages' offsets), and a rebalance or
a stop still interrupts delivery at once: the messages not handed over are fetched again from the
committed offsets, as faust does after any rebalance. Other topics (the tables' changelogs) go
through faust's own path. Written against faust-streaming 0.15 (the version pinned by uv.lock).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from typing import Any, cast

import aiokafka
import faust
from faust.exceptions import ConsumerNotStarted
from faust.sensors.monitor import Monitor
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, EventT, Message, StreamT, TopicT
from faust.types.transports import TransportT
from faust.types.tuples import ack_lock
from mode import Service
from mode.utils.futures import notify

log = logging.getLogger(__name__)

# How many messages are delivered between yields to the event loop (faust's own figure).
YIELD_EVERY = 100

# Handles a list of messages of its topics, in offset order within each partition.
BatchHandler = Callable[[list[Message]], Awaitable[None]]


def messages_behind(
    end_offsets: Mapping[TP, int],
    read_offsets: Mapping[TP, int | None],
    assigned: Iterable[TP],
    topics: Collection[str],
) -> int:
    """How many messages of ``topics`` the ``assigned`` partitions have beyond the last read."""
    behind = 0
    for tp in assigned:
        end = end_offsets.get(tp)
        if end is None or tp.topic not in topics:
            continue
        last = read_offsets.get(tp)
        behind += max(0, end - (-1 if last is None else last) - 1)
    return behind


class GatheringConsumerThread(aiokafka_driver.AIOKafkaConsumerThread):
    """faust's aiokafka consumer thread, whose consumer asks the broker to gather
    ``AnalyticsApp.fetch_min_bytes`` before it answers a fetch, or to answer after
    ``AnalyticsApp.fetch_max_wait_ms``. faust passes neither (so 1 byte: a member that keeps up
    fetches each record as it lands, and every fetch is a request to the broker, a hop between
    the consumer's thread and the worker's loop, a batch handed over and a changelog record per
    partition written); a statistic published every few seconds loses nothing by waiting."""

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every assigned partition to its committed offset, and each source partition with
        none committed (or 0) to its earliest offset, as the reset policy would place it.

        faust seeks the source partitions back to their committed offsets after every recovery
        and whenever it drops fetched records (a fetch that returns while its flow is stopped, or
        records of a partition paused while they were being fetched), trusting the seek to make
        them be read again. aiokafka's ``seek_to_committed`` leaves a partition with no committed
        offset where it is, past the records dropped, so they were never counted: a worker that
        took over from one killed before its first commit skipped what it had fetched before its
        recovery ended. The tables' changelogs are left alone: recovery places those itself."""
        return cast(Mapping[TP, int], await self.call_thread(self._seek_to_committed_or_earliest))

    async def _seek_to_committed_or_earliest(self) -> Mapping[TP, int]:
        consumer = self._ensure_consumer()
        committed: dict[Any, int | None] = await consumer.seek_to_committed()
        changelogs = self.app.tables.changelog_topics
        uncommitted = [tp for tp, offset in committed.items() if not offset and tp.topic not in changelogs]
        if uncommitted:
            log.info(
                "source partitions with no committed offset read from their earliest",
                extra={"partitions": len(uncommitted)},
            )
            await consumer.seek_to_beginning(*uncommitted)
        return cast(Mapping[TP, int], committed)

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        app = cast(AnalyticsApp, self.app)
        # Read by the consumer's start, which builds its fetcher from them; faust's own call
        # takes no such arguments.
        consumer._fetch_min_bytes = app.fetch_min_bytes
        consumer._fetch_max_wait_ms = app.fetch_max_wait_ms
        return consumer


class BatchDrainingConsumer(aiokafka_driver.Consumer):
    """faust's aiokafka consumer, waiting on flow control once per fetched batch and handing the
    messages of the topics with a batch handler to it in lists."""

    def _new_consumer_thread(self) -> aiokafka_driver.AIOKafkaConsumerThread:
        return GatheringConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _deliver(self, messages: list[tuple[TP, Message]], start: int) -> int:
        """Deliver ``messages`` from ``start`` on; where it stopped: their number, or the index of
        the next message when offsets are due to be committed first (outside the wait, as faust
        commits them)."""
        app = cast(AnalyticsApp, self.app)
        handlers = app.batch_handlers
        batch_size = app.batch_size
        callback = self.callback
        read_offset = self._read_offset
        acks_enabled_for = app.topics.acks_enabled_for
        commit_every = self._commit_every
        pending: dict[BatchHandler, list[Message]] = {}
        since_yield = 0
        for index in range(start, len(messages)):
            tp, message = messages[index]
            offset = message.offset
            last = read_offset[tp]
            if last is not None and offset < last:
                continue  # read before: faust drops these too
            if commit_every is not None and self._n_acked >= commit_every:
                await self._hand_over(pending)
                return index
            if last and offset - last > 1 and acks_enabled_for(message.topic):
                await self._add_gap(tp, last + 1, offset)
            handler = handlers.get(message.topic)
            if handler is None:
                since_yield += 1
                if since_yield > YIELD_EVERY:
                    await asyncio.sleep(0)
                    since_yield = 0
                await callback(message)
            else:
                batch = pending.get(handler)
                if batch is None:
                    batch = pending[handler] = []
                batch.append(message)
                if len(batch) >= batch_size:
                    await self._hand_over({handler: pending.pop(handler)})
            read_offset[tp] = offset
        await self._hand_over(pending)
        return len(messages)

    async def _hand_over(self, pending: dict[BatchHandler, list[Message]]) -> None:
        """Hand each list to its handler and acknowledge its messages. Messages fetched before a
        rebalance are dropped instead, as faust's streams drop them: they are read again from
        the committed offsets."""
        app = cast(AnalyticsApp, self.app)
        for handler, batch in pending.items():
            generation = app.consumer_generation_id
            current = [m for m in batch if m.generation_id == generation]
            if not current or not app.flow_control.is_active():
                continue
            await app.producer.buffer.wait_until_ebb()
            await handler(current)
            self._ack_all(current)
            # Counting does not wait for anything: without this a fetch of a whole backlog would
            # hold the event loop (HTTP views, timers, commits) until all of it was counted.
            await asyncio.sleep(0)
        pending.clear()

    def _ack_all(self, messages: Iterable[Message]) -> None:
        """``Consumer.ack`` for each of ``messages``, with its bookkeeping done once."""
        acked, acked_index, committed_offset = self._acked, self._acked_index, self._committed_offset
        added = 0
        with ack_lock:
            for message in messages:
                if message.acked:
                    continue
                message.acked = True
                tp, offset = message.tp, message.offset
                committed = committed_offset[tp]
                if committed is None or offset >= committed:
                    index = acked_index[tp]
                    if offset not in index:
                        index.add(offset)
                        acked[tp].append(offset)
                        added += 1
            self._n_acked += added
        notify(self._waiting_for_ack)

    async def _deliver_all(self, messages: list[tuple[TP, Message]]) -> None:
        position = 0
        while not self.should_stop:
            deliver = self._deliver(messages, position)
            waited = await self.wait_first(deliver, self.suspend_flow.wait())
            if waited.stopped or deliver not in waited.done:
                return  # stopping, or the flow was suspended for a rebalance
            position = waited.results[waited.done.index(deliver)]
            if position >= len(messages):
                return
            self._n_acked = 0
            await self.commit()

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - the consumer's loop
        consumer_should_stop = cast(Service, self)._stopped.is_set
        fetcher_should_stop = cast(Service, fetcher)._stopped.is_set
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                # The fetch itself stays outside the wait: a fetch given up half-way would lose
                # the records it brought.
                await self.sleep(0)
                messages = [item async for item in self.getmany(timeout=1.0)]
                if messages and not self.should_stop:
                    await self._deliver_all(messages)
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)


class QuietMonitor(Monitor):
    """faust's monitor without its per-message and per-event bookkeeping (counts, timings, lookups
    by stream and task): nothing reads it here, the workers' series are their own (``metrics``),
    and it cost several microseconds an event."""

    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        pass

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT[Any], event: EventT[Any]
    ) -> dict[str, Any] | None:
        return None

    def on_stream_event_out(
        self,
        tp: TP,
        offset: int,
        stream: StreamT[Any],
        event: EventT[Any],
        state: dict[str, Any] | None = None,
    ) -> None:
        pass

    def on_message_out(self, tp: TP, offset: int, message: Message) -> None:
        pass


class BatchDrainingTransport(aiokafka_driver.Transport):
    Consumer = BatchDrainingConsumer


class AnalyticsApp(faust.App):
    """A faust app whose consumer is ``BatchDrainingConsumer`` (Kafka brokers only) and whose
    monitor is ``QuietMonitor``. ``batch_size``: the most messages a batch handler gets at once;
    ``fetch_min_bytes`` and ``fetch_max_wait_ms``: what its fetches ask the broker to gather or
    wait for (``GatheringConsumerThread``)."""

    def __init__(
        self,
        id: str,
        *,
        batch_size: int = 1000,
        fetch_min_bytes: int = 1,
        fetch_max_wait_ms: int = 1500,
        **options: Any,
    ) -> None:
        super().__init__(id, Monitor=QuietMonitor, **options)
        self.batch_size = batch_size
        self.fetch_min_bytes = fetch_min_bytes
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.batch_handlers: dict[str, BatchHandler] = {}

    def batches(self, topic: TopicT, handler: BatchHandler) -> None:
        """Subscribe to ``topic``'s topics and hand their messages to ``handler`` in lists (instead
        of to agents: nothing else reads them). Its messages are acknowledged when it returns."""
        for name in topic.topics:
            self.batch_handlers[name] = handler
        self.topics.add(topic)

    def behind(self) -> int:
        """How many messages of the batch handlers' topics the partitions this worker holds are
        known to have beyond those it has read (from the end offsets of its latest fetches)."""
        consumer = self.consumer
        try:
            assigned = consumer.assignment()
        except ConsumerNotStarted:
            return 0
        read = cast(BatchDrainingConsumer, consumer)._read_offset
        return messages_behind(self.monitor.tp_end_offsets, read, assigned, self.batch_handlers.keys())

    def _new_transport(self) -> TransportT:
        return BatchDrainingTransport(self.conf.broker_consumer, self)
