"""The producer's bounded wait for Kafka's acknowledgement (``publish_many(ack_within=...)``): a
send acknowledged in time returns, one that is not raises ``PublishTimeout`` at once after the
bound, and its outcome still ends when Kafka answers after all. After such a timeout, sends with a
deadline are refused at once (``KafkaUnavailable``, nothing handed to the producer) but for a
probe every interval, until Kafka acknowledges again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from notify_common import codec, topics
from notify_common.events import NotificationPending
from notify_common.kafka import EventProducer, KafkaUnavailable, PublishTimeout, _Breaker, _Deadlines
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


def producer(broker: Broker, *, probe_every_s: float = 1.0) -> EventProducer:
    made = EventProducer(CommonSettings(), client_id="unit")
    made._records = broker
    made._breaker = _Breaker(probe_every_s=probe_every_s)
    return made


SEND = [(topics.NOTIFICATION_STATUS, EVENT)]


async def timed_out(made: EventProducer) -> PublishTimeout:
    with pytest.raises(PublishTimeout) as raised:
        await made.publish_many(SEND, ack_within=0.05)
    return raised.value


async def opened(probe_every_s: float) -> tuple[Broker, EventProducer, PublishTimeout]:
    """A producer whose first send went unacknowledged, and so refuses sends with a deadline."""
    broker = Broker(acknowledge=False)
    made = producer(broker, probe_every_s=probe_every_s)
    return broker, made, await timed_out(made)


async def test_a_send_acknowledged_in_time_returns() -> None:
    broker = Broker(acknowledge=True)
    await producer(broker).publish_many(SEND, ack_within=5.0)
    assert len(broker.acks) == 1


async def test_a_send_not_acknowledged_in_time_raises_and_its_outcome_ends_with_the_late_ack() -> None:
    broker = Broker(acknowledge=False)
    with pytest.raises(PublishTimeout) as raised:
        await producer(broker).publish_many(SEND, ack_within=0.05)
    assert not raised.value.outcome.done()
    broker.acks[0].set_result(None)
    await asyncio.wait_for(raised.value.outcome, timeout=5)


async def test_sends_waiting_at_once_each_get_their_own_answer() -> None:
    slow, quick = Broker(acknowledge=False), Broker(acknowledge=True)
    outcomes = await asyncio.gather(
        producer(slow).publish_many(SEND, ack_within=0.05),
        producer(quick).publish_many(SEND, ack_within=0.05),
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


async def test_after_a_send_goes_unacknowledged_the_next_is_refused_at_once_and_not_handed_over() -> None:
    broker, made, _ = await opened(probe_every_s=60)
    assert len(broker.acks) == 1
    with pytest.raises(KafkaUnavailable):
        await asyncio.wait_for(made.publish_many(SEND, ack_within=5.0), timeout=0.5)
    assert len(broker.acks) == 1


async def test_the_late_acknowledgement_of_a_timed_out_send_lets_sends_through_again() -> None:
    broker, made, late = await opened(probe_every_s=60)
    broker.acks[0].set_result(None)
    await asyncio.wait_for(late.outcome, timeout=5)
    broker.acknowledge = True
    await made.publish_many(SEND, ack_within=5.0)
    assert len(broker.acks) == 2


async def test_a_late_failure_keeps_sends_refused() -> None:
    broker, made, late = await opened(probe_every_s=60)
    broker.acks[0].set_exception(RuntimeError("expired"))
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(late.outcome, timeout=5)
    with pytest.raises(KafkaUnavailable):
        await made.publish_many(SEND, ack_within=5.0)


async def test_one_probe_an_interval_goes_ahead_and_an_acknowledgement_closes_the_breaker() -> None:
    broker, made, _ = await opened(probe_every_s=0.1)
    await asyncio.sleep(0.15)
    # A probe is handed over and waits; a send just after it is refused at once.
    first = asyncio.ensure_future(made.publish_many(SEND, ack_within=5.0))
    await asyncio.sleep(0.01)
    assert len(broker.acks) == 2
    with pytest.raises(KafkaUnavailable):
        await made.publish_many(SEND, ack_within=5.0)
    # An interval later another probe goes ahead beside the first, still waiting.
    await asyncio.sleep(0.15)
    second = asyncio.ensure_future(made.publish_many(SEND, ack_within=5.0))
    await asyncio.sleep(0.01)
    assert len(broker.acks) == 3
    assert not first.done()
    broker.acks[2].set_result(None)
    await asyncio.wait_for(second, timeout=5)
    broker.acknowledge = True
    await made.publish_many(SEND, ack_within=5.0)
    assert len(broker.acks) == 4
    broker.acks[1].set_result(None)
    await asyncio.wait_for(first, timeout=5)


async def test_probes_that_time_out_keep_the_breaker_open() -> None:
    broker, made, _ = await opened(probe_every_s=0.5)
    await asyncio.sleep(0.6)
    await timed_out(made)  # the probe, unacknowledged
    with pytest.raises(KafkaUnavailable):
        await made.publish_many(SEND, ack_within=5.0)
    await asyncio.sleep(0.6)
    broker.acknowledge = True
    await made.publish_many(SEND, ack_within=5.0)
    await made.publish_many(SEND, ack_within=5.0)
    assert len(broker.acks) == 4


async def test_sends_without_a_deadline_are_never_refused() -> None:
    broker, made, _ = await opened(probe_every_s=60)
    broker.acknowledge = True
    await made.publish_many(SEND)
    assert len(broker.acks) == 2


async def test_a_send_timing_out_while_others_begun_before_it_are_acknowledged_refuses_nothing() -> None:
    # One broker of several lost: the partitions it led wait for new leaders, the others answer.
    broker = Broker(acknowledge=False)
    made = producer(broker, probe_every_s=60)
    stalled = asyncio.ensure_future(made.publish_many(SEND, ack_within=0.2))
    await asyncio.sleep(0.01)
    broker.acknowledge = True
    await made.publish_many(SEND, ack_within=5.0)
    with pytest.raises(PublishTimeout):
        await stalled
    await made.publish_many(SEND, ack_within=5.0)
    assert len(broker.acks) == 3
