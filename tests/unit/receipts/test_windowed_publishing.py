"""Receipts that come within a window hand their events to the producer together (so they leave
in one produce request), and each is answered only once its own event is acknowledged."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any, cast

import pytest

from notify_common.events import Event
from notify_common.kafka import EventProducer
from notify_receipts import domain
from notify_receipts.publishing import WindowedPublisher


class SendingProducer:
    """Plays aiokafka's producer: what is handed over before its sender next runs (a callback
    scheduled by the first hand-over) leaves in one request; each event's acknowledgement is the
    test's to give."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []
        self.acks: dict[str, asyncio.Future[None]] = {}
        self._pending: list[str] = []

    async def publish(self, topic: str, event: Event) -> None:
        await self.publish_many([(topic, event)])

    async def publish_many(self, items: Iterable[tuple[str, Event]]) -> None:
        loop = asyncio.get_running_loop()
        acks = []
        for _, event in items:
            if not self._pending:
                loop.call_soon(self._send)
            self._pending.append(str(event.notification_id))
            acks.append(self.acks.setdefault(str(event.notification_id), loop.create_future()))
        await asyncio.gather(*acks)

    def _send(self) -> None:
        self.requests.append(self._pending)
        self._pending = []


def receipt(name: str) -> Event:
    return domain.receipt_event(name, "mmg", "delivered", "mmg status 3")


def publisher(producer: SendingProducer, window: float) -> WindowedPublisher:
    return WindowedPublisher(cast(EventProducer, producer), window)


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.001)


async def test_receipts_that_come_while_a_window_is_open_leave_in_one_request() -> None:
    producer = SendingProducer()
    windowed = publisher(producer, 0.05)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    first = asyncio.create_task(windowed.publish("status", receipt(ids[0])))
    await asyncio.sleep(0)
    later = asyncio.create_task(
        windowed.publish_many([("status", receipt(ids[1])), ("status", receipt(ids[2]))])
    )
    await until(lambda: producer.requests)
    assert producer.requests == [ids]
    for ack in producer.acks.values():
        ack.set_result(None)
    await asyncio.gather(first, later)


async def test_each_caller_returns_only_once_its_own_events_are_acknowledged() -> None:
    producer = SendingProducer()
    windowed = publisher(producer, 0.01)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    first = asyncio.create_task(windowed.publish("status", receipt(a)))
    second = asyncio.create_task(windowed.publish("status", receipt(b)))
    await until(lambda: len(producer.acks) == 2)
    producer.acks[b].set_exception(RuntimeError("not acknowledged"))
    with pytest.raises(RuntimeError):
        await second
    await asyncio.sleep(0.02)
    assert not first.done()  # its event is not acknowledged yet
    producer.acks[a].set_result(None)
    await first


async def test_a_caller_cancelled_in_the_window_leaves_the_others_to_publish() -> None:
    producer = SendingProducer()
    windowed = publisher(producer, 0.02)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    gone = asyncio.create_task(windowed.publish("status", receipt(a)))
    kept = asyncio.create_task(windowed.publish("status", receipt(b)))
    await asyncio.sleep(0)
    gone.cancel()
    await until(lambda: producer.requests)
    assert producer.requests == [[b]]
    producer.acks[b].set_result(None)
    await kept
    assert gone.cancelled()


async def test_a_later_receipt_opens_a_window_of_its_own() -> None:
    producer = SendingProducer()
    windowed = publisher(producer, 0.005)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    first = asyncio.create_task(windowed.publish("status", receipt(a)))
    await until(lambda: producer.requests)
    second = asyncio.create_task(windowed.publish("status", receipt(b)))
    await until(lambda: len(producer.requests) == 2)
    assert producer.requests == [[a], [b]]
    for ack in producer.acks.values():
        ack.set_result(None)
    await asyncio.gather(first, second)
