"""Reading the job-splitter's store of jobs through its read contract ``splitter_jobs`` (a view of
``job_splitter_jobs``): one job as the job-splitter last recorded it, for the API and the admin to
answer with, and the job as ``GET /v2/jobs/{id}`` shows it (``job_json``).

Only the job-splitter writes its table (``notify_job_splitter.store``); everyone else asks it
through events (``CancelJob`` on ``notify.jobs.commands``) and reads the outcome back here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common.events import JobStatus

# Notify's words for job statuses (the events use underscores).
STATUS_WORDS = {"in_progress": "in progress", "sending_limits_exceeded": "sending limits exceeded"}
FINAL = frozenset(
    {JobStatus.FINISHED, JobStatus.CANCELLED, JobStatus.ERROR, JobStatus.SENDING_LIMITS_EXCEEDED}
)


@dataclass(frozen=True)
class StoredJob:
    job_id: str
    service_id: str
    template_id: str
    template_version: int
    channel: str
    key_type: str
    bucket: str
    object_key: str
    original_file_name: str
    row_count: int
    scheduled_for: datetime | None
    due_at: datetime
    status: str
    next_row: int
    reason: str | None
    created_by: str | None
    correlation_id: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: RowMapping) -> StoredJob:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        for name in ("job_id", "service_id", "template_id"):
            values[name] = str(values[name])
        return cls(**values)


SELECT_JOB = text("SELECT * FROM splitter_jobs WHERE job_id = :id")


async def get_job(conn: AsyncConnection, job_id: str) -> StoredJob | None:
    row = (await conn.execute(SELECT_JOB, {"id": job_id})).mappings().first()
    return StoredJob.from_row(row) if row is not None else None


def job_json(job: StoredJob, statistics: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": job.job_id,
        "service": job.service_id,
        "template": job.template_id,
        "template_version": job.template_version,
        "template_type": job.channel,
        "original_file_name": job.original_file_name,
        "notification_count": job.row_count,
        "rows_emitted": job.next_row,
        "job_status": STATUS_WORDS.get(job.status, job.status),
        "reason": job.reason,
        "scheduled_for": iso(job.scheduled_for),
        "created_at": iso(job.requested_at),
        "processing_started": iso(job.started_at),
        "processing_finished": iso(job.finished_at),
        "created_by": job.created_by,
        "statistics": statistics or [],
    }
