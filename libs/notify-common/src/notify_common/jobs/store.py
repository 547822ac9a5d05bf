"""Reading the job-splitter's store of jobs (``job_splitter_jobs``): one job as the job-splitter
last recorded it, for the API and the admin to answer with.

Only the job-splitter writes this table (``notify_job_splitter.store``); everyone else asks it
through events (``CancelJob`` on ``notify.jobs.commands``) and reads the outcome back here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common.events import JobStatus

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


SELECT_JOB = text("SELECT * FROM job_splitter_jobs WHERE job_id = :id")


async def get_job(conn: AsyncConnection, job_id: str) -> StoredJob | None:
    row = (await conn.execute(SELECT_JOB, {"id": job_id})).mappings().first()
    return StoredJob.from_row(row) if row is not None else None
