"""A ``JobBackend`` that goes straight to the platform (PostgreSQL, Kafka, S3) instead of the
HTTP API: for operators' tools (``notify-admin send-csv``) that run with the platform's settings
and name the service themselves. Jobs are created with ``submit_job``, exactly as the API creates
them, and read back in the API's shape.

The backend is synchronous (the progress display is); it runs its coroutines on a private event
loop, and must be closed.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common.db import create_engine
from notify_common.jobs.files import JobFiles
from notify_common.jobs.sendfile import Uploaded
from notify_common.jobs.settings import JobsSettings
from notify_common.jobs.store import get_job, job_json
from notify_common.jobs.submit import JobRejected, SubmittedJob, submit_job
from notify_common.kafka import EventProducer

SPOOL_IN_MEMORY_BYTES = 4 * 1024 * 1024
JOB_STATISTICS = text("""
SELECT status, count(*) AS count FROM projection_notifications
WHERE service_id = :service_id AND job_id = :job_id AND created_at IS NOT NULL
GROUP BY status ORDER BY status
""")


def parse_when(value: str | None) -> datetime | None:
    """ISO 8601 with a timezone (``Z`` allowed); ``ValueError`` with a message for people."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("scheduled_for is not a valid ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise ValueError("scheduled_for must include a timezone, for example 2026-01-31T09:00:00Z")
    return parsed


def check_uuid(name: str, value: str) -> None:
    """``ValueError`` with a message for people unless ``value`` is a UUID."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{name} is not a valid UUID") from None


async def job_statistics(conn: AsyncConnection, service_id: str, job_id: str) -> list[dict[str, Any]]:
    """How many of the job's notifications are in each status, as the projection has them."""
    rows = (await conn.execute(JOB_STATISTICS, {"service_id": service_id, "job_id": job_id})).all()
    return [{"status": str(r[0]), "count": int(r[1])} for r in rows]


class DirectJobs:
    """Submits and reads the jobs of one service with the platform's own connections."""

    def __init__(self, settings: JobsSettings, service_id: str, *, created_by: str) -> None:
        self._settings = settings
        self._service_id = service_id
        self._created_by = created_by
        self._runner = asyncio.Runner()
        self._engine = create_engine(settings, pool_size=2)
        self._producer: EventProducer | None = None  # made on the runner's loop, when needed
        self._files = JobFiles(settings, settings.jobs_bucket)
        self._submitted: SubmittedJob | None = None

    def close(self) -> None:
        async def stop() -> None:
            if self._producer is not None:
                await self._producer.stop()
            await self._engine.dispose()

        try:
            self._runner.run(stop())
        finally:
            self._runner.close()

    def upload(self, chunks: Iterator[bytes], size: int, params: dict[str, str]) -> Uploaded:
        try:
            when = parse_when(params.get("scheduled_for"))
            for name, value in (("service_id", self._service_id), ("template_id", params["template_id"])):
                check_uuid(name, value)
        except ValueError as exc:
            return Uploaded(None, (str(exc),), 400)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spooled:
            for chunk in chunks:
                spooled.write(chunk)
            spooled.seek(0)
            try:
                job = self._runner.run(self._submit(spooled, params, when))
            except JobRejected as exc:
                return Uploaded(None, tuple(exc.messages), exc.status_code)
        self._submitted = job
        return Uploaded(
            {
                "id": job.job_id,
                "notification_count": job.row_count,
                "job_status": job.status,
                "scheduled_for": job.scheduled_for.isoformat() if job.scheduled_for else None,
            }
        )

    async def _submit(self, csv: Any, params: dict[str, str], when: datetime | None) -> SubmittedJob:
        if self._producer is None:
            producer = EventProducer(self._settings, client_id="notify-admin-send-csv")
            await producer.start()
            self._producer = producer
        return await submit_job(
            engine=self._engine,
            producer=self._producer,
            files=self._files,
            service_id=self._service_id,
            template_id=params["template_id"],
            csv=csv,
            original_file_name=params.get("file_name", "upload.csv"),
            scheduled_for=when,
            created_by=self._created_by,
            limits=self._settings.csv_limits(),
        )

    def job(self, job_id: str) -> dict[str, Any]:
        return self._runner.run(self._job(job_id))

    async def _job(self, job_id: str) -> dict[str, Any]:
        async with self._engine.connect() as conn:
            job = await get_job(conn, job_id)
            statistics = await job_statistics(conn, self._service_id, job_id)
        if job is None:  # not yet recorded by the job-splitter (it reads the jobs topic)
            submitted = self._submitted
            status = submitted.status if submitted is not None and submitted.job_id == job_id else "pending"
            count = submitted.row_count if submitted is not None else 0
            return {
                "id": job_id,
                "notification_count": count,
                "rows_emitted": 0,
                "job_status": status,
                "statistics": statistics,
            }
        return job_json(job, statistics)
