"""The job-splitter's store of jobs in PostgreSQL (``job_splitter_jobs``), which only the
job-splitter writes: how events and commands fold into it, which jobs are due, the per-job lock and
progress checkpoints. Others read it through ``notify_common.jobs.store``.

Every change is monotonic, so the topics may be replayed, or the splitter's own status events read
back, in any interleaving with the splitter's direct writes, and the row still ends the same:
a status only moves forward (scheduled/pending → in_progress → a final status), ``cancelled`` only
from ``scheduled``, and ``next_row`` only grows. Cancelling and starting a job are both one
conditional ``UPDATE`` of the same row, so a job is either cancelled before it starts or started
and no longer cancellable, never both.

A job being split is held by a PostgreSQL session-level advisory lock on the connection that also
writes its checkpoints: if the splitter dies, PostgreSQL drops the connection and the lock with
it, and another splitter (or the restarted one) resumes the job from its last checkpoint at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common import topics
from notify_common.events import CancelJob, JobProgressed, JobRequested, JobStatus, JobStatusChanged
from notify_common.kafka import EventProducer

log = logging.getLogger(__name__)

LOCK_CLASS = 0x4A4F4253  # "JOBS": the first key of the two-key advisory lock


def rank(status: str) -> int:
    if status in (JobStatus.SCHEDULED, JobStatus.PENDING):
        return 0
    return 1 if status == JobStatus.IN_PROGRESS else 2


INSERT_REQUESTED = text("""
INSERT INTO job_splitter_jobs (job_id, service_id, template_id, template_version, channel, key_type,
    bucket, object_key, original_file_name, row_count, scheduled_for, due_at, status, created_by,
    correlation_id, requested_at, contact_list_id)
VALUES (:job_id, :service_id, :template_id, :template_version, :channel, :key_type, :bucket,
    :object_key, :original_file_name, :row_count, :scheduled_for, :due_at, :status, :created_by,
    :correlation_id, :requested_at, :contact_list_id)
ON CONFLICT (job_id) DO NOTHING
""")

APPLY_STATUS = text("""
UPDATE job_splitter_jobs SET status = :status, reason = COALESCE(:reason, reason), updated_at = now(),
    started_at = CASE WHEN :status = 'in_progress' THEN COALESCE(started_at, :at) ELSE started_at END,
    finished_at = CASE WHEN :rank = 2 THEN COALESCE(finished_at, :at) ELSE finished_at END
WHERE job_id = :job_id
    AND (CASE status WHEN 'scheduled' THEN 0 WHEN 'pending' THEN 0 WHEN 'in_progress' THEN 1 ELSE 2 END)
        < :rank
    AND (:status <> 'cancelled' OR status = 'scheduled')
RETURNING job_id
""")

APPLY_CANCEL = text("""
UPDATE job_splitter_jobs SET status = 'cancelled', updated_at = now(), finished_at = :at
WHERE job_id = :job_id AND status = 'scheduled' AND service_id = CAST(:service_id AS uuid)
    AND (CAST(:key_type AS text) IS NULL OR key_type = :key_type)
RETURNING correlation_id
""")

APPLY_PROGRESS = text("""
UPDATE job_splitter_jobs SET next_row = :next_row, updated_at = now()
WHERE job_id = :job_id AND next_row < :next_row
""")

DUE = text("""
SELECT job_id FROM job_splitter_jobs
WHERE status IN ('scheduled', 'pending', 'in_progress') AND due_at <= :now
ORDER BY due_at LIMIT :limit
""")

NEXT_DUE_AT = text("""
SELECT min(due_at) FROM job_splitter_jobs WHERE status IN ('scheduled', 'pending', 'in_progress')
""")


def requested_row(event: JobRequested) -> dict[str, object]:
    scheduled = event.scheduled_for
    return {
        "job_id": event.job_id,
        "service_id": event.service_id,
        "template_id": event.template_id,
        "template_version": event.template_version,
        "channel": str(event.channel),
        "key_type": event.key_type,
        "bucket": event.bucket,
        "object_key": event.object_key,
        "original_file_name": event.original_file_name,
        "row_count": event.row_count,
        "scheduled_for": scheduled,
        "due_at": scheduled or event.occurred_at,
        "status": JobStatus.SCHEDULED if scheduled else JobStatus.PENDING,
        "created_by": event.created_by,
        "correlation_id": event.correlation_id,
        "requested_at": event.occurred_at,
        "contact_list_id": event.contact_list_id,
    }


async def set_status(
    conn: AsyncConnection, job_id: str, status: JobStatus, at: datetime, reason: str | None = None
) -> bool:
    """Move a job forward to ``status``; False when it already was there or beyond."""
    params = {"job_id": job_id, "status": str(status), "rank": rank(status), "at": at, "reason": reason}
    return (await conn.execute(APPLY_STATUS, params)).first() is not None


async def set_progress(conn: AsyncConnection, job_id: str, next_row: int) -> None:
    await conn.execute(APPLY_PROGRESS, {"job_id": job_id, "next_row": next_row})


async def cancel(conn: AsyncConnection, command: CancelJob) -> JobStatusChanged | None:
    """Cancel the job if it is still scheduled and the asker's; the status event to publish (before
    the transaction commits, so a crash in between cancels and publishes again), or None when the
    job was left as it is (started, already cancelled, unknown, or not the asker's)."""
    params = {
        "job_id": command.job_id,
        "service_id": command.service_id,
        "key_type": command.key_type,
        "at": command.occurred_at,
    }
    row = (await conn.execute(APPLY_CANCEL, params)).first()
    if row is None:
        log.info("cancel refused: job not scheduled or not the asker's", extra={"job_id": command.job_id})
        return None
    return JobStatusChanged(
        service_id=command.service_id,
        correlation_id=command.correlation_id or row[0],
        job_id=command.job_id,
        status=JobStatus.CANCELLED,
    )


async def apply_event(conn: AsyncConnection, event: object) -> JobStatusChanged | None:
    """Fold one event of the jobs topic, or one command, into the store; the status event a
    command's outcome calls for, if any."""
    if isinstance(event, JobRequested):
        await conn.execute(INSERT_REQUESTED, requested_row(event))
    elif isinstance(event, JobStatusChanged) and event.status not in (JobStatus.SCHEDULED, JobStatus.PENDING):
        await set_status(conn, event.job_id, event.status, event.occurred_at, event.reason)
    elif isinstance(event, JobProgressed):
        await set_progress(conn, event.job_id, event.rows_emitted)
    elif isinstance(event, CancelJob):
        return await cancel(conn, event)
    return None


async def record(engine: AsyncEngine, producer: EventProducer, events: Iterable[object]) -> None:
    """What the consumer does with a batch: fold it into the store in one transaction, and publish
    the commands' outcomes before that commits, so a crash in between applies and publishes again
    (a repeated ``JobStatusChanged`` changes nothing downstream)."""
    async with engine.begin() as conn:
        outcomes = [await apply_event(conn, event) for event in events]
        answers = [(topics.JOBS, o) for o in outcomes if o is not None]
        if answers:
            await producer.publish_many(answers)


async def due_job_ids(conn: AsyncConnection, now: datetime, limit: int) -> list[str]:
    return [str(r[0]) for r in (await conn.execute(DUE, {"now": now, "limit": limit})).all()]


async def next_due_at(conn: AsyncConnection) -> datetime | None:
    value = (await conn.execute(NEXT_DUE_AT)).scalar()
    return value if isinstance(value, datetime) else None


async def try_lock(conn: AsyncConnection, job_id: str) -> bool:
    """Take the job's advisory lock for this connection's session, without waiting."""
    query = text("SELECT pg_try_advisory_lock(:cls, hashtext(:id))")
    return bool((await conn.execute(query, {"cls": LOCK_CLASS, "id": job_id})).scalar())


async def unlock(conn: AsyncConnection, job_id: str) -> None:
    await conn.execute(
        text("SELECT pg_advisory_unlock(:cls, hashtext(:id))"), {"cls": LOCK_CLASS, "id": job_id}
    )
