"""The job endpoints (``routes/jobs.py``) mounted on the real api-gateway app, driven by the
``notify-send-csv`` command: a good file is accepted and its job can be read back and cancelled
while scheduled; a bad file is refused with its row errors."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
import uvicorn
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.tables.configuration import api_keys
from notify_api_gateway.app import create_app
from notify_api_gateway.settings import ApiSettings
from notify_common import topics
from notify_common.jobs.files import JobFiles
from notify_common.jobs.store import get_job
from notify_common.kafka import EventProducer
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings
from notify_job_splitter import cli
from notify_job_splitter.store import apply_event
from tests.integration.job_splitter.conftest import BUCKET
from tests.integration.job_splitter.support import (
    job_splitter_taking_commands,
    read_topic,
    seed_service,
    seed_template,
    sms_csv,
)
from tests.support import env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def api_with_jobs(kafka: CommonSettings) -> Iterator[str]:
    settings = ApiSettings(
        database_url=env.DATABASE_URL,
        kafka_bootstrap_servers=env.KAFKA,
        kafka_topic_prefix=kafka.kafka_topic_prefix,
        redis_url=env.REDIS_URL,
        aws_endpoint_url=env.MOTO_URL,
        log_level="WARNING",
        jobs_bucket=BUCKET,
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the api-gateway did not start"
        assert time.monotonic() < deadline, "the api-gateway did not start in time"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def api_key(engine: AsyncEngine, service_id: str, key_type: str = "normal") -> str:
    secret = str(uuid.uuid4())
    box = SecretBox(CommonSettings().secret_key.get_secret_value())
    async with engine.begin() as conn:
        await conn.execute(
            insert(api_keys).values(
                id=str(uuid.uuid4()),
                service_id=service_id,
                name=f"jobs {key_type}",
                key_type=key_type,
                secret=box.seal(secret),
            )
        )
    return f"jobs_{key_type}-{service_id}-{secret}"


async def test_a_csv_sent_with_the_cli_becomes_a_job_that_reads_back_and_cancels_while_scheduled(
    engine: AsyncEngine,
    kafka: CommonSettings,
    producer: EventProducer,
    files: JobFiles,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    key = await api_key(engine, service_id)
    test_key = await api_key(engine, service_id, "test")
    good = tmp_path / "reminders.csv"
    good.write_bytes(sms_csv(30))
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()

    with api_with_jobs(kafka) as url:
        args = [str(good), "--template", template_id, "--api-key", key, "--base-url", url]
        code = await asyncio.to_thread(cli.main, [*args, "--scheduled-for", later])
        assert code == cli.EXIT_OK
        assert "(30 rows) is scheduled for" in capsys.readouterr().out

        async with engine.begin() as conn:  # as the job-splitter's consumer records it
            for event in await read_topic(kafka, topics.JOBS):
                await apply_event(conn, event)
            [job_id] = [
                str(r[0])
                for r in (
                    await conn.exec_driver_sql(
                        "SELECT job_id FROM job_splitter_jobs WHERE service_id = %s", (service_id,)
                    )
                ).all()
            ]

        # A job is visible only to the key type that made it: the service's test key finds nothing.
        test_token = jwt.encode({"iss": service_id, "iat": int(time.time())}, test_key[-36:], "HS256")
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {test_token}"}
        ) as other:
            assert (await other.get(f"/v2/jobs/{job_id}")).status_code == 404
            assert (await other.post(f"/v2/jobs/{job_id}/cancel")).status_code == 404

        token = jwt.encode({"iss": service_id, "iat": int(time.time())}, key[-36:], "HS256")
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            job_splitter_taking_commands(engine, kafka, producer),
            httpx.AsyncClient(base_url=url, headers=headers) as client,
        ):
            read = (await client.get(f"/v2/jobs/{job_id}")).json()["data"]
            assert (read["job_status"], read["notification_count"], read["original_file_name"]) == (
                "scheduled",
                30,
                "reminders.csv",
            )
            cancelled = await client.post(f"/v2/jobs/{job_id}/cancel")
            assert cancelled.status_code == 200
            assert cancelled.json()["data"]["job_status"] == "cancelled"
            again = await client.post(f"/v2/jobs/{job_id}/cancel")
            assert again.status_code == 400
            assert (await client.get(f"/v2/jobs/{uuid.uuid4()}")).status_code == 404
        async with engine.connect() as conn:
            stored = await get_job(conn, job_id)
        assert stored is not None
        assert stored.status == "cancelled"


async def test_a_bad_csv_sent_with_the_cli_is_refused_with_its_row_errors(
    engine: AsyncEngine,
    kafka: CommonSettings,
    files: JobFiles,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service_id = await seed_service(engine)
    template_id = await seed_template(engine, service_id)
    key = await api_key(engine, service_id)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"phone number,name,ref\n07700900123,Ada,1\n07700,Bo,2\n")

    with api_with_jobs(kafka) as url:
        code = await asyncio.to_thread(
            cli.main, [str(bad), "--template", template_id, "--api-key", key, "--base-url", url]
        )
    assert code == cli.EXIT_FAILED
    out = capsys.readouterr().out
    assert "nothing was sent" in out
    assert "Row 3: Mobile number is too short" in out
    assert await read_topic(kafka, topics.JOBS) == []
