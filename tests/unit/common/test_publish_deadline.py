"""The producer's bounded wait for Kafka's acknowledgement (``publish_many(ack_within=...)``): a
send acknowledged in time returns, one that is not raises ``PublishTimeout`` at once after the
bound, and its outcome still ends when Kafka answers after all."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from notify_common import codec, topics
from notify_common.events import NotificationPending
from notify_common.kafka import EventProducer, PublishTimeout, _Deadlines
from notify_common.settings import CommonSettings

EVENT = NotificationPending(notification_id="n-1", service_id="s-1", provider="mmg")


class Broker:
    """Stands in for aiokafka's producer: each send's acknowledgement is a future it holds."""

    def __init__(self, *, acknowledge: bool) -> None:
        self.acknowledge = acknowledge
        self.acks: list[asyncio.Future[None]] = []

    async def send(self, topic: str, **_: Any) -> asyncio.Future[None]:
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.acknowledge:
            ack.set_result(None)
        self.acks.append(ack)
        return ack


def producer(broker: Broker) -> EventProducer:
    made = EventProducer(CommonSettings(), client_id="unit")
    made._producer = broker
    return made


async def test_a_send_acknowledged_in_time_returns() -> None:
    broker = Broker(acknowledge=True)
    await producer(broker).publish_many([(topics.NOTIFICATION_STATUS, EVENT)], ack_within=5.0)
    assert len(broker.acks) == 1


async def test_a_send_not_acknowledged_in_time_raises_and_its_outcome_ends_with_the_late_ack() -> None:
    broker = Broker(acknowledge=False)
    with pytest.raises(PublishTimeout) as raised:
        await producer(broker).publish_many([(topics.NOTIFICATION_STATUS, EVENT)], ack_within=0.05)
    assert not raised.value.outcome.done()
    broker.acks[0].set_result(None)
    await asyncio.wait_for(raised.value.outcome, timeout=5)


async def test_sends_waiting_at_once_each_get_their_own_answer() -> None:
    slow, quick = Broker(acknowledge=False), Broker(acknowledge=True)
    outcomes = await asyncio.gather(
        producer(slow).publish_many([(topics.NOTIFICATION_STATUS, EVENT)], ack_within=0.05),
        producer(quick).publish_many([(topics.NOTIFICATION_STATUS, EVENT)], ack_within=0.05),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], PublishTimeout)
    assert outcomes[1] is None


def test_a_deadline_set_in_a_second_event_loop_is_kept_by_that_loop() -> None:
    # Slots of a second: both waiters fall in the same one, whose first timer went with its loop.
    deadlines = _Deadlines(slot_s=1.0)

    async def first() -> None:
        deadlines.waiter(0.01)

    async def second() -> None:
        await asyncio.wait_for(deadlines.waiter(0.01), timeout=5)

    with asyncio.Runner() as runner:
        runner.run(first())
    with asyncio.Runner() as runner:
        runner.run(second())


async def test_the_codec_is_built_when_the_producer_is_made_not_on_its_first_send() -> None:
    # Building it parses every schema: at start-up, before the service freezes what start-up
    # built out of the garbage collector's sight, not on a request.
    codec.default_codec.cache_clear()
    EventProducer(CommonSettings(), client_id="unit")
    assert codec.default_codec.cache_info().currsize == 1
