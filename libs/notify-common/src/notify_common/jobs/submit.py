"""Creating and cancelling CSV jobs: what the admin API, the batch endpoint and the CLI call.

``submit_job`` checks a file against the template's current version, stores it in S3 and
publishes ``JobRequested`` and ``JobStatusChanged`` (scheduled or pending), returning only once
Kafka has acknowledged both: an accepted job is durable. Nothing is sent for a file that fails
any check; ``JobRejected`` carries the reasons (file problems, then the first 20 bad rows).

``cancel_job`` asks the job-splitter to cancel a scheduled job with a command (``CancelJob`` on
``notify.jobs.commands``) and answers from the job-splitter's store once it has decided: only the
job-splitter writes that store, and it cancels and starts a job by one conditional update of the
same row, so a job is either cancelled before it starts or refused as already started, never both.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.events import CancelJob, JobRequested, JobStatus, JobStatusChanged, new_event_id
from notify_common.jobs.config import load_current_template, load_service
from notify_common.jobs.files import JobFiles, object_key_for
from notify_common.jobs.model import CHANNEL_WORDS, CsvLimits
from notify_common.jobs.store import StoredJob, get_job
from notify_common.jobs.validation import CsvReport, validate_csv
from notify_common.kafka import EventProducer, PublishTimeout

MAX_SCHEDULE_AHEAD = timedelta(days=7)
# How long ``cancel_job`` waits for the job-splitter to decide (it takes well under a second when
# running), and how often it looks.
CANCEL_CONFIRM_SECONDS = 10.0
CANCEL_POLL_SECONDS = 0.05


class JobRejected(ValueError):
    """A job that was not created. ``messages`` are for people; ``report`` is set when the file
    itself was checked (with its row errors). ``status_code`` is the HTTP status that fits."""

    def __init__(self, messages: list[str], report: CsvReport | None = None, status_code: int = 400) -> None:
        self.messages = messages
        self.report = report
        self.status_code = status_code
        super().__init__("; ".join(messages))


class JobNotFound(LookupError):
    """No such job for this service (or not yet recorded by the job-splitter)."""


class JobNotCancellable(ValueError):
    """Only a scheduled job can be cancelled; ``status`` is where the job is now."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"Job is {status.replace('_', ' ')}: only a scheduled job can be cancelled")


class CancelUnconfirmed(PublishTimeout):
    """The cancel command was written but the job-splitter did not decide in time; it may still
    cancel the job. A ``PublishTimeout``, so the API answers it as any request whose effect could
    not be confirmed in time (503, check before asking again)."""

    def __init__(self) -> None:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        written.set_result(None)
        super().__init__(written)
        self.args = ("the job-splitter did not decide on the cancellation in time",)


@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    service_id: str
    template_id: str
    template_version: int
    channel: str
    status: str  # scheduled | pending
    row_count: int
    original_file_name: str
    scheduled_for: datetime | None
    bucket: str
    object_key: str
    report: CsvReport


def _spool(csv: BinaryIO | bytes) -> tuple[BinaryIO, int]:
    """A seekable stream of the upload and its size; large uploads go to a temporary file."""
    if isinstance(csv, bytes):
        return io.BytesIO(csv), len(csv)
    if csv.seekable():
        start = csv.tell()
        size = csv.seek(0, os.SEEK_END) - start
        csv.seek(start)
        return csv, size
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned
    while chunk := csv.read(1024 * 1024):
        spooled.write(chunk)
    size = spooled.tell()
    spooled.seek(0)
    return spooled, size  # type: ignore[return-value]


def check_schedule(scheduled_for: datetime | None, now: datetime) -> None:
    if scheduled_for is None:
        return
    if scheduled_for.tzinfo is None:
        raise JobRejected(["scheduled_for must include a timezone (for example 2026-01-31T09:00:00Z)"])
    if scheduled_for < now:
        raise JobRejected(["Date cannot be in the past"])
    if scheduled_for > now + MAX_SCHEDULE_AHEAD:
        raise JobRejected(["Date cannot be more than 7 days in the future"])


async def submit_job(
    *,
    engine: AsyncEngine,
    producer: EventProducer,
    files: JobFiles,
    service_id: str,
    template_id: str,
    csv: BinaryIO | bytes,
    original_file_name: str,
    key_type: str = "normal",
    scheduled_for: datetime | None = None,
    created_by: str | None = None,
    limits: CsvLimits | None = None,
    remaining_daily_allowance: int | None = None,
    job_id: str | None = None,
    correlation_id: str | None = None,
    ack_within: float | None = None,
    contact_list_id: str | None = None,
) -> SubmittedJob:
    """Check, store and publish a CSV job; raise ``JobRejected`` if it cannot be sent, or
    ``PublishTimeout`` if Kafka does not acknowledge within ``ack_within`` seconds (when given).

    - ``csv``: the file's bytes, or a binary stream (read from its current position; streams
      that cannot seek are spooled to a temporary file first). UTF-8, comma-separated.
    - ``key_type``: normal | team | test, as the API key that asked (team keys and services in
      trial mode may only send to their team and guest list).
    - ``scheduled_for``: timezone-aware, in the future and at most 7 days ahead; None sends now.
    - ``limits``: rows and bytes allowed (100,000 rows and 10 MB by default).
    - ``remaining_daily_allowance``: how many more messages of the template's channel the service
      may send today, when the caller knows (the job-splitter checks the daily limit again, for
      the whole job, when the job starts).
    - ``job_id``: to make a retried submission idempotent; a fresh UUID by default.
    - ``contact_list_id``: the saved contact list the file came from, recorded with the job.
    """
    now = datetime.now(UTC)
    check_schedule(scheduled_for, now)
    async with engine.connect() as conn:
        service = await load_service(conn, service_id)
        template = await load_current_template(conn, service_id, template_id)
    if service is None or not service.active:
        raise JobRejected(["Service not found"], status_code=404)
    if template is None:
        raise JobRejected(["Template not found"])
    if template.archived:
        raise JobRejected(["Template has been deleted"])
    if not service.may(str(template.channel)):
        raise JobRejected([f"Service is not allowed to send {CHANNEL_WORDS[template.channel]}"])

    stream, size = _spool(csv)
    start = stream.tell()
    # Rendering every row takes seconds for a big file: keep it off the event loop.
    report = await asyncio.to_thread(
        validate_csv,
        stream,
        service=service,
        template=template,
        key_type=key_type,
        limits=limits,
        size_bytes=size,
        remaining_daily_allowance=remaining_daily_allowance,
    )
    if not report.valid:
        raise JobRejected(report.messages(), report)

    job_id = job_id or str(uuid.uuid4())
    key = object_key_for(service_id, job_id)
    stream.seek(start)
    await files.upload(
        key,
        stream,
        {
            "service_id": service_id,
            "template_id": template.id,
            "template_version": str(template.version),
            "notification_count": str(report.row_count),
            "international_sms_count": str(report.international_sms_count),
            "valid": "True",
            "original_file_name": original_file_name,
        },
    )
    status = JobStatus.SCHEDULED if scheduled_for else JobStatus.PENDING
    requested = JobRequested(
        event_id=new_event_id(),
        service_id=service_id,
        occurred_at=now,
        correlation_id=correlation_id,
        job_id=job_id,
        template_id=template.id,
        template_version=template.version,
        channel=template.channel,
        key_type=key_type,
        bucket=files.bucket,
        object_key=key,
        original_file_name=original_file_name,
        row_count=report.row_count,
        scheduled_for=scheduled_for,
        created_by=created_by,
        contact_list_id=contact_list_id,
    )
    changed = JobStatusChanged(
        service_id=service_id, occurred_at=now, correlation_id=correlation_id, job_id=job_id, status=status
    )
    await producer.publish_many([(topics.JOBS, requested), (topics.JOBS, changed)], ack_within=ack_within)
    return SubmittedJob(
        job_id=job_id,
        service_id=service_id,
        template_id=template.id,
        template_version=template.version,
        channel=str(template.channel),
        status=str(status),
        row_count=report.row_count,
        original_file_name=original_file_name,
        scheduled_for=scheduled_for,
        bucket=files.bucket,
        object_key=key,
        report=report,
    )


async def cancel_job(
    *,
    engine: AsyncEngine,
    producer: EventProducer,
    service_id: str,
    job_id: str,
    correlation_id: str | None = None,
    key_type: str | None = None,
    confirm_within: float = CANCEL_CONFIRM_SECONDS,
) -> StoredJob:
    """Ask the job-splitter to cancel a scheduled job (``CancelJob`` on ``notify.jobs.commands``) and
    answer from its store once it has decided. With ``key_type`` (an API caller's), only a job made
    with that type of key is found.

    Raises ``JobNotFound`` (unknown, another service's, or not yet recorded by the job-splitter,
    which takes a moment after ``submit_job``), ``JobNotCancellable`` (no longer scheduled, or
    started before the command reached the job-splitter) or ``CancelUnconfirmed`` (the job-splitter
    did not decide within ``confirm_within`` seconds; the command stays on the topic and may still
    cancel the job).
    """
    job = await _read_job(engine, job_id)
    if job is None or job.service_id != service_id or key_type not in (None, job.key_type):
        raise JobNotFound(job_id)
    if job.status != JobStatus.SCHEDULED:
        raise JobNotCancellable(job.status)
    command = CancelJob(
        service_id=service_id, correlation_id=correlation_id, job_id=job_id, key_type=key_type
    )
    await producer.publish(topics.JOB_COMMANDS, command)
    deadline = time.monotonic() + confirm_within
    while job.status == JobStatus.SCHEDULED:
        if time.monotonic() >= deadline:
            raise CancelUnconfirmed()
        await asyncio.sleep(CANCEL_POLL_SECONDS)
        found = await _read_job(engine, job_id)
        assert found is not None  # the job-splitter never deletes a job
        job = found
    if job.status != JobStatus.CANCELLED:
        raise JobNotCancellable(job.status)
    return job


async def _read_job(engine: AsyncEngine, job_id: str) -> StoredJob | None:
    async with engine.connect() as conn:
        return await get_job(conn, job_id)
