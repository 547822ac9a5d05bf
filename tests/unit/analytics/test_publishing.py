"""Publishing changed cells: every changed cell once, to the results topic, with the event loop
let go while a worker that has changed many cells sends them."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from notify_analytics.results import decode_result
from notify_analytics.sources import SOURCES
from notify_analytics.state import PartitionState
from notify_analytics.windows import WindowKey, WindowStats
from notify_analytics.worker import PUBLISH_YIELD_EVERY, SourceState, publish_changed


class FakeProducer:
    """Takes each record at once, as aiokafka's producer does while it has room."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes]] = []

    async def send(self, topic: str, key: bytes, value: bytes, *_: Any) -> None:
        self.records.append((topic, key, value))


class FakeApp:
    def __init__(self) -> None:
        self.producer = FakeProducer()


async def publish(app: FakeApp, state: SourceState) -> None:
    await publish_changed(cast(Any, app), {"lifecycle": state}, "results")


def state_with_changed_cells(count: int) -> SourceState:
    state = SourceState(SOURCES[0], table=cast(Any, None), dedupe_ms=60_000)
    part = state.partitions[2] = PartitionState(60_000)
    for minute in range(count):
        cell = WindowKey("minute", minute * 60_000, "s1", "sms", "none", "created")
        part.totals[cell] = WindowStats(minute + 1)
        part.dirty.add(cell)
    return state


async def test_each_changed_cell_is_published_once_and_the_cells_are_then_clean() -> None:
    app = FakeApp()
    state = state_with_changed_cells(3)
    await publish(app, state)
    published = sorted(decode_result(value)[1].count for _, _, value in app.producer.records)
    assert published == [1, 2, 3]
    assert {topic for topic, _, _ in app.producer.records} == {"results"}
    assert all(key.endswith(b"|lifecycle|2") for _, key, _ in app.producer.records)
    assert state.partitions[2].dirty == set()
    await publish(app, state)
    assert len(app.producer.records) == 3


async def test_other_tasks_run_while_many_changed_cells_are_published() -> None:
    app = FakeApp()
    sent_when_other_ran: list[int] = []

    async def other_task() -> None:
        while True:
            sent_when_other_ran.append(len(app.producer.records))
            await asyncio.sleep(0)

    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    try:
        await publish(app, state_with_changed_cells(PUBLISH_YIELD_EVERY * 3))
    finally:
        other.cancel()
    assert len(app.producer.records) == PUBLISH_YIELD_EVERY * 3
    assert any(0 < sent < PUBLISH_YIELD_EVERY * 3 for sent in sent_when_other_ran)
