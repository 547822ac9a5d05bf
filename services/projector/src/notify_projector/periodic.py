"""The projector's periodic lifecycle tasks, each run by one replica at a time (advisory lock):

* **timeouts**: email and SMS still ``sending`` or ``pending`` 72 hours after they were sent become
  ``temporary-failure`` — as a ``NotificationFailed`` event (reason ``timeout``) on the status
  topic, so the projection, the callbacks and any reader of the log all see it. Event ids are
  derived from the notification, so two runs publish the same event.
* **retention**: notifications older than their service's retention (the admin-api's
  ``config_service_data_retention`` per channel; default 7 days, counted from London midnight as
  Notify does) are deleted from the views in batches, with their inbound texts and provider
  references. The daily facts are not touched, so they keep the anonymised counts. Recipients'
  unsubscribe requests (which hold their email addresses) go after 90 days, as GOV.UK Notify keeps
  them, whatever the email's retention.

The SQL below is assembled from constant fragments only (hence S608 is silenced).
"""

# ruff: noqa: S608

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common import topics
from notify_common.events import FailureKind, NotificationFailed, now
from notify_common.kafka import EventProducer
from notify_projector import sql
from notify_projector.projection import PROJECTION_LOCK
from notify_projector.settings import ProjectorSettings

log = logging.getLogger(__name__)
TIMEOUT_LOCK = 0x544D4F55  # "TMOU"
RETENTION_LOCK = 0x52455445  # "RETE"
NAMESPACE = uuid.UUID("9a4c1f3e-2d7b-4e8a-b6c5-0f1e2d3c4b5a")

# The notifications in flight are found through their own small table (the projector keeps it with
# each batch), not an index of ``notifications``; the conditions are checked on the row itself.
STUCK = text(f"""
SELECT n.id, n.service_id, n.sent_by, n.sent_at, n.notification_type, n.client_reference,
    COALESCE(n.recipient_as_sent, n.recipient) AS recipient, n.template_id, n.template_version,
    n.created_at, n.job_row_number
FROM notifications_in_flight f JOIN notifications n ON n.id = f.id
WHERE n.status IN {sql.IN_FLIGHT_SQL} AND n.notification_type IN {sql.TIMED_TYPES_SQL}
    AND n.sent_at < :cutoff
ORDER BY n.sent_at LIMIT :limit
""")

_CUTOFF = (
    "(date_trunc('day', now() AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London')"
    " - make_interval(days => COALESCE(r.days_of_retention, :default_days))"
)
PURGE_NOTIFICATIONS = text(f"""
WITH gone AS (
    DELETE FROM notifications WHERE id IN (
        SELECT n.id FROM notifications n
        LEFT JOIN config_service_data_retention r
            ON r.service_id = n.service_id AND r.notification_type = n.notification_type
        WHERE n.created_at < {_CUTOFF}
        LIMIT :batch)
    RETURNING id)
, refs AS (DELETE FROM provider_references WHERE notification_id IN (SELECT id FROM gone))
, flying AS (DELETE FROM notifications_in_flight WHERE id IN (SELECT id FROM gone))
SELECT count(*) FROM gone
""")
PURGE_INBOUND = text(f"""
DELETE FROM inbound_sms WHERE id IN (
    SELECT i.id FROM inbound_sms i
    LEFT JOIN config_service_data_retention r ON r.service_id = i.service_id AND r.notification_type = 'sms'
    WHERE i.created_at < {_CUTOFF}
    LIMIT :batch)
""")
# Status events for notifications already deleted leave rows with no request; drop them too.
PURGE_ORPHANS = text("""
DELETE FROM notifications WHERE id IN (
    SELECT id FROM notifications WHERE created_at IS NULL AND last_event_at < now() - interval '90 days'
    LIMIT :batch)
""")
PURGE_UNSUBSCRIBE_REQUESTS = text("""
DELETE FROM unsubscribe_requests WHERE notification_id IN (
    SELECT notification_id FROM unsubscribe_requests WHERE requested_at < now() - interval '90 days'
    LIMIT :batch)
""")


def timeout_event(row: Mapping[str, Any]) -> NotificationFailed:
    """The timeout of a stuck notification's row, carrying the details its status events carry."""
    notification_id = str(row["id"])
    return NotificationFailed(
        event_id=str(uuid.uuid5(NAMESPACE, f"timeout:{notification_id}")),
        notification_id=notification_id,
        service_id=str(row["service_id"]),
        failure_kind=FailureKind.TEMPORARY_FAILURE,
        provider=row["sent_by"],
        reason="timeout",
        failed_at=now(),
        notification_type=row["notification_type"],
        client_reference=row["client_reference"],
        recipient=row["recipient"],
        template_id=str(row["template_id"]) if row["template_id"] is not None else None,
        template_version=row["template_version"],
        created_at=row["created_at"],
        job_row_number=row["job_row_number"],
        notification_sent_at=row["sent_at"],
    )


async def time_out_stuck(
    engine: AsyncEngine, producer: EventProducer, after: timedelta, limit: int = 5000
) -> int:
    """Publish a timeout for every notification stuck in sending/pending; returns how many."""
    total = 0
    while True:
        async with engine.connect() as conn:
            rows = (await conn.execute(STUCK, {"cutoff": now() - after, "limit": limit})).mappings().all()
        if not rows:
            return total
        await producer.publish_many((topics.NOTIFICATION_STATUS, timeout_event(dict(r))) for r in rows)
        total += len(rows)
        if len(rows) < limit:
            return total
        await asyncio.sleep(1)  # let the projector apply them before looking again


async def refill_in_flight(engine: AsyncEngine) -> int:
    """Adds to the in-flight set every email and text still sending or pending that is missing
    from it; returns how many. A projector of a version before the set (during a rolling upgrade,
    or after a rollback) projects sends without adding them, and the timeout would never find
    them; each process runs this before its first timeout run. It cannot break a batch: a message
    it sees in flight was already in flight when a batch locks it, so no batch adds it too, and
    one a batch takes out of flight meanwhile is only passed over by the timeout (which checks the
    row's status) until retention deletes it. A scan of ``notifications``, once per process."""
    async with engine.begin() as conn:
        return int((await conn.execute(sql.FILL_IN_FLIGHT)).rowcount or 0)


async def purge(conn: AsyncConnection, default_days: int, batch: int) -> int:
    """One batch of retention deletes in the caller's transaction; returns notifications deleted."""
    params = {"default_days": default_days, "batch": batch}
    deleted = int((await conn.execute(PURGE_NOTIFICATIONS, params)).scalar_one())
    await conn.execute(PURGE_INBOUND, params)
    await conn.execute(PURGE_ORPHANS, {"batch": batch})
    await conn.execute(PURGE_UNSUBSCRIBE_REQUESTS, {"batch": batch})
    return deleted


async def apply_retention(engine: AsyncEngine, default_days: int, batch: int) -> int:
    total = 0
    while True:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": PROJECTION_LOCK})
            deleted = await purge(conn, default_days, batch)
        total += deleted
        if deleted < batch:
            return total


class PeriodicTasks:
    def __init__(self, engine: AsyncEngine, producer: EventProducer, settings: ProjectorSettings) -> None:
        self._engine, self._producer, self._settings = engine, producer, settings
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        s = self._settings
        after = timedelta(hours=s.timeout_after_hours)

        def retention() -> Awaitable[int]:
            return apply_retention(self._engine, s.retention_default_days, s.retention_batch_size)

        refilled = False

        async def timeouts() -> int:
            nonlocal refilled
            if not refilled:
                added = await refill_in_flight(self._engine)
                refilled = True
                if added:
                    log.warning("in-flight set refilled", extra={"count": added})
            return await time_out_stuck(self._engine, self._producer, after)

        self._tasks = [
            asyncio.create_task(
                self._every(s.timeout_interval_seconds, TIMEOUT_LOCK, "timeouts", timeouts)
            ),
            asyncio.create_task(
                self._every(s.retention_interval_seconds, RETENTION_LOCK, "retention",
                            retention)
            ),
        ]  # fmt: skip

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _every(self, seconds: float, lock: int, name: str, run: Callable[[], Awaitable[int]]) -> None:
        while True:
            try:
                async with self._engine.connect() as conn:
                    try_lock = text("SELECT pg_try_advisory_lock(:k)")
                    got = (await conn.execute(try_lock, {"k": lock})).scalar_one()
                    await conn.commit()
                    if got:
                        try:
                            count = await run()
                            log.info("periodic task ran", extra={"task": name, "count": count})
                        finally:
                            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock})
                            await conn.commit()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic task failed", extra={"task": name})
            await asyncio.sleep(seconds)
