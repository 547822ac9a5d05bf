"""``scheduled_for`` honoured (beyond Notify, which validates it and ignores it).

A single send with a ``scheduled_for`` in the future is accepted durably by writing its encoded
event to ``scheduled_notifications`` in PostgreSQL (the 201 follows the commit). A small loop in
every api-gateway process publishes due rows: it locks them with ``FOR UPDATE SKIP LOCKED`` (so
replicas share the work without doing it twice), publishes and waits for the Kafka ack, then marks
them published in the same transaction. A crash between the ack and the commit publishes the row
again; the event id and notification id are the same, and every consumer is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_api_gateway.recent import encode_row
from notify_common import codec
from notify_common.db.tables_api import scheduled_notifications
from notify_common.events import NotificationRequested
from notify_common.kafka import EventProducer

log = logging.getLogger(__name__)
BATCH = 500


class Scheduler:
    def __init__(self, engine: AsyncEngine, producer: EventProducer) -> None:
        self._engine = engine
        self._producer = producer

    async def hold(self, items: list[tuple[str, NotificationRequested, dict[str, Any], datetime]]) -> None:
        """Store (topic, event, presented row, when) durably until ``when``."""
        rows = [
            {
                "id": event.notification_id,
                "service_id": event.service_id,
                "key_type": event.key_type,
                "topic": topic,
                "payload": codec.encode(event),
                "presented": orjson.loads(encode_row(row)),
                "scheduled_for": when,
            }
            for topic, event, row, when in items
        ]
        async with self._engine.begin() as conn:
            await conn.execute(insert(scheduled_notifications), rows)

    async def release_due(self) -> int:
        """Publish every notification whose time has come; returns how many."""
        due = (
            select(
                scheduled_notifications.c.id,
                scheduled_notifications.c.topic,
                scheduled_notifications.c.payload,
            )
            .where(
                scheduled_notifications.c.published_at.is_(None),
                scheduled_notifications.c.scheduled_for <= datetime.now().astimezone(),
            )
            .order_by(scheduled_notifications.c.scheduled_for)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        async with self._engine.begin() as conn:
            rows = (await conn.execute(due)).all()
            if not rows:
                return 0
            await self._producer.publish_many([(r.topic, codec.decode(r.payload)) for r in rows])
            await conn.execute(
                update(scheduled_notifications)
                .where(scheduled_notifications.c.id.in_([r.id for r in rows]))
                .values(published_at=datetime.now().astimezone())
            )
        log.info("scheduled notifications published", extra={"count": len(rows)})
        return len(rows)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                while await self.release_due() == BATCH:
                    pass
            except Exception as exc:
                log.warning("scheduler pass failed; will retry", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
