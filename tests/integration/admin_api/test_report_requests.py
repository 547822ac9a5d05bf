"""Reports of sent messages built in the background, against PostgreSQL and moto's S3: the admin-api
builds a requested report page by page with its progress recorded, the stored file (encrypted at
rest) is the streamed report of the same filters byte for byte, a report whose builder died is
built again after a restart, and its download ends when its time is up."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from notify_admin_api import report_requests
from notify_admin_api.report_requests import Claim, ReportBuilder, ReportFiles
from notify_projector.tables import notifications
from tests.integration.admin_api.test_console_reports import rows
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, admin_settings
from tests.support import env

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
BUCKET = "notify-reports"  # the admin-api's default NOTIFY_REPORTS_BUCKET
FILTERS_ALL = '{"status": "all", "template_type": null}'  # as the API records {"status": "all"}


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def s3() -> Any:
    return boto3.client("s3", region_name="eu-west-2", endpoint_url=env.MOTO_URL)


def seed(db: Any, sandbox: Sandbox, n: int) -> None:
    """``n`` messages of every mix the filters tell apart, some at the same instant."""
    start = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    made = rows(sandbox, n, start)
    for i, row in enumerate(made):
        row["status"] = ("delivered", "permanent-failure", "sending")[i % 3]
        row["notification_type"] = ("sms", "email")[i % 2]
        row["created_at"] = start + timedelta(seconds=i // 4)  # ties, broken by id
    with db.begin() as conn:
        conn.execute(insert(notifications), made)


def streamed(sandbox: Sandbox, **params: str) -> bytes:
    url = f"{sandbox.admin_url}/admin/console/services/{sandbox.service_id}/notifications.csv"
    response = httpx.get(url, params=params, headers=HEADERS, timeout=60)
    assert response.status_code == 200
    return response.content


def reports_path(sandbox: Sandbox, rest: str = "") -> str:
    return f"/console/services/{sandbox.service_id}/report-requests{rest}"


def download(sandbox: Sandbox, report_id: str) -> httpx.Response:
    return httpx.get(
        f"{sandbox.admin_url}/admin{reports_path(sandbox, f'/{report_id}.csv')}", headers=HEADERS, timeout=60
    )


def wait_stored(sandbox: Sandbox, report_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        found: dict[str, Any] = admin(sandbox.url, "GET", reports_path(sandbox, f"/{report_id}"))
        if found["status"] in ("stored", "failed") or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_report_built_in_the_background_is_the_streamed_report_of_the_same_filters(
    sandbox: Sandbox, db: Any, s3: Any
) -> None:
    seed(db, sandbox, 12_007)
    size = admin(sandbox.url, "GET", f"/console/services/{sandbox.service_id}/report-size?status=all")
    assert size == {"count": 12_007, "background": False}  # the default threshold is 20,000 rows
    body = {"status": "failed", "template_type": "sms", "user_id": "someone"}
    asked = admin(sandbox.url, "POST", reports_path(sandbox), body)
    everything = admin(sandbox.url, "POST", reports_path(sandbox), {"status": "all"})
    done = wait_stored(sandbox, asked["id"])
    assert (done["status"], done["row_count"], done["rows_done"]) == ("stored", 2001, 2001)
    assert datetime.fromisoformat(done["expires_at"]) - datetime.fromisoformat(done["finished_at"]) == (
        timedelta(hours=24)
    )
    report = download(sandbox, asked["id"])
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    assert report.content == streamed(sandbox, status="failed", template_type="sms")
    whole = wait_stored(sandbox, everything["id"])
    assert whole["rows_done"] == 12_007
    assert download(sandbox, everything["id"]).content == streamed(sandbox)
    head = s3.head_object(Bucket=BUCKET, Key=report_requests.report_key(sandbox.service_id, asked["id"]))
    assert head["ServerSideEncryption"] == "AES256"


async def _build_with_small_pages(
    service_id: str, report_id: str, token: datetime, as_of: datetime
) -> list[int]:
    engine = create_async_engine(env.DATABASE_URL)
    builder = ReportBuilder(
        engine,
        ReportFiles(admin_settings(), BUCKET),
        keep=timedelta(hours=1),
        stale_after=timedelta(minutes=1),
    )
    seen: list[int] = []
    record = builder._progress

    async def progress(claim: Claim, done: int, row_count: int | None) -> None:
        await record(claim, done, row_count)
        async with engine.connect() as conn:
            seen.append(
                int(
                    await conn.scalar(
                        text("SELECT rows_done FROM report_requests WHERE id = :id"), {"id": report_id}
                    )
                )
            )

    builder._progress = progress  # type: ignore[method-assign]
    try:
        await builder.build(Claim(report_id, service_id, {"status": "all"}, as_of, token))
    finally:
        await engine.dispose()
    return seen


def test_a_builder_records_its_progress_after_every_page(
    sandbox: Sandbox, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db, sandbox, 2_500)
    monkeypatch.setattr(report_requests, "PAGE_ROWS", 1000)
    report_id = str(uuid.uuid4())
    with db.begin() as conn:  # claimed a moment ago (by this test), so no other builder takes it
        token, as_of = conn.execute(
            text(
                "INSERT INTO report_requests (id, service_id, filters, status, claimed_at) "
                "VALUES (:id, :service_id, CAST(:filters AS jsonb), 'in progress', clock_timestamp()) "
                "RETURNING claimed_at, created_at"
            ),
            {"id": report_id, "service_id": sandbox.service_id, "filters": FILTERS_ALL},
        ).one()
    # Asking for the same report while it is being built answers with it, as Notify does.
    assert admin(sandbox.url, "POST", reports_path(sandbox), {"status": "all"})["id"] == report_id
    seen = asyncio.run(_build_with_small_pages(sandbox.service_id, report_id, token, as_of))
    assert seen == [0, 1000, 2000]
    done = admin(sandbox.url, "GET", reports_path(sandbox, f"/{report_id}"))
    assert (done["status"], done["row_count"], done["rows_done"]) == ("stored", 2500, 2500)
    assert download(sandbox, report_id).content == streamed(sandbox)


def test_a_report_whose_builder_died_is_built_again(sandbox: Sandbox, db: Any) -> None:
    seed(db, sandbox, 30)
    report_id = str(uuid.uuid4())
    with db.begin() as conn:  # claimed ten minutes ago by a builder that has not been heard of since
        conn.execute(
            text(
                "INSERT INTO report_requests (id, service_id, filters, status, claimed_at, rows_done) "
                "VALUES (:id, :service_id, '{\"status\": \"all\"}', 'in progress', "
                "now() - interval '10 minutes', 17)"
            ),
            {"id": report_id, "service_id": sandbox.service_id},
        )
    done = wait_stored(sandbox, report_id)
    assert (done["status"], done["rows_done"]) == ("stored", 30)
    assert download(sandbox, report_id).content == streamed(sandbox)


def test_a_report_cannot_be_downloaded_after_its_time_and_its_file_is_removed(
    sandbox: Sandbox, db: Any, s3: Any
) -> None:
    seed(db, sandbox, 3)
    asked = admin(sandbox.url, "POST", reports_path(sandbox), {"status": "all"})
    assert wait_stored(sandbox, asked["id"])["status"] == "stored"
    key = report_requests.report_key(sandbox.service_id, asked["id"])
    with db.begin() as conn:
        conn.execute(
            text("UPDATE report_requests SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": asked["id"]},
        )
    refused = download(sandbox, asked["id"])
    assert refused.status_code == 410
    assert refused.json() == {
        "status_code": 410,
        "errors": [{"error": "AdminError", "message": "This report is no longer available"}],
    }
    assert admin(sandbox.url, "GET", reports_path(sandbox, f"/{asked['id']}"))["expired"] is True

    def exists() -> bool:
        try:
            s3.head_object(Bucket=BUCKET, Key=key)
        except ClientError:
            return False
        return True

    deadline = time.monotonic() + 15
    while exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not exists()
    unknown = download(sandbox, str(uuid.uuid4()))
    assert unknown.status_code == 404


async def _builders_claim_at_once(stale_after: timedelta) -> list[str | None]:
    engines = [create_async_engine(env.DATABASE_URL) for _ in range(4)]
    builders = [
        ReportBuilder(
            e, ReportFiles(admin_settings(), BUCKET), keep=timedelta(hours=1), stale_after=stale_after
        )
        for e in engines
    ]
    try:
        claims = await asyncio.gather(*(b.claim() for b in builders))
    finally:
        for engine in engines:
            await engine.dispose()
    return [c.id if c is not None else None for c in claims]


def test_replicas_asking_at_once_claim_a_request_once(sandbox: Sandbox, db: Any) -> None:
    report_id = str(uuid.uuid4())
    with db.begin() as conn:  # stale for these builders (10 s), not yet for the admin-api's (60 s)
        conn.execute(
            text(
                "INSERT INTO report_requests (id, service_id, filters, status, claimed_at) "
                "VALUES (:id, :service_id, CAST(:filters AS jsonb), 'in progress', now() - interval '30 seconds')"
            ),
            {"id": report_id, "service_id": sandbox.service_id, "filters": FILTERS_ALL},
        )
    claimed = asyncio.run(_builders_claim_at_once(timedelta(seconds=10)))
    assert claimed.count(report_id) == 1


async def _run(claim: Claim, *, stopping: bool = False) -> None:
    engine = create_async_engine(env.DATABASE_URL)
    builder = ReportBuilder(
        engine,
        ReportFiles(admin_settings(), BUCKET),
        keep=timedelta(hours=1),
        stale_after=timedelta(minutes=1),
    )
    if stopping:
        builder.stopping.set()  # as when its admin-api stops
    try:
        await builder.run(claim)
    finally:
        await engine.dispose()


def claimed_now(db: Any, sandbox: Sandbox, filters: str = FILTERS_ALL) -> Claim:
    """A request claimed a moment ago by the test, so the admin-api's builder leaves it alone."""
    report_id = str(uuid.uuid4())
    with db.begin() as conn:
        token, as_of = conn.execute(
            text(
                "INSERT INTO report_requests (id, service_id, filters, status, claimed_at) "
                "VALUES (:id, :service_id, CAST(:filters AS jsonb), 'in progress', clock_timestamp()) "
                "RETURNING claimed_at, created_at"
            ),
            {"id": report_id, "service_id": sandbox.service_id, "filters": filters},
        ).one()
    return Claim(report_id, sandbox.service_id, json.loads(filters), as_of, token)


def test_a_report_being_built_when_its_admin_api_stops_is_put_back_and_built_by_another(
    sandbox: Sandbox, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db, sandbox, 2_500)
    monkeypatch.setattr(report_requests, "PAGE_ROWS", 1000)
    claim = claimed_now(db, sandbox)
    report_id = claim.id
    asyncio.run(_run(claim, stopping=True))
    # Back to waiting at once (not after the claim goes stale), for the running admin-api to build.
    done = wait_stored(sandbox, report_id)
    assert (done["status"], done["rows_done"]) == ("stored", 2500)
    assert download(sandbox, report_id).content == streamed(sandbox)


def test_a_report_that_cannot_be_built_is_marked_failed(sandbox: Sandbox, db: Any) -> None:
    claim = claimed_now(db, sandbox, '{"status": "bounced", "template_type": null}')  # no such filter
    asyncio.run(_run(claim))
    failed = admin(sandbox.url, "GET", reports_path(sandbox, f"/{claim.id}"))
    assert failed["status"] == "failed"
    assert failed["finished_at"] is not None
    refused = download(sandbox, claim.id)
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"error": "AdminError", "message": "This report is not ready yet"}]
