"""Splits one job: streams its CSV from S3 and publishes a requested event per row to the bulk lane.

Rows go out in batches; after Kafka has acknowledged a batch (and every batch before it), the
checkpoint (``next_row``) is written on the connection that holds the job's lock, then
``JobProgressed`` is published. A crash at any point therefore resumes from the last checkpoint:
rows after it (at most ``MAX_BATCHES_IN_FLIGHT`` batches) are published again with the same
notification ids (derived from job id and row index), which the senders' claims turn into no-ops.
The CSV is read and rendered in a worker thread, one batch at a time, while the batch before it is
in flight, so memory stays flat whatever the file size and the event loop keeps serving Kafka and
health checks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common import metrics, topics
from notify_common.annual_limits import over_annual_limit_message
from notify_common.events import JobProgressed, JobStatus, JobStatusChanged, NotificationRequested, now
from notify_common.jobs import CsvRow, JobTemplate, RecipientsCsv, RowInvalid, RowRenderer, SendingService
from notify_common.jobs.config import load_service, load_template_version
from notify_common.jobs.files import JobFiles
from notify_common.jobs.store import FINAL, StoredJob, get_job
from notify_common.kafka import EventProducer
from notify_common.ratelimit import DailyLimit, Limiter, annual_limit
from notify_job_splitter.settings import JobSplitterSettings
from notify_job_splitter.store import set_progress, set_status

log = logging.getLogger(__name__)


# Batches rendered ahead of the last checkpoint: at most this many are published again after a crash.
MAX_BATCHES_IN_FLIGHT = 2


@dataclass
class _Progress:
    next_row: int  # the last checkpoint written


@dataclass
class Batch:
    events: list[NotificationRequested]
    next_row: int  # the checkpoint once these are acknowledged
    skipped: int
    exhausted: bool


def next_batch(rows: Iterator[CsvRow], renderer: RenderingContext, resume_from: int, size: int) -> Batch:
    """Read up to ``size`` rows at or after ``resume_from`` and render them (runs in a thread)."""
    events: list[NotificationRequested] = []
    skipped = read = 0
    next_row = resume_from
    for row in rows:
        if row.index < resume_from:
            continue
        try:
            events.append(renderer.render(row))
        except RowInvalid:
            # Checked at upload; only a permission withdrawn since can land here.
            skipped += 1
            log.warning(
                "row not sent: invalid at split time", extra={"job_id": renderer.job.job_id, "row": row.index}
            )
        next_row = row.index + 1
        read += 1
        if read >= size:
            return Batch(events, next_row, skipped, exhausted=False)
    return Batch(events, next_row, skipped, exhausted=True)


@dataclass
class RenderingContext:
    job: StoredJob
    renderer: RowRenderer

    def render(self, row: CsvRow) -> NotificationRequested:
        return self.renderer.event(
            row, job_id=self.job.job_id, created_at=now(), correlation_id=self.job.correlation_id
        )


class JobSplit:
    """Runs jobs to completion (or until asked to stop); the caller holds each job's lock."""

    def __init__(
        self,
        settings: JobSplitterSettings,
        producer: EventProducer,
        files: JobFiles,
        limiter: Limiter | None,
        stopping: asyncio.Event,
    ) -> None:
        self._settings = settings
        self._producer = producer
        self._files = files
        self._limiter = limiter
        self._stopping = stopping

    async def run(self, conn: AsyncConnection, job_id: str) -> None:
        job = await get_job(conn, job_id)
        if job is None or job.status in FINAL or job.due_at > datetime.now(UTC):
            await conn.commit()
            return
        service = await load_service(conn, job.service_id)
        template = await load_template_version(conn, job.service_id, job.template_id, job.template_version)
        await conn.commit()
        ids = {"job_id": job_id, "service_id": job.service_id}
        if service is None or template is None:
            await self.finish(conn, job, JobStatus.ERROR, "service or template version not found")
            return
        if job.status != JobStatus.IN_PROGRESS:
            if not service.active:
                await self.finish(conn, job, JobStatus.ERROR, "service is not active")
                return
            started = await set_status(conn, job_id, JobStatus.IN_PROGRESS, now())
            await conn.commit()
            if not started:  # cancelled in the meantime
                return
            refused = await self._count_daily_limits(job, service)
            if refused is not None:
                await self.finish(conn, job, JobStatus.SENDING_LIMITS_EXCEEDED, refused)
                return
            log.info("job started", extra={**ids, "row_count": job.row_count})
        else:
            log.info("job resumed", extra={**ids, "next_row": job.next_row})
        # Published on every (re)start: harmless twice, and never lost by a crash just after start.
        await self._publish_status(job, JobStatus.IN_PROGRESS)
        next_row, skipped, complete = await self._split_rows(conn, job, service, template)
        if complete:
            reason = f"{skipped} rows not sent: invalid at split time" if skipped else None
            await self.finish(conn, job, JobStatus.FINISHED, reason, rows_emitted=next_row)
            log.info("job finished", extra={**ids, "rows": next_row, "skipped": skipped})
        else:
            log.info("job paused", extra={**ids, "next_row": next_row})

    async def finish(
        self,
        conn: AsyncConnection,
        job: StoredJob,
        status: JobStatus,
        reason: str | None = None,
        rows_emitted: int | None = None,
    ) -> None:
        """Publish a final status, then record it: a crash in between publishes it again later."""
        if status != JobStatus.FINISHED:
            log.warning("job ended", extra={"job_id": job.job_id, "status": str(status), "reason": reason})
        events: list[tuple[str, JobProgressed | JobStatusChanged]] = []
        if rows_emitted is not None:
            events.append((topics.JOBS, self._progressed(job, rows_emitted)))
        events.append((topics.JOBS, self._status(job, status, reason)))
        await self._producer.publish_many(events)
        await set_status(conn, job.job_id, status, now(), reason)
        await conn.commit()
        metrics.job_state(str(status))

    async def _split_rows(
        self, conn: AsyncConnection, job: StoredJob, service: SendingService, template: JobTemplate
    ) -> tuple[int, int, bool]:
        """Render batch k+1 (in a thread) while batch k is in flight to Kafka and checkpointed.

        Each batch's delivery is a task that publishes its rows, then waits for the previous
        batch's delivery, then checkpoints: checkpoints are written in order, each only once every
        row before it is acknowledged, and the connection is used by one task at a time.
        """
        topic = topics.requested_topic(job.channel, bulk=True)
        size = self._settings.split_batch_size
        rate = self._settings.split_rows_per_second
        progress = _Progress(job.next_row)
        in_flight: deque[asyncio.Task[None]] = deque()
        stream = await self._files.open_stream(job.object_key, job.bucket)
        try:
            csv = await asyncio.to_thread(RecipientsCsv.from_binary, stream)
            context = RenderingContext(job, RowRenderer(service, template, job.key_type, csv))
            rows = csv.rows()
            read_to, skipped, exhausted = job.next_row, 0, False
            started, done = time.monotonic(), 0
            while not self._stopping.is_set() and not exhausted:
                batch = await asyncio.to_thread(next_batch, rows, context, read_to, size)
                previous = in_flight[-1] if in_flight else None
                in_flight.append(
                    asyncio.create_task(self._deliver(conn, job, topic, batch, previous, progress))
                )
                while len(in_flight) > MAX_BATCHES_IN_FLIGHT:
                    await in_flight.popleft()
                done += batch.next_row - read_to
                read_to, exhausted = batch.next_row, batch.exhausted
                skipped += batch.skipped
                if rate > 0:
                    await asyncio.sleep(max(0.0, started + done / rate - time.monotonic()))
            while in_flight:
                await in_flight.popleft()
            return progress.next_row, skipped, exhausted
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            await asyncio.to_thread(stream.close)

    async def _deliver(
        self,
        conn: AsyncConnection,
        job: StoredJob,
        topic: str,
        batch: Batch,
        previous: asyncio.Task[None] | None,
        progress: _Progress,
    ) -> None:
        if batch.events:
            await self._producer.publish_many((topic, event) for event in batch.events)
            metrics.job_rows_split(len(batch.events))
        if previous is not None:
            await previous
        if batch.next_row > progress.next_row:
            await set_progress(conn, job.job_id, batch.next_row)
            await conn.commit()
            progress.next_row = batch.next_row
            await self._producer.publish(topics.JOBS, self._progressed(job, batch.next_row))

    async def _count_daily_limits(self, job: StoredJob, service: SendingService) -> str | None:
        """Count the whole job against the daily limits and the annual one (not for test keys, which
        send nothing), all or none; the reason if it does not fit."""
        if self._limiter is None:
            return None
        channel = job.channel
        counts = [(DailyLimit(channel, service.daily_limits.get(channel, 0)), job.row_count)]
        if channel == "sms":
            metadata = await self._files.metadata(job.object_key, job.bucket)
            international = int(metadata.get("international_sms_count", "0") or 0)
            if international:
                limit = DailyLimit("international_sms", service.daily_limits.get("international_sms", 0))
                counts.append((limit, international))
        if job.key_type != "test" and channel in service.annual_limits:
            counts.append((annual_limit(channel, service.annual_limits[channel]), job.row_count))
        decision = await self._limiter.count_daily(job.service_id, job.key_type, counts)
        if decision.allowed or decision.exceeded is None:
            return None
        if decision.exceeded.annual:
            return over_annual_limit_message(decision.exceeded.name, decision.exceeded.limit)
        return f"Exceeded send limits ({decision.exceeded.name}: {decision.exceeded.limit}) for today"

    def _status(self, job: StoredJob, status: JobStatus, reason: str | None = None) -> JobStatusChanged:
        return JobStatusChanged(
            service_id=job.service_id,
            correlation_id=job.correlation_id,
            job_id=job.job_id,
            status=status,
            reason=reason,
        )

    def _progressed(self, job: StoredJob, rows_emitted: int) -> JobProgressed:
        return JobProgressed(
            service_id=job.service_id,
            correlation_id=job.correlation_id,
            job_id=job.job_id,
            rows_emitted=rows_emitted,
            row_count=job.row_count,
        )

    async def _publish_status(self, job: StoredJob, status: JobStatus) -> None:
        await self._producer.publish(topics.JOBS, self._status(job, status))
        metrics.job_state(str(status))
