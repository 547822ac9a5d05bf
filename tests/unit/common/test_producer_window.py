"""The producer's linger is one window for the whole producer: the events of every publish made
while a window is open are handed over together, before aiokafka's sender next runs, so they leave
in one produce request whichever partitions they go to; each publish still returns only once its
own events are acknowledged."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from notify_common import topics
from notify_common.events import NotificationPending
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings


class Sender:
    """Plays aiokafka's producer lingering 0 ms: what is handed over before its sender next runs (a
    callback scheduled by the first hand-over) leaves in one request; acknowledgements are the
    test's to give."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []
        self.acks: dict[str, asyncio.Future[None]] = {}
        self._pending: list[str] = []

    async def send(self, topic: str, *, value: bytes, key: bytes, **_: Any) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        if not self._pending:
            loop.call_soon(self._send)
        self._pending.append(key.decode())
        return self.acks.setdefault(key.decode(), loop.create_future())

    def _send(self) -> None:
        self.requests.append(self._pending)
        self._pending = []

    def acknowledge(self, *names: str | None) -> None:
        for name in names:
            self.acks[str(name)].set_result(None)


def producer(sender: Sender, linger_ms: int) -> EventProducer:
    made = EventProducer(CommonSettings(), client_id="unit", linger_ms=linger_ms)
    made._records = sender
    return made


def event() -> NotificationPending:
    return NotificationPending(notification_id=str(uuid.uuid4()), service_id="s-1", provider="mmg")


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.001)


async def test_publishes_made_while_a_window_is_open_leave_in_one_request() -> None:
    sender = Sender()
    made = producer(sender, linger_ms=200)
    events = [event() for _ in range(5)]
    publishes = []
    for e in events[:3]:
        publishes.append(
            asyncio.ensure_future(made.publish_many([(topics.NOTIFICATION_STATUS, e)], ack_within=30.0))
        )
        # Turns of the loop between them, in which a sender lingering 0 ms would have sent each.
        for _ in range(3):
            await asyncio.sleep(0)
    publishes.append(
        asyncio.ensure_future(made.publish_many((topics.NOTIFICATION_STATUS, e) for e in events[3:]))
    )
    await until(lambda: sender.requests)
    for _ in range(3):
        await asyncio.sleep(0)  # nothing is left to leave in a later request
    assert len(sender.requests) == 1
    assert sorted(sender.requests[0]) == sorted(str(e.notification_id) for e in events)
    sender.acknowledge(*(e.notification_id for e in events))
    await asyncio.gather(*publishes)


async def test_each_publish_returns_once_its_own_events_are_acknowledged() -> None:
    sender = Sender()
    made = producer(sender, linger_ms=200)
    first, second = event(), event()
    one = asyncio.ensure_future(made.publish(topics.NOTIFICATION_STATUS, first))
    other = asyncio.ensure_future(made.publish(topics.NOTIFICATION_STATUS, second))
    await until(lambda: sender.requests)
    sender.acknowledge(second.notification_id)
    await other
    assert not one.done()
    sender.acknowledge(first.notification_id)
    await one


async def test_a_publish_after_a_window_closed_opens_the_next_one() -> None:
    sender = Sender()
    made = producer(sender, linger_ms=10)
    first, second = event(), event()
    one = asyncio.ensure_future(made.publish(topics.NOTIFICATION_STATUS, first))
    await until(lambda: sender.requests)
    other = asyncio.ensure_future(made.publish(topics.NOTIFICATION_STATUS, second))
    await until(lambda: len(sender.requests) == 2)
    assert sender.requests == [[first.notification_id], [second.notification_id]]
    sender.acknowledge(first.notification_id, second.notification_id)
    await asyncio.gather(one, other)


async def test_a_publish_cancelled_in_its_window_leaves_the_others_to_be_sent() -> None:
    sender = Sender()
    made = producer(sender, linger_ms=200)
    kept, dropped = event(), event()
    one = asyncio.ensure_future(made.publish(topics.NOTIFICATION_STATUS, dropped))
    other = asyncio.ensure_future(made.publish(topics.NOTIFICATION_STATUS, kept))
    await asyncio.sleep(0)
    one.cancel()
    await until(lambda: sender.requests)
    assert sender.requests == [[kept.notification_id]]
    sender.acknowledge(kept.notification_id)
    await other


async def test_without_a_linger_events_are_handed_over_at_once() -> None:
    sender = Sender()
    made = producer(sender, linger_ms=0)
    published = asyncio.ensure_future(made.publish(topics.NOTIFICATION_STATUS, e := event()))
    for _ in range(3):  # a few turns of the loop, far less than any window
        await asyncio.sleep(0)
    assert sender.requests == [[e.notification_id]]
    sender.acknowledge(e.notification_id)
    await published
