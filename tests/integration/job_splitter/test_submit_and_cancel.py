"""Submitting a CSV job: checked first (nothing is stored or published for a bad file), then stored
in S3 and announced on the jobs topic; a scheduled job can be cancelled until it starts."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.events import CancelJob, JobRequested, JobStatus, JobStatusChanged
from notify_common.jobs import CsvLimits
from notify_common.jobs.files import JobFiles
from notify_common.jobs.store import get_job
from notify_common.jobs.submit import (
    CancelUnconfirmed,
    JobNotCancellable,
    JobNotFound,
    JobRejected,
    SubmittedJob,
    cancel_job,
    submit_job,
)
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from notify_job_splitter.store import apply_event, set_status
from tests.integration.job_splitter.conftest import BUCKET
from tests.integration.job_splitter.support import (
    job_splitter_taking_commands,
    new_template_version,
    of_type,
    read_topic,
    seed_service,
    seed_template,
    sms_csv,
)


async def scheduled_jobs(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, files: JobFiles, count: int = 1
) -> tuple[str, list[SubmittedJob]]:
    """A new service and ``count`` jobs of its, scheduled for tomorrow and held as the job-splitter's
    consumer holds them (the jobs topic applied to its store)."""
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    jobs = [
        await submit_job(
            engine=engine,
            producer=producer,
            files=files,
            service_id=service_id,
            template_id=template_id,
            csv=sms_csv(2),
            original_file_name="later.csv",
            scheduled_for=datetime.now(UTC) + timedelta(days=1),
        )
        for _ in range(count)
    ]
    await apply_jobs_topic(engine, kafka)
    return service_id, jobs


async def apply_jobs_topic(engine: AsyncEngine, kafka: CommonSettings) -> None:
    """What the job-splitter's consumer does with the jobs topic."""
    async with engine.begin() as conn:
        for event in await read_topic(kafka, topics.JOBS):
            await apply_event(conn, event)


async def test_a_file_with_bad_rows_is_rejected_with_row_errors_and_nothing_is_stored_or_published(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, files: JobFiles
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    csv = b"Phone Number,Name,REF\n07700900123,Ada,1\n07700,Bo,2\n07700900125,,3\n"
    job_id = str(uuid.uuid4())
    with pytest.raises(JobRejected) as rejected:
        await submit_job(
            engine=engine,
            producer=producer,
            files=files,
            service_id=service_id,
            template_id=template_id,
            csv=csv,
            original_file_name="bad.csv",
            job_id=job_id,
        )
    assert rejected.value.messages == ["Row 3: Mobile number is too short", "Row 4: Missing name"]
    report = rejected.value.report
    assert report is not None
    assert (report.row_count, report.invalid_rows) == (3, 2)
    assert await read_topic(kafka, topics.JOBS) == []
    with pytest.raises(Exception, match="not found"):
        await files.metadata(f"service-{service_id}-notify/{job_id}.csv")


async def test_a_valid_file_is_stored_with_its_metadata_and_announced_with_the_template_version_pinned(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, files: JobFiles
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    await new_template_version(engine, service_id, template_id, "Edited ((name)) ((ref))")
    job = await submit_job(
        engine=engine,
        producer=producer,
        files=files,
        service_id=service_id,
        template_id=template_id,
        csv=io.BytesIO(sms_csv(3)),
        original_file_name="reminders £.csv",
        created_by="ada@example.gov.uk",
    )
    assert (job.status, job.row_count, job.template_version) == ("pending", 3, 2)
    metadata = await files.metadata(job.object_key)
    assert metadata["notification_count"] == "3"
    assert metadata["template_version"] == "2"
    assert metadata["original_file_name"] == "reminders £.csv"
    stored = await files.open_stream(job.object_key)
    assert stored.read() == sms_csv(3)
    stored.close()
    events = await read_topic(kafka, topics.JOBS)
    [requested] = of_type(events, JobRequested)
    [status] = of_type(events, JobStatusChanged)
    assert (requested.job_id, requested.template_version, requested.row_count) == (job.job_id, 2, 3)
    assert (requested.bucket, requested.object_key, requested.scheduled_for) == (BUCKET, job.object_key, None)
    assert status.status == JobStatus.PENDING


async def test_the_row_limit_can_be_raised_or_lowered_per_call(
    engine: AsyncEngine, producer: EventProducer, files: JobFiles
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    with pytest.raises(JobRejected) as rejected:
        await submit_job(
            engine=engine,
            producer=producer,
            files=files,
            service_id=service_id,
            template_id=template_id,
            csv=sms_csv(11),
            original_file_name="big.csv",
            limits=CsvLimits(max_rows=10),
        )
    assert rejected.value.messages == [
        "Your file has too many rows. You can send up to 10 text messages at once"
    ]


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(minutes=-1), "Date cannot be in the past"),
        (timedelta(days=7, minutes=1), "Date cannot be more than 7 days in the future"),
    ],
)
async def test_a_job_is_scheduled_at_most_7_days_ahead(
    engine: AsyncEngine, producer: EventProducer, files: JobFiles, offset: timedelta, message: str
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    with pytest.raises(JobRejected) as rejected:
        await submit_job(
            engine=engine,
            producer=producer,
            files=files,
            service_id=service_id,
            template_id=template_id,
            csv=sms_csv(1),
            original_file_name="a.csv",
            scheduled_for=datetime.now(UTC) + offset,
        )
    assert rejected.value.messages == [message]


async def test_a_scheduled_job_is_cancelled_once_and_a_started_one_is_not(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, files: JobFiles
) -> None:
    service_id, jobs = await scheduled_jobs(engine, kafka, producer, files, count=2)
    async with engine.begin() as conn:
        await set_status(conn, jobs[1].job_id, JobStatus.IN_PROGRESS, datetime.now(UTC))

    with pytest.raises(JobNotFound):
        await cancel_job(
            engine=engine, producer=producer, service_id=str(uuid.uuid4()), job_id=jobs[0].job_id
        )
    async with job_splitter_taking_commands(engine, kafka, producer):
        cancelled = await cancel_job(
            engine=engine, producer=producer, service_id=service_id, job_id=jobs[0].job_id
        )
        assert cancelled.status == "cancelled"
        with pytest.raises(JobNotCancellable):
            await cancel_job(engine=engine, producer=producer, service_id=service_id, job_id=jobs[0].job_id)
        with pytest.raises(JobNotCancellable):
            await cancel_job(engine=engine, producer=producer, service_id=service_id, job_id=jobs[1].job_id)

    statuses = [(e.job_id, e.status) for e in of_type(await read_topic(kafka, topics.JOBS), JobStatusChanged)]
    assert statuses.count((jobs[0].job_id, JobStatus.CANCELLED)) == 1
    assert (jobs[1].job_id, JobStatus.CANCELLED) not in statuses
    # Replaying the topic into the store does not undo or redo anything.
    await apply_jobs_topic(engine, kafka)
    async with engine.connect() as conn:
        first, second = await get_job(conn, jobs[0].job_id), await get_job(conn, jobs[1].job_id)
    assert first is not None
    assert second is not None
    assert (first.status, second.status) == ("cancelled", "in_progress")


async def test_only_the_job_splitter_cancels_a_job_and_a_job_it_started_first_is_refused_as_started(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, files: JobFiles
) -> None:
    service_id, [job] = await scheduled_jobs(engine, kafka, producer, files)

    # With no job-splitter taking the command, nothing is decided: the caller hears so in time.
    with pytest.raises(CancelUnconfirmed):
        await cancel_job(
            engine=engine, producer=producer, service_id=service_id, job_id=job.job_id, confirm_within=0.5
        )
    async with engine.connect() as conn:
        waiting = await get_job(conn, job.job_id)
    assert waiting is not None
    assert waiting.status == "scheduled"
    [command] = of_type(await read_topic(kafka, topics.JOB_COMMANDS), CancelJob)
    assert (command.job_id, command.service_id, command.key_type) == (job.job_id, service_id, None)

    # The job starts before the job-splitter reads the command: the command changes nothing.
    async with engine.begin() as conn:
        await set_status(conn, job.job_id, JobStatus.IN_PROGRESS, datetime.now(UTC))
    async with job_splitter_taking_commands(engine, kafka, producer):
        with pytest.raises(JobNotCancellable, match="in progress"):
            await cancel_job(engine=engine, producer=producer, service_id=service_id, job_id=job.job_id)
        await asyncio.sleep(0.5)  # time for the first command to be read as well
    async with engine.connect() as conn:
        started = await get_job(conn, job.job_id)
    assert started is not None
    assert started.status == "in_progress"
    statuses = [e.status for e in of_type(await read_topic(kafka, topics.JOBS), JobStatusChanged)]
    assert JobStatus.CANCELLED not in statuses


async def test_a_cancel_command_for_another_service_or_key_type_leaves_the_job_scheduled(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, files: JobFiles
) -> None:
    service_id, [job] = await scheduled_jobs(engine, kafka, producer, files)
    async with engine.begin() as conn:
        for command in (
            CancelJob(service_id=str(uuid.uuid4()), job_id=job.job_id),
            CancelJob(service_id=service_id, job_id=job.job_id, key_type="test"),
        ):
            assert await apply_event(conn, command) is None
        stored = await get_job(conn, job.job_id)
        assert stored is not None
        assert stored.status == "scheduled"
        answer = await apply_event(
            conn, CancelJob(service_id=service_id, job_id=job.job_id, key_type="normal")
        )
        assert answer is not None
        assert (answer.job_id, answer.status) == (job.job_id, JobStatus.CANCELLED)


async def test_a_job_sent_to_a_contact_list_records_the_list_in_the_job_splitters_store(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, files: JobFiles
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    contact_list_id = str(uuid.uuid4())
    job = await submit_job(
        engine=engine,
        producer=producer,
        files=files,
        service_id=service_id,
        template_id=template_id,
        csv=sms_csv(2),
        original_file_name="list.csv",
        contact_list_id=contact_list_id,
    )
    events = await read_topic(kafka, topics.JOBS)
    [requested] = of_type(events, JobRequested)
    assert requested.contact_list_id == contact_list_id
    async with engine.begin() as conn:
        for event in events:
            await apply_event(conn, event)
        stored = (
            await conn.execute(
                text("SELECT contact_list_id FROM job_splitter_jobs WHERE job_id = :id"), {"id": job.job_id}
            )
        ).scalar()
    assert str(stored) == contact_list_id
