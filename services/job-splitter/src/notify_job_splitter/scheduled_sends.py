"""Single sends held for their ``scheduled_for`` time, published when it comes.

The api-gateway accepts such a send durably by writing its encoded event to
``scheduled_notifications`` (the 201 follows the commit) and answers GET from that row; it writes
nothing else, and publishes what the job-splitter reads of it as the read contract ``held_sends``
(``notify_common.db.contracts``). This loop, in every job-splitter, publishes the sends that have
come due, with exactly-once publishing across replicas:

1. every due send not yet released is copied into ``scheduled_releases`` (the job-splitter's own
   table; a send copied twice is one row). Only sends due after the latest one released, less
   ``LATE_WRITE_GRACE``, are looked at, so a pass does not grow with every send ever held (the
   gateway holds a send well before its time, and its write takes seconds at most);
2. in one transaction, unpublished releases are locked with ``FOR UPDATE SKIP LOCKED`` (so
   replicas share the work without doing it twice), their events are published and Kafka's ack
   awaited, and they are marked published.

A crash between the ack and the commit publishes a send again; the event id and notification id
are the same, and every consumer is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import codec
from notify_common.db.contracts import held_sends as scheduled_notifications
from notify_common.kafka import EventProducer
from notify_job_splitter.tables import scheduled_releases

log = logging.getLogger(__name__)
BATCH = 500
LATE_WRITE_GRACE = timedelta(minutes=10)


class ScheduledSends:
    def __init__(self, engine: AsyncEngine, producer: EventProducer) -> None:
        self._engine = engine
        self._producer = producer

    async def release_due(self) -> int:
        """Publish every send whose time has come; returns how many."""
        now = datetime.now().astimezone()
        latest = select(func.max(scheduled_releases.c.scheduled_for)).scalar_subquery()
        come_due = (
            insert(scheduled_releases)
            .from_select(
                ["id", "scheduled_for"],
                select(scheduled_notifications.c.id, scheduled_notifications.c.scheduled_for)
                .outerjoin(scheduled_releases, scheduled_releases.c.id == scheduled_notifications.c.id)
                .where(
                    scheduled_notifications.c.scheduled_for <= now,
                    or_(
                        latest.is_(None), scheduled_notifications.c.scheduled_for > latest - LATE_WRITE_GRACE
                    ),
                    scheduled_releases.c.id.is_(None),
                )
                .order_by(scheduled_notifications.c.scheduled_for)
                .limit(BATCH),
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
        unpublished = (
            select(scheduled_releases.c.id)
            .where(scheduled_releases.c.published_at.is_(None))
            .order_by(scheduled_releases.c.scheduled_for)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        async with self._engine.begin() as conn:
            await conn.execute(come_due)
        async with self._engine.begin() as conn:
            ids = list((await conn.scalars(unpublished)).all())
            if not ids:
                return 0
            events = await conn.execute(
                select(scheduled_notifications.c.topic, scheduled_notifications.c.payload).where(
                    scheduled_notifications.c.id.in_(ids)
                )
            )
            await self._producer.publish_many([(r.topic, codec.decode(r.payload)) for r in events])
            await conn.execute(
                update(scheduled_releases)
                .where(scheduled_releases.c.id.in_(ids))
                .values(published_at=datetime.now().astimezone())
            )
        log.info("scheduled notifications published", extra={"count": len(ids)})
        return len(ids)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                while await self.release_due() == BATCH:
                    pass
            except Exception as exc:
                log.warning("scheduled sends pass failed; will retry", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
