"""Publishes recipients' unsubscribe requests (``UnsubscribeRequested``) to Kafka.

The producer is started by the first request, not at start-up: the download pages never wait on
Kafka, and document-download starts while Kafka is away. Starting and each acknowledgement are
bounded by ``kafka_ack_timeout_seconds``; past it (or on a Kafka error) ``KafkaUnavailable``, and a
producer that did not start is replaced, so the next request tries afresh.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.errors import KafkaError

from notify_common import topics
from notify_common.events import UnsubscribeRequested
from notify_common.kafka import EventProducer, PublishTimeout
from notify_document_download.settings import DocumentDownloadSettings


class KafkaUnavailable(Exception):
    """Kafka did not take the request within the bound."""


class UnsubscribePublisher:
    def __init__(self, settings: DocumentDownloadSettings) -> None:
        self._settings = settings
        self._producer: EventProducer | None = None
        self._starting = asyncio.Lock()

    async def publish(self, event: UnsubscribeRequested) -> None:
        bound = self._settings.kafka_ack_timeout_seconds
        try:
            producer = await self._started(bound)
            await producer.publish_many([(topics.UNSUBSCRIBE_REQUESTS, event)], ack_within=bound)
        except (KafkaError, PublishTimeout, TimeoutError) as exc:
            raise KafkaUnavailable(type(exc).__name__) from exc

    async def _started(self, bound: float) -> EventProducer:
        async with self._starting:
            if self._producer is None:
                producer = EventProducer(self._settings, client_id="document-download")
                try:
                    await asyncio.wait_for(producer.start(), bound)
                except BaseException:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
