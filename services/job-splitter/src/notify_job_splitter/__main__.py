"""Entry point: ``notify-job-splitter`` turns CSV jobs into notifications on the bulk lanes, and
publishes single sends held for their ``scheduled_for`` when it comes.

Three loops share one process: the consumer folds the ``notify.jobs`` topic into the job store in
PostgreSQL (new jobs and its own statuses and progress read back) and applies the commands of
``notify.jobs.commands`` (cancel a scheduled job, answered with ``JobStatusChanged(cancelled)``),
the scheduler starts due jobs from that store and splits them (see store.py, scheduler.py and
splitting.py), and the scheduled sends' loop publishes the held sends that have come due
(scheduled_sends.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from notify_common import topics
from notify_common.annual_limits import warnings_key
from notify_common.db import create_engine
from notify_common.errors import RetryableError
from notify_common.jobs.files import JobFiles
from notify_common.kafka import EventProducer, Received
from notify_common.ratelimit import Limiter
from notify_common.recipients.phone import keep_phone_patterns_compiled
from notify_common.redis_packing import redis_from_url
from notify_common.runtime import ConsumerApp, run_consumer
from notify_common.settings import CommonSettings
from notify_job_splitter.scheduled_sends import ScheduledSends
from notify_job_splitter.scheduler import Scheduler
from notify_job_splitter.settings import JobSplitterSettings
from notify_job_splitter.splitting import JobSplit
from notify_job_splitter.store import record


def build(common: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(common, JobSplitterSettings)
    settings = common
    keep_phone_patterns_compiled()  # every row's number is parsed
    # One connection per job being split holds its lock; a few more for the consumer and polls.
    engine = create_engine(settings, pool_size=settings.split_max_concurrent_jobs + 3)
    redis = redis_from_url(settings.redis_url.get_secret_value())
    stopping = asyncio.Event()
    limiter = Limiter(redis, warnings_key=warnings_key(settings.kafka_topic_prefix))
    split = JobSplit(settings, producer, JobFiles(settings, settings.jobs_bucket), limiter, stopping)
    scheduler = Scheduler(settings, engine, split, stopping)
    scheduled_sends = ScheduledSends(engine, producer)
    tasks: list[asyncio.Task[None]] = []

    async def handle(batch: Sequence[Received]) -> None:
        try:
            await record(engine, producer, (received.event for received in batch))
        except (SQLAlchemyError, OSError) as exc:
            raise RetryableError(f"job store unavailable: {type(exc).__name__}") from exc

    async def start() -> None:
        tasks.append(asyncio.create_task(scheduler.run(), name="scheduler"))
        tasks.append(
            asyncio.create_task(
                scheduled_sends.run(settings.scheduler_interval_seconds, stopping), name="scheduled-sends"
            )
        )

    async def stop() -> None:
        await scheduler.stop()
        for task in tasks:
            await task
        await redis.aclose()  # type: ignore[attr-defined]
        await engine.dispose()

    async def ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        stale = time.monotonic() - scheduler.last_tick_monotonic > 30
        return not stale and all(not t.done() for t in tasks)

    return ConsumerApp(
        group=topics.GROUP_JOB_SPLITTER,
        topics=topics.topics_read_by(topics.GROUP_JOB_SPLITTER),
        handler=handle,
        on_start=start,
        on_stop=stop,
        ready=ready,
        max_records=500,
    )


def main() -> int:
    return run_consumer("job-splitter", JobSplitterSettings(), build)


if __name__ == "__main__":
    raise SystemExit(main())
