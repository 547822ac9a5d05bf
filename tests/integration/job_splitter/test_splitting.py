"""The job-splitter, in-process against the real broker, database and moto: every row of a due job
becomes one requested event on the bulk lane, with the pinned template version and a notification
id derived from (job, row); a resumed job publishes only the rows after its checkpoint; scheduled
jobs wait for their time; a cancelled job or one over the daily limit publishes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.tables.audit import service_annual_limits
from notify_common import topics
from notify_common.events import JobProgressed, JobStatus, JobStatusChanged, SmsRequested
from notify_common.jobs import notification_id_for
from notify_common.jobs.files import JobFiles
from notify_common.jobs.store import StoredJob, get_job
from notify_common.jobs.submit import JobRejected, SubmittedJob, cancel_job, submit_job
from notify_common.kafka import EventProducer
from notify_common.ratelimit import Limiter
from notify_common.settings import CommonSettings
from notify_job_splitter.scheduler import Scheduler
from notify_job_splitter.settings import JobSplitterSettings
from notify_job_splitter.splitting import JobSplit
from notify_job_splitter.store import apply_event, set_progress, set_status
from tests.integration.job_splitter.conftest import BUCKET
from tests.integration.job_splitter.support import (
    job_splitter_taking_commands,
    of_type,
    read_topic,
    seed_service,
    seed_template,
    sms_csv,
)
from tests.support import env


@dataclass
class Splitter:
    engine: AsyncEngine
    producer: EventProducer
    files: JobFiles
    kafka: CommonSettings
    scheduler: Scheduler

    async def record(self) -> None:
        """What the splitter's consumer does: fold the jobs topic into the store."""
        async with self.engine.begin() as conn:
            for event in await read_topic(self.kafka, topics.JOBS):
                await apply_event(conn, event)

    async def run_due_jobs(self) -> None:
        await self.scheduler.tick()
        while self.scheduler.running:
            await asyncio.sleep(0.05)

    async def job(self, job_id: str) -> StoredJob:
        async with self.engine.connect() as conn:
            job = await get_job(conn, job_id)
        assert job is not None
        return job

    async def submit(self, service_id: str, template_id: str, rows: int, **kwargs: object) -> SubmittedJob:
        return await submit_job(
            engine=self.engine,
            producer=self.producer,
            files=self.files,
            service_id=service_id,
            template_id=template_id,
            original_file_name="jobs.csv",
            **{"csv": sms_csv(rows), **kwargs},  # type: ignore[arg-type]
        )


@pytest.fixture
async def splitter(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, files: JobFiles
) -> AsyncIterator[Splitter]:
    settings = JobSplitterSettings(**{**kafka.model_dump(), "jobs_bucket": BUCKET, "split_batch_size": 100})
    redis: Redis[bytes] = Redis.from_url(env.REDIS_URL)
    stopping = asyncio.Event()
    split = JobSplit(settings, producer, files, Limiter(redis), stopping)
    yield Splitter(engine, producer, files, kafka, Scheduler(settings, engine, split, stopping))
    await redis.aclose()  # type: ignore[attr-defined]


async def requested(kafka: CommonSettings, job_id: str) -> list[SmsRequested]:
    events = of_type(await read_topic(kafka, topics.SMS_REQUESTED_BULK), SmsRequested)
    return [e for e in events if e.job_id == job_id]


async def test_every_row_of_a_job_is_published_once_to_the_bulk_lane_and_the_job_finishes(
    splitter: Splitter, engine: AsyncEngine, kafka: CommonSettings
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    job = await splitter.submit(service_id, template_id, 1000)
    await splitter.record()
    await splitter.run_due_jobs()

    sent = await requested(kafka, job.job_id)
    assert sorted(e.job_row_number or 0 for e in sent) == list(range(1000))
    assert {e.notification_id for e in sent} == {notification_id_for(job.job_id, n) for n in range(1000)}
    first = next(e for e in sent if e.job_row_number == 0)
    assert first.phone_number == "447700900000"
    assert first.body.endswith("Hello Person 0, your reference is R0")
    assert (first.template_version, first.client_reference, first.key_type) == (1, None, "normal")
    assert await read_topic(kafka, topics.SMS_REQUESTED) == []  # the priority lane is left alone

    stored = await splitter.job(job.job_id)
    assert (stored.status, stored.next_row) == ("finished", 1000)
    jobs_topic = await read_topic(kafka, topics.JOBS)
    statuses = [e.status for e in of_type(jobs_topic, JobStatusChanged) if e.job_id == job.job_id]
    assert statuses == [JobStatus.PENDING, JobStatus.IN_PROGRESS, JobStatus.FINISHED]
    assert max(e.rows_emitted for e in of_type(jobs_topic, JobProgressed)) == 1000


async def test_a_job_interrupted_after_a_checkpoint_resumes_after_it_without_gaps(
    splitter: Splitter, engine: AsyncEngine, kafka: CommonSettings
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    job = await splitter.submit(service_id, template_id, 1000)
    await splitter.record()
    async with engine.begin() as conn:  # as a splitter that died after its checkpoint at row 600 left it
        await set_status(conn, job.job_id, JobStatus.IN_PROGRESS, datetime.now(UTC))
        await set_progress(conn, job.job_id, 600)
    await splitter.run_due_jobs()

    rows = sorted(e.job_row_number or 0 for e in await requested(kafka, job.job_id))
    assert rows == list(range(600, 1000))
    assert (await splitter.job(job.job_id)).status == "finished"


async def test_a_scheduled_job_waits_for_its_time_and_a_cancelled_one_never_starts(
    splitter: Splitter, engine: AsyncEngine, producer: EventProducer, kafka: CommonSettings
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    later = datetime.now(UTC) + timedelta(hours=1)
    waiting = await splitter.submit(service_id, template_id, 5, scheduled_for=later)
    cancelled = await splitter.submit(service_id, template_id, 5, scheduled_for=later)
    await splitter.record()
    async with job_splitter_taking_commands(engine, kafka, producer):
        await cancel_job(engine=engine, producer=producer, service_id=service_id, job_id=cancelled.job_id)
    await splitter.run_due_jobs()
    assert (await splitter.job(waiting.job_id)).status == "scheduled"

    async with engine.begin() as conn:  # the hour passes
        for job_id in (waiting.job_id, cancelled.job_id):
            await conn.exec_driver_sql(
                "UPDATE job_splitter_jobs SET due_at = now() - interval '1 second' WHERE job_id = %s",
                (job_id,),
            )
    await splitter.run_due_jobs()
    assert (await splitter.job(waiting.job_id)).status == "finished"
    assert (await splitter.job(cancelled.job_id)).status == "cancelled"
    assert len(await requested(kafka, waiting.job_id)) == 5
    assert await requested(kafka, cancelled.job_id) == []


async def test_a_job_bigger_than_what_is_left_of_the_daily_limit_sends_nothing(
    splitter: Splitter, engine: AsyncEngine, kafka: CommonSettings
) -> None:
    service_id = await seed_service(engine, sms_message_limit=8)
    template_id = await seed_template(engine, service_id)
    fits = await splitter.submit(service_id, template_id, 5)
    too_many = await splitter.submit(service_id, template_id, 5)
    await splitter.record()
    await splitter.run_due_jobs()

    # Which of the two is counted first is up to the scheduler; only one fits.
    stored = {j.job_id: await splitter.job(j.job_id) for j in (fits, too_many)}
    assert sorted(s.status for s in stored.values()) == ["finished", "sending_limits_exceeded"]
    [over] = [s for s in stored.values() if s.status == "sending_limits_exceeded"]
    assert over.reason == "Exceeded send limits (sms: 8) for today"
    assert await requested(kafka, over.job_id) == []


async def test_a_job_bigger_than_what_is_left_of_the_annual_limit_sends_nothing(
    splitter: Splitter, engine: AsyncEngine, kafka: CommonSettings
) -> None:
    service_id = await seed_service(engine)
    async with engine.begin() as conn:
        await conn.execute(
            insert(service_annual_limits).values(
                service_id=service_id, sms_annual_limit=8, email_annual_limit=8, letter_annual_limit=8
            )
        )
    template_id = await seed_template(engine, service_id)
    fits = await splitter.submit(service_id, template_id, 5)
    too_many = await splitter.submit(service_id, template_id, 5)
    await splitter.record()
    await splitter.run_due_jobs()

    stored = {j.job_id: await splitter.job(j.job_id) for j in (fits, too_many)}
    assert sorted(s.status for s in stored.values()) == ["finished", "sending_limits_exceeded"]
    [over] = [s for s in stored.values() if s.status == "sending_limits_exceeded"]
    assert over.reason == "Exceeded annual SMS sending limit of 8 messages"
    assert await requested(kafka, over.job_id) == []


async def test_a_job_with_a_language_column_sends_each_row_in_its_language(
    splitter: Splitter, engine: AsyncEngine, kafka: CommonSettings
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(
        engine,
        service_id,
        "Hello ((name))",
        language_variants={"cy": {"content": "Helo ((name))"}, "fr": {"content": "Bonjour ((name))"}},
    )
    csv = "phone number,name,language\n07700900001,Ann,cy\n07700900002,Bob,\n07700900003,Cai,fr\n"
    job = await splitter.submit(service_id, template_id, 0, csv=csv.encode())
    await splitter.record()
    await splitter.run_due_jobs()

    sent = sorted(await requested(kafka, job.job_id), key=lambda e: e.job_row_number or 0)
    assert [(e.body, e.language) for e in sent] == [
        (f"Jobs test {service_id[:8]}: Helo Ann", "cy"),
        (f"Jobs test {service_id[:8]}: Hello Bob", "en"),
        (f"Jobs test {service_id[:8]}: Bonjour Cai", "fr"),
    ]


async def test_a_job_with_a_row_in_a_language_the_template_lacks_is_refused_with_the_rows_error(
    splitter: Splitter, engine: AsyncEngine
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(
        engine, service_id, "Hello ((name))", language_variants={"cy": {"content": "Helo ((name))"}}
    )
    csv = "phone number,name,language\n07700900001,Ann,cy\n07700900002,Bob,de\n"
    with pytest.raises(JobRejected) as refused:
        await splitter.submit(service_id, template_id, 0, csv=csv.encode())
    assert refused.value.report is not None
    assert [(e.row, e.messages) for e in refused.value.report.row_errors] == [
        (3, ("language de is not available for this template",))
    ]
