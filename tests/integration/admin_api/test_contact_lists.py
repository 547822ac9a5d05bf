"""Contact lists through the admin API, against PostgreSQL, Kafka and moto's S3: a file is checked
when it is uploaded (a bad one is not kept), a saved list is stored encrypted for the service's
retention, it is sent with a template as a job that records the list, deleting it removes its
file, and once its retention has passed the admin-api's background work removes it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

from notify_common import codec, topics
from notify_common.events import JobRequested
from notify_job_splitter.store import apply_event
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin
from tests.support import env

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
BUCKET = "notify-jobs"  # the admin-api's default NOTIFY_JOBS_BUCKET
LIST = b"phone number,name,code\n07700900001,Ada,111\n07700900002,Bo,222\n07700900003,Cy,333\n"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def s3() -> Any:
    return boto3.client("s3", region_name="eu-west-2", endpoint_url=env.MOTO_URL)


def upload(sandbox: Sandbox, data: bytes, name: str = "patients.csv") -> httpx.Response:
    return httpx.post(
        f"{sandbox.admin_url}/admin/console/services/{sandbox.service_id}/contact-lists",
        params={"file_name": name, "created_by": "Ada Lovelace"},
        content=data,
        headers=HEADERS,
        timeout=30,
    )


def lists_path(sandbox: Sandbox, rest: str = "") -> str:
    return f"/console/services/{sandbox.service_id}/contact-lists{rest}"


def stored(s3: Any, key: str) -> dict[str, Any] | None:
    try:
        head: dict[str, Any] = s3.head_object(Bucket=BUCKET, Key=key)
    except ClientError:
        return None
    return head


def object_key(db: Any, list_id: str) -> str:
    with db.connect() as conn:
        key = conn.scalar(text("SELECT object_key FROM contact_lists WHERE id = :id"), {"id": list_id})
    assert isinstance(key, str)
    return key


def test_a_file_is_checked_when_uploaded_and_one_with_errors_is_not_kept(sandbox: Sandbox) -> None:
    no_column = upload(sandbox, b"name\nAda\n")
    assert no_column.status_code == 400
    assert no_column.json() == {
        "status_code": 400,
        "errors": [
            {
                "error": "ValidationError",
                "message": "Your file needs a column called ‘email address’ or ‘phone number’",
            }
        ],
    }
    bad_row = upload(sandbox, b"phone number\n07700900001\n07700\n")
    assert bad_row.status_code == 400
    assert [e["message"] for e in bad_row.json()["errors"]] == ["Row 3: Mobile number is too short"]
    both = upload(sandbox, b"phone number,email address\n07700900001,a@example.gov.uk\n")
    assert both.status_code == 400
    assert admin(sandbox.url, "GET", lists_path(sandbox)) == []


def test_a_saved_list_is_stored_encrypted_until_the_services_retention_for_its_channel(
    sandbox: Sandbox, s3: Any, db: Any
) -> None:
    admin(
        sandbox.url, "PUT", f"/services/{sandbox.service_id}/data-retention/email", {"days_of_retention": 3}
    )
    before = datetime.now(UTC)
    texts = upload(sandbox, LIST)
    emails = upload(sandbox, b"Email Address\nada@example.gov.uk\n", "staff.csv")
    assert (texts.status_code, emails.status_code) == (201, 201)
    saved, staff = texts.json()["data"], emails.json()["data"]
    assert (saved["row_count"], saved["template_type"], saved["uses"]) == (3, "sms", 0)
    assert (staff["row_count"], staff["template_type"]) == (1, "email")
    sms_expiry = datetime.fromisoformat(saved["expires_at"]) - before
    email_expiry = datetime.fromisoformat(staff["expires_at"]) - before
    assert timedelta(days=7) <= sms_expiry < timedelta(days=7, minutes=1)  # the default
    assert timedelta(days=3) <= email_expiry < timedelta(days=3, minutes=1)
    file = httpx.get(
        f"{sandbox.admin_url}/admin{lists_path(sandbox, '/' + saved['id'])}.csv", headers=HEADERS
    )
    assert (file.status_code, file.content) == (200, LIST)
    head = stored(s3, object_key(db, saved["id"]))
    assert head is not None
    assert head["ServerSideEncryption"] == "AES256"
    listed = admin(sandbox.url, "GET", lists_path(sandbox))
    assert [item["id"] for item in listed] == [staff["id"], saved["id"]]


async def _job_requested(job_id: str) -> JobRequested:
    consumer = AIOKafkaConsumer(
        env.TOPIC_PREFIX + topics.JOBS,
        bootstrap_servers=env.KAFKA,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = codec.decode(record.value)
                    if isinstance(event, JobRequested) and event.job_id == job_id:
                        return event
    finally:
        await consumer.stop()
    raise AssertionError("no JobRequested for the job")


async def _record_in_job_splitter_store(event: JobRequested) -> None:
    engine = create_async_engine(env.DATABASE_URL)
    try:
        async with engine.begin() as conn:
            await apply_event(conn, event)
    finally:
        await engine.dispose()


def test_a_list_is_sent_with_a_template_of_its_channel_and_the_job_records_the_list(sandbox: Sandbox) -> None:
    saved = upload(sandbox, LIST).json()["data"]
    email = admin(
        sandbox.url,
        "POST",
        lists_path(sandbox, f"/{saved['id']}/uploads"),
        {"template_id": sandbox.templates["email"]},
    )
    assert not email["valid"]  # a list of phone numbers cannot be sent emails
    checked = admin(
        sandbox.url,
        "POST",
        lists_path(sandbox, f"/{saved['id']}/uploads"),
        {"template_id": sandbox.templates["sms"], "created_by": "someone"},
    )
    assert checked["valid"], checked["report"]
    assert (checked["row_count"], checked["original_file_name"]) == (3, "patients.csv")
    started = admin(
        sandbox.url, "POST", f"/console/services/{sandbox.service_id}/uploads/{checked['id']}/start", {}
    )
    requested = asyncio.run(_job_requested(started["job_id"]))
    assert requested.contact_list_id == saved["id"]
    assert requested.row_count == 3
    # What the job-splitter does with the event: the job now says which list it went to.
    asyncio.run(_record_in_job_splitter_store(requested))
    job = admin(sandbox.url, "GET", f"/console/services/{sandbox.service_id}/jobs/{started['job_id']}")
    assert (job["contact_list_id"], job["contact_list_name"]) == (saved["id"], "patients.csv")
    used = admin(sandbox.url, "GET", lists_path(sandbox, f"/{saved['id']}"))
    assert used["uses"] == 1
    assert [j["job_id"] for j in used["jobs"]] == [started["job_id"]]


def test_deleting_a_list_removes_its_file_and_it_can_no_longer_be_sent(
    sandbox: Sandbox, s3: Any, db: Any
) -> None:
    saved = upload(sandbox, LIST).json()["data"]
    key = object_key(db, saved["id"])
    assert stored(s3, key) is not None
    admin(sandbox.url, "DELETE", lists_path(sandbox, f"/{saved['id']}"))
    assert stored(s3, key) is None
    url = f"{sandbox.admin_url}/admin{lists_path(sandbox, '/' + saved['id'])}"
    assert httpx.get(url, headers=HEADERS).status_code == 404
    refused = httpx.post(f"{url}/uploads", json={"template_id": sandbox.templates["sms"]}, headers=HEADERS)
    assert refused.status_code == 404
    assert refused.json()["errors"] == [{"error": "AdminError", "message": "Contact list not found"}]
    assert admin(sandbox.url, "GET", lists_path(sandbox)) == []


def test_a_list_past_its_retention_is_removed_by_the_admin_apis_background_work(
    sandbox: Sandbox, s3: Any, db: Any
) -> None:
    kept, lapsed = upload(sandbox, LIST).json()["data"], upload(sandbox, LIST, "old.csv").json()["data"]
    key = object_key(db, lapsed["id"])
    with db.begin() as conn:  # as if its retention had passed
        conn.execute(
            text("UPDATE contact_lists SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": lapsed["id"]},
        )
    deadline = time.monotonic() + 15
    while stored(s3, key) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored(s3, key) is None
    with db.connect() as conn:
        archived = conn.scalar(
            text("SELECT archived_at FROM contact_lists WHERE id = :id"), {"id": lapsed["id"]}
        )
    assert archived is not None
    assert [item["id"] for item in admin(sandbox.url, "GET", lists_path(sandbox))] == [kept["id"]]
    assert stored(s3, object_key(db, kept["id"])) is not None
