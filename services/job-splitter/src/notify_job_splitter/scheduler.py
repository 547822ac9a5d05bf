"""The scheduler loop: every second (by default) it looks for due jobs (new ones, scheduled ones
whose time has come, and ones a dead splitter left in progress), takes each one's lock and splits
it, up to ``split_max_concurrent_jobs`` at once.

Jobs scheduled ahead wait in PostgreSQL, not in memory, so a restart loses none and they start
within a polling interval of their time. A job that fails for a reason that may pass (Kafka, S3 or
the database unreachable) is retried with backoff; one that cannot succeed ends in ``error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common.errors import PermanentError
from notify_common.events import JobStatus
from notify_common.jobs.store import get_job
from notify_job_splitter.settings import JobSplitterSettings
from notify_job_splitter.splitting import JobSplit
from notify_job_splitter.store import due_job_ids, try_lock, unlock

log = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 300.0


class Scheduler:
    def __init__(
        self, settings: JobSplitterSettings, engine: AsyncEngine, split: JobSplit, stopping: asyncio.Event
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._split = split
        self._stopping = stopping
        self._running: dict[str, asyncio.Task[None]] = {}
        self._retry: dict[str, tuple[float, float]] = {}  # job id -> (not before, last delay)
        self.last_tick_monotonic = 0.0

    @property
    def running(self) -> int:
        return len(self._running)

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception as exc:
                log.warning("looking for due jobs failed", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._settings.scheduler_interval_seconds)

    async def tick(self) -> None:
        """Start every due job this splitter has room for and can lock."""
        self.last_tick_monotonic = time.monotonic()
        free = self._settings.split_max_concurrent_jobs - len(self._running)
        if free <= 0:
            return
        async with self._engine.connect() as conn:
            candidates = await due_job_ids(conn, datetime.now(UTC), limit=100)
        clock = time.monotonic()
        for job_id in candidates:
            if free <= 0 or self._stopping.is_set():
                break
            if job_id in self._running or self._retry.get(job_id, (0.0, 0.0))[0] > clock:
                continue
            conn = await self._engine.connect()
            try:
                locked = await try_lock(conn, job_id)
                await conn.commit()
            except BaseException:
                await conn.close()
                raise
            if not locked:  # another splitter has it
                await conn.close()
                continue
            self._running[job_id] = asyncio.create_task(self._run(conn, job_id), name=f"job-{job_id}")
            free -= 1

    async def _run(self, conn: AsyncConnection, job_id: str) -> None:
        try:
            await self._split.run(conn, job_id)
            self._retry.pop(job_id, None)
        except PermanentError as exc:
            await self._fail(conn, job_id, str(exc))
        except Exception as exc:
            _, last = self._retry.get(job_id, (0.0, 0.0))
            delay = min(MAX_RETRY_SECONDS, last * 2 if last else self._settings.split_retry_seconds)
            self._retry[job_id] = (time.monotonic() + delay, delay)
            log.warning(
                "job interrupted, will retry",
                extra={"job_id": job_id, "error": type(exc).__name__, "retry_in_s": delay},
            )
        finally:
            with contextlib.suppress(Exception):
                await unlock(conn, job_id)
                await conn.commit()
            with contextlib.suppress(Exception):
                await conn.close()
            self._running.pop(job_id, None)

    async def _fail(self, conn: AsyncConnection, job_id: str, reason: str) -> None:
        try:
            await conn.rollback()
            job = await get_job(conn, job_id)
            if job is not None:
                await self._split.finish(conn, job, JobStatus.ERROR, reason)
        except Exception as exc:
            log.warning("could not record job error", extra={"job_id": job_id, "error": type(exc).__name__})

    async def stop(self) -> None:
        """Let every job finish its batch in hand and checkpoint; the jobs resume on next start."""
        self._stopping.set()
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
