"""The faust application class of the analytics workers: faust's own, with a consumer that hands
each fetched batch of messages to the agents under one flow-control wait instead of one per
message, and a monitor that keeps no per-message statistics.

faust's ``Consumer._drain_messages`` awaits every message's delivery in ``wait_first`` (the
delivery against the flow being suspended for a rebalance, and the service stopping or
crashing): four tasks and an ``asyncio.wait`` per message, the largest single cost of a worker
that otherwise only counts (docs/benchmarks-analytics.md). Here the same wait covers a whole
fetched batch: a rebalance or a stop still interrupts delivery at once, and the messages not
delivered are fetched again from the committed offsets, as faust does after any rebalance.
Written against faust-streaming 0.15 (the version pinned by uv.lock).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import faust
from faust.sensors.monitor import Monitor
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, EventT, Message, StreamT
from faust.types.transports import TransportT
from mode import Service

# How many messages are delivered between yields to the event loop (faust's own figure).
YIELD_EVERY = 100


class BatchDrainingConsumer(aiokafka_driver.Consumer):
    """faust's aiokafka consumer, waiting on flow control once per fetched batch."""

    async def _deliver(self, messages: list[tuple[TP, Message]], start: int) -> int:
        """Deliver ``messages`` from ``start`` on; where it stopped: their number, or the index of
        the next message when offsets are due to be committed first (outside the wait, as faust
        commits them)."""
        callback = self.callback
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        commit_every = self._commit_every
        since_yield = 0
        for index in range(start, len(messages)):
            tp, message = messages[index]
            since_yield += 1
            if since_yield > YIELD_EVERY:
                await asyncio.sleep(0)
                since_yield = 0
            offset = message.offset
            last = read_offset[tp]
            if last is not None and offset < last:
                continue  # read before: faust drops these too
            if commit_every is not None and self._n_acked >= commit_every:
                return index
            if last and offset - last > 1 and acks_enabled_for(message.topic):
                await self._add_gap(tp, last + 1, offset)
            await callback(message)
            read_offset[tp] = offset
        return len(messages)

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
    monitor is ``QuietMonitor``."""

    def __init__(self, id: str, **options: Any) -> None:
        super().__init__(id, Monitor=QuietMonitor, **options)

    def _new_transport(self) -> TransportT:
        return BatchDrainingTransport(self.conf.broker_consumer, self)
