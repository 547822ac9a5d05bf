"""The job-splitter's loop over single sends held for their ``scheduled_for``: what the api-gateway
holds is published once it is due, exactly once however many splitters release at the same time,
and never before its time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from notify_api_gateway.scheduling import HeldSends
from notify_common import topics
from notify_common.events import SmsRequested
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from notify_job_splitter.scheduled_sends import ScheduledSends
from tests.integration.job_splitter.support import of_type, read_topic
from tests.support.senders import sms_request


async def _hold(engine: AsyncEngine, when: datetime, count: int) -> set[str]:
    events = [sms_request() for _ in range(count)]
    await HeldSends(engine).hold(
        [(topics.SMS_REQUESTED, e, {"id": e.notification_id, "created_at": when}, when) for e in events]
    )
    return {str(e.notification_id) for e in events}


async def test_due_sends_are_published_once_by_splitters_releasing_together(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    due = await _hold(engine, datetime.now(UTC) - timedelta(seconds=1), 30)
    later = await _hold(engine, datetime.now(UTC) + timedelta(hours=1), 1)
    other = EventProducer(kafka, client_id="test-second-splitter")
    await other.start()
    try:
        released = await asyncio.gather(
            ScheduledSends(engine, producer).release_due(), ScheduledSends(engine, other).release_due()
        )
    finally:
        await other.stop()
    published = [
        e.notification_id for e in of_type(await read_topic(kafka, topics.SMS_REQUESTED), SmsRequested)
    ]
    assert sum(released) == len(due)
    assert sorted(n for n in published if n in due | later) == sorted(due)
    assert await ScheduledSends(engine, producer).release_due() == 0
