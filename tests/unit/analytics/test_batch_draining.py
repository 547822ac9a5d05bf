"""The analytics consumer's delivery of a fetched batch, with a fake of the faust consumer around
it: every message once and in order, offsets committed outside the flow-control wait when due,
messages read before dropped, and nothing more delivered once the flow is suspended; the messages
of a topic with a batch handler handed to it in lists and acknowledged once it returns."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, cast

from mode.services import WaitResults

from notify_analytics.faust_app import BatchDrainingConsumer


@dataclass
class Message:
    topic: str
    offset: int
    tp: str = "tp0"
    generation_id: int = 1
    acked: bool = False


@dataclass
class FakeApp:
    """What the consumer uses of the faust app."""

    batch_handlers: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 1000
    consumer_generation_id: int = 1
    flowing: bool = True

    def __post_init__(self) -> None:
        self.topics = type("Topics", (), {"acks_enabled_for": lambda self, t: True})()
        self.flow_control = type("Flow", (), {"is_active": lambda _: self.flowing})()

        async def wait_until_ebb() -> None:
            pass

        self.producer = type(
            "Producer", (), {"buffer": type("Buffer", (), {"wait_until_ebb": wait_until_ebb})}
        )


@dataclass
class FakeConsumer:
    """What ``_deliver_all`` uses of faust's consumer."""

    commit_every: int | None = None
    suspend_after: int | None = None  # delivered messages before the flow is suspended
    delivered: list[tuple[str, int]] = field(default_factory=list)
    commits: list[int] = field(default_factory=list)  # how many were delivered or acked at each commit
    should_stop: bool = False
    app: FakeApp = field(default_factory=FakeApp)

    def __post_init__(self) -> None:
        self._read_offset: dict[Any, int | None] = defaultdict(lambda: None)
        self._commit_every = self.commit_every
        self._n_acked = 0
        self._acked: dict[Any, list[int]] = defaultdict(list)
        self._acked_index: dict[Any, set[int]] = defaultdict(set)
        self._committed_offset: dict[Any, int | None] = defaultdict(lambda: None)
        self._waiting_for_ack = None
        self.suspended = asyncio.Event()

    async def callback(self, message: Message) -> None:
        self.delivered.append((message.topic, message.offset))
        self._n_acked += 1  # as faust's acks count
        if self.suspend_after is not None and len(self.delivered) >= self.suspend_after:
            self.suspended.set()
            await asyncio.sleep(3600)  # a delivery blocked until the wait gives it up

    async def commit(self) -> None:
        self.commits.append(len(self.delivered) + sum(len(offsets) for offsets in self._acked.values()))

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
        for name in ("_deliver", "_hand_over", "_ack_all"):
            setattr(consumer, name, getattr(BatchDrainingConsumer, name).__get__(consumer))
        await BatchDrainingConsumer._deliver_all(consumer, list[Any](messages))


def batch(count: int, start: int = 0, topic: str = "t") -> list[tuple[str, Message]]:
    return [("tp0", Message(topic, offset)) for offset in range(start, start + count)]


@dataclass(eq=False)
class Handler:
    """A batch handler that records the offsets of each list it gets, and what was acknowledged
    when it got it."""

    consumer: FakeConsumer | None = None
    lists: list[list[int]] = field(default_factory=list)
    acked_before: list[list[int]] = field(default_factory=list)
    suspend_after: int | None = None  # lists handled before the flow is suspended

    async def __call__(self, messages: list[Message]) -> None:
        assert self.consumer is not None
        self.lists.append([m.offset for m in messages])
        self.acked_before.append(list(self.consumer._acked["tp0"]))
        if self.suspend_after is not None and len(self.lists) >= self.suspend_after:
            self.consumer.suspended.set()
            await asyncio.sleep(3600)


def with_handler(handler: Handler, **options: Any) -> FakeConsumer:
    consumer = FakeConsumer(app=FakeApp(batch_handlers={"counted": handler}, **options))
    handler.consumer = consumer
    return consumer


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


async def test_a_topic_with_a_batch_handler_is_handed_to_it_in_lists_and_acknowledged_once_it_returns() -> (
    None
):
    handler = Handler()
    consumer = with_handler(handler, batch_size=40)
    await consumer.deliver_all([*batch(100, topic="counted"), ("tp1", Message("other", 0, tp="tp1"))])
    assert handler.lists == [list(range(0, 40)), list(range(40, 80)), list(range(80, 100))]
    assert handler.acked_before == [[], list(range(40)), list(range(80))]
    assert consumer._acked["tp0"] == list(range(100))
    assert consumer._n_acked == 101  # and the one faust's path acknowledged
    assert consumer.delivered == [("other", 0)]  # a topic without a handler goes to faust's path
    assert consumer._read_offset["tp0"] == 99


async def test_lists_are_handed_over_before_offsets_are_committed() -> None:
    handler = Handler()
    consumer = with_handler(handler, batch_size=50)
    consumer._commit_every = 100
    await consumer.deliver_all(batch(250, topic="counted"))
    assert [len(offsets) for offsets in handler.lists] == [50] * 5
    assert consumer.commits == [100, 200]
    assert consumer._acked["tp0"] == list(range(250))


async def test_messages_fetched_before_a_rebalance_are_neither_handed_over_nor_acknowledged() -> None:
    handler = Handler()
    consumer = with_handler(handler, consumer_generation_id=2)
    await consumer.deliver_all(batch(10, topic="counted"))
    fresh = [("tp0", Message("counted", offset, generation_id=2)) for offset in range(10, 15)]
    await consumer.deliver_all(fresh)
    assert handler.lists == [list(range(10, 15))]
    assert consumer._acked["tp0"] == list(range(10, 15))


async def test_nothing_is_handed_over_while_the_flow_is_suspended() -> None:
    handler = Handler()
    consumer = with_handler(handler, flowing=False)
    await consumer.deliver_all(batch(10, topic="counted"))
    assert handler.lists == []
    assert consumer._acked["tp0"] == []


async def test_no_list_is_handed_over_once_the_flow_is_suspended_during_a_handler() -> None:
    handler = Handler(suspend_after=2)
    consumer = with_handler(handler, batch_size=10)
    await asyncio.wait_for(consumer.deliver_all(batch(100, topic="counted")), 5)
    assert handler.lists == [list(range(10)), list(range(10, 20))]
    assert consumer._acked["tp0"] == list(range(10))  # the interrupted list is read again later


async def test_other_tasks_run_between_the_lists_of_one_fetched_batch() -> None:
    ran: list[int] = []
    seen_by_handler: list[int] = []

    async def other_task() -> None:
        while True:
            ran.append(1)
            await asyncio.sleep(0)

    async def handler(messages: list[Message]) -> None:
        seen_by_handler.append(len(ran))

    consumer = FakeConsumer(app=FakeApp(batch_handlers={"counted": handler}, batch_size=10))
    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    try:
        await consumer.deliver_all(batch(40, topic="counted"))
    finally:
        other.cancel()
    assert len(seen_by_handler) == 4
    assert all(later > earlier for earlier, later in pairwise(seen_by_handler))
