"""The analytics consumer's delivery of a fetched batch, with a fake of the faust consumer around
it: every message once and in order, offsets committed outside the flow-control wait when due,
messages read before dropped, and nothing more delivered once the flow is suspended."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from mode.services import WaitResults

from notify_analytics.faust_app import BatchDrainingConsumer


@dataclass
class Message:
    topic: str
    offset: int


@dataclass
class FakeConsumer:
    """What ``_deliver_all`` uses of faust's consumer."""

    commit_every: int | None = None
    suspend_after: int | None = None  # delivered messages before the flow is suspended
    delivered: list[tuple[str, int]] = field(default_factory=list)
    commits: list[int] = field(default_factory=list)  # how many were delivered at each commit
    should_stop: bool = False

    def __post_init__(self) -> None:
        self._read_offset: dict[Any, int | None] = defaultdict(lambda: None)
        self._commit_every = self.commit_every
        self._n_acked = 0
        self.app = type(
            "App", (), {"topics": type("Topics", (), {"acks_enabled_for": lambda self, t: True})()}
        )()
        self.suspended = asyncio.Event()

    async def callback(self, message: Message) -> None:
        self.delivered.append((message.topic, message.offset))
        self._n_acked += 1  # as faust's acks count
        if self.suspend_after is not None and len(self.delivered) >= self.suspend_after:
            self.suspended.set()
            await asyncio.sleep(3600)  # a delivery blocked until the wait gives it up

    async def commit(self) -> None:
        self.commits.append(len(self.delivered))

    async def _add_gap(self, tp: Any, start: int, end: int) -> None:
        pass

    async def wait_first(self, deliver: Any, suspended: Any) -> WaitResults:
        suspended.close()  # the fake waits on the event itself
        task = asyncio.ensure_future(deliver)
        flow = asyncio.ensure_future(self.suspended.wait())
        done, _ = await asyncio.wait({task, flow}, return_when=asyncio.FIRST_COMPLETED)
        for pending in (task, flow):
            if pending not in done:
                pending.cancel()
        if task in done:
            return WaitResults([deliver], [task.result()], False)
        return WaitResults([cast(Any, self.suspended)], [True], False)

    @property
    def suspend_flow(self) -> asyncio.Event:
        return self.suspended

    async def deliver_all(self, messages: list[tuple[str, Message]]) -> None:
        consumer: Any = self
        consumer._deliver = BatchDrainingConsumer._deliver.__get__(consumer)
        await BatchDrainingConsumer._deliver_all(consumer, list[Any](messages))


def batch(count: int, start: int = 0) -> list[tuple[str, Message]]:
    return [("tp0", Message("t", offset)) for offset in range(start, start + count)]


async def test_a_batch_is_delivered_once_in_order_with_offsets_committed_when_due() -> None:
    consumer = FakeConsumer(commit_every=100)
    await consumer.deliver_all(batch(250))
    assert consumer.delivered == [("t", n) for n in range(250)]
    assert consumer.commits == [100, 200]
    assert consumer._read_offset["tp0"] == 249


async def test_messages_before_the_last_one_read_are_dropped_as_faust_drops_them() -> None:
    consumer = FakeConsumer()
    await consumer.deliver_all(batch(10))
    await consumer.deliver_all(batch(10, start=5))  # fetched again after a seek, say
    assert consumer.delivered == [("t", n) for n in (*range(10), *range(9, 15))]


async def test_nothing_more_is_delivered_once_the_flow_is_suspended() -> None:
    consumer = FakeConsumer(suspend_after=30)
    await asyncio.wait_for(consumer.deliver_all(batch(100)), 5)
    assert len(consumer.delivered) == 30
    assert consumer._read_offset["tp0"] == 28  # the interrupted one is read again later
