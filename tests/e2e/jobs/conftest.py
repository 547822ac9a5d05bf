"""What the CSV jobs end-to-end tests need beside the running platform: a way to submit jobs the
way the API will (``submit_job`` against the platform's database, topics and bucket), the job
store, and the provider simulator's record of what it received."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db import create_engine
from notify_common.jobs import notification_id_for
from notify_common.jobs.files import DEFAULT_BUCKET, JobFiles
from notify_common.jobs.store import StoredJob, get_job
from notify_common.jobs.submit import SubmittedJob, submit_job
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from tests.e2e.conftest import Platform
from tests.support import env


def sms_rows(count: int, *, start: int = 0) -> bytes:
    """A CSV for the demo SMS template ("Hello ((name)), ...") to made-up numbers in a mobile range."""
    lines = ["Phone Number,Name"] + [f"07400 {100_000 + start + n:06d},Person {n}" for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Jobs:
    platform: Platform
    engine: AsyncEngine
    producer: EventProducer
    files: JobFiles

    @property
    def service_id(self) -> str:
        return self.platform.credentials["NOTIFY_SERVICE_ID"]

    async def submit(self, csv: bytes, **kwargs: Any) -> SubmittedJob:
        return await submit_job(
            engine=self.engine,
            producer=self.producer,
            files=self.files,
            service_id=self.service_id,
            template_id=self.platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
            csv=csv,
            original_file_name="e2e.csv",
            **kwargs,
        )

    async def stored(self, job_id: str) -> StoredJob | None:
        async with self.engine.connect() as conn:
            return await get_job(conn, job_id)

    async def wait_stored(self, job_id: str, timeout: float = 20.0) -> StoredJob:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = await self.stored(job_id)
            if job is not None:
                return job
            await asyncio.sleep(0.1)
        raise AssertionError(f"the job-splitter never recorded job {job_id}")

    async def wait_status(self, job_id: str, status: str, timeout: float = 60.0) -> StoredJob:
        deadline = time.monotonic() + timeout
        job = None
        while time.monotonic() < deadline:
            job = await self.stored(job_id)
            if job is not None and job.status == status:
                return job
            await asyncio.sleep(0.1)
        raise AssertionError(f"job {job_id} never became {status}; last {job.status if job else None}")

    async def received(self, job_id: str, rows: int) -> list[dict[str, Any]]:
        """What the provider simulator received for the job's notifications."""
        ids = {notification_id_for(job_id, n) for n in range(rows)}
        async with httpx.AsyncClient(timeout=30) as client:
            messages = (await client.get(f"{self.platform.simulator_url}/api/messages")).json()["messages"]
        return [m for m in messages if m["reference"] in ids]

    async def wait_received(self, job_id: str, rows: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        got: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            got = await self.received(job_id, rows)
            if len(got) >= rows:
                return got
            await asyncio.sleep(0.5)
        raise AssertionError(f"the simulator received {len(got)} of {rows} rows of job {job_id}")


@pytest.fixture
async def jobs(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Jobs]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, os.environ.get(name, "testing"))
    settings = CommonSettings(
        kafka_bootstrap_servers=env.KAFKA,
        kafka_topic_prefix=env.TOPIC_PREFIX,
        database_url=env.DATABASE_URL,
        aws_endpoint_url=env.MOTO_URL,
    )
    engine = create_engine(settings, pool_size=2)
    producer = EventProducer(settings, client_id="e2e-jobs")
    await producer.start()
    try:
        yield Jobs(platform, engine, producer, JobFiles(settings, DEFAULT_BUCKET))
    finally:
        await producer.stop()
        await engine.dispose()
