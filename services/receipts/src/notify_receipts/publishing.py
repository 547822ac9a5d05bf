"""The receipts that arrive within a few milliseconds of each other, published together.

Each receipt is answered only once its event is acknowledged by Kafka, so every receipt request
publishes its own event and waits for its own acknowledgement. Left to the producer's linger,
receipts for notifications on different partitions each start a batch of their own that lingers
from its own first record, so at a few hundred receipts a second nearly every receipt became a
produce request of its own, and writing those requests to the broker was the largest single cost
in the process's profile (py-spy under ``bench/receipts``).

``WindowedPublisher`` opens a window when a receipt comes and none is open; the receipts that come
while it is open wait for it to close, and then all hand their events to the producer in the same
turn of the event loop, before its sender runs, so they leave in one produce request. The window
takes the place of the producer's linger (the producer used with it lingers 0 ms), so a receipt
waits no longer than it did. Each caller still publishes its own events and waits for their
acknowledgement alone: one whose publish fails is answered as before, and the others are not.
"""

from __future__ import annotations

from collections.abc import Iterable

from notify_common.events import Event
from notify_common.kafka import EventProducer, PublishWindow

# How long a window stays open: what the producer's linger was.
WINDOW_SECONDS = 0.005


class WindowedPublisher:
    def __init__(self, producer: EventProducer, window_seconds: float = WINDOW_SECONDS) -> None:
        self._producer = producer
        self._window = PublishWindow(window_seconds) if window_seconds > 0 else None

    async def publish(self, topic: str, event: Event) -> None:
        """Publishes ``event`` with the others of its window; returns once it is acknowledged."""
        if self._window is not None:
            await self._window.wait()
        await self._producer.publish(topic, event)

    async def publish_many(self, items: Iterable[tuple[str, Event]]) -> None:
        """Publishes these events with the others of their window; returns once every one is
        acknowledged."""
        events = list(items)
        if self._window is not None:
            await self._window.wait()
        await self._producer.publish_many(events)
