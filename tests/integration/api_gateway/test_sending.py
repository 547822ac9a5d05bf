"""Sends through the real broker: 201 only after the Kafka ack, the right lane, limits counted in
Redis with Retry-After, Idempotency-Key, scheduled_for honoured, bulk jobs, precompiled letters."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import redis

from notify_api_gateway.idempotency import IdempotencyKeys, fingerprint, scope
from notify_api_gateway.settings import ApiSettings
from notify_common import topics
from notify_common.db import create_engine
from notify_common.events import EmailRequested, JobRequested, LetterRequested, SmsRequested
from notify_common.kafka import EventProducer
from notify_job_splitter.scheduled_sends import ScheduledSends
from tests.integration.api_gateway.harness import Sandbox, admin, events_on, make_sandbox
from tests.support import env


def sms(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    return {
        "phone_number": "07700 900123",
        "template_id": sandbox.templates["sms"],
        "personalisation": {"name": "Ada", "code": "1234"},
        **overrides,
    }


def test_an_accepted_text_message_is_on_the_priority_lane_with_what_was_rendered(
    sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    response = sandbox.post("/v2/notifications/sms", sms(sandbox, reference="ref-1"))
    assert response.status_code == 201
    body = response.json()
    assert body["reference"] == "ref-1"
    assert body["uri"].endswith(f"/v2/notifications/{body['id']}")
    assert body["template"] == {
        "id": sandbox.templates["sms"],
        "version": 1,
        "uri": f"{sandbox.url}/v2/template/{sandbox.templates['sms']}",
    }
    assert body["scheduled_for"] is None
    assert body["content"]["from_number"] == "GOVUK"
    assert body["content"]["body"].endswith(": Hello Ada, your code is 1234")
    [event] = events_on(gateway_settings, topics.SMS_REQUESTED, {body["id"]})
    assert isinstance(event, SmsRequested)
    assert event.phone_number == "447700900123"
    assert event.key_type == "normal"
    assert event.client_reference == "ref-1"
    assert event.body == body["content"]["body"]


def test_a_get_straight_after_the_201_finds_the_notification(sandbox: Sandbox) -> None:
    sent = sandbox.post("/v2/notifications/sms", sms(sandbox)).json()
    found = sandbox.get(f"/v2/notifications/{sent['id']}")
    assert found.status_code == 200
    assert found.json()["status"] == "created"
    assert found.json()["phone_number"] == "07700 900123"  # as sent, as Notify reads it back
    # invisible to another key type
    assert sandbox.get(f"/v2/notifications/{sent['id']}", key_type="test").status_code == 404


def test_an_email_reports_what_was_sanitised(sandbox: Sandbox, gateway_settings: ApiSettings) -> None:
    body = {
        "email_address": "Someone@Example.com",
        "template_id": sandbox.templates["email"],
        "personalisation": {"name": "visit evil.com now", "items": ["a", "b"]},
        "sanitise_content_for": ["name"],
        "one_click_unsubscribe_url": "https://example.com/unsubscribe",
    }
    response = sandbox.post("/v2/notifications/email", body)
    assert response.status_code == 201
    sent = response.json()
    assert sent["content"]["from_email"] == "test.service@notifications.service.gov.uk"
    assert sent["content"]["one_click_unsubscribe_url"] == "https://example.com/unsubscribe"
    assert sent["sanitised_content"] == {
        "name": {"unsanitised": "visit evil.com now", "sanitised": "visit evil\\. com now"}
    }
    [event] = events_on(gateway_settings, topics.EMAIL_REQUESTED, {sent["id"]})
    assert isinstance(event, EmailRequested)
    assert event.email_address == "someone@example.com"


def test_smoke_test_recipients_get_a_201_and_nothing_is_sent(
    sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    response = sandbox.post("/v2/notifications/sms", sms(sandbox, phone_number="+447700900000"))
    assert response.status_code == 201
    assert events_on(gateway_settings, topics.SMS_REQUESTED, {response.json()["id"]}, timeout=2) == []


def test_the_rate_limit_is_a_429_with_retry_after(api_url: str) -> None:
    sandbox = make_sandbox(api_url, rate_limit=3)  # bucket of 2, refilled at 1 every 20 s
    codes = [sandbox.post("/v2/notifications/sms", sms(sandbox)).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    refused = sandbox.post("/v2/notifications/sms", sms(sandbox))
    assert refused.json()["errors"] == [
        {
            "error": "RateLimitError",
            "message": "Exceeded rate limit for key type LIVE of 3 requests per 60 seconds",
        }
    ]
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    # each key type has its own bucket
    assert sandbox.post("/v2/notifications/sms", sms(sandbox), key_type="test").status_code == 201


def test_the_daily_limit_is_a_429_until_midnight(api_url: str) -> None:
    sandbox = make_sandbox(api_url, sms_message_limit=2)
    assert [sandbox.post("/v2/notifications/sms", sms(sandbox)).status_code for _ in range(2)] == [201, 201]
    refused = sandbox.post("/v2/notifications/sms", sms(sandbox))
    assert refused.status_code == 429
    assert refused.json()["errors"] == [
        {"error": "TooManyRequestsError", "message": "Exceeded send limits (sms: 2) for today"}
    ]
    assert 0 < int(refused.headers["Retry-After"]) <= 86_400
    # a refused bad request does not use up the allowance of another channel
    email = {
        "email_address": "a@b.com",
        "template_id": sandbox.templates["email"],
        "personalisation": {"name": "a", "items": "b"},
    }
    assert sandbox.post("/v2/notifications/email", email).status_code == 201


def test_international_text_messages_count_against_their_own_limit(api_url: str) -> None:
    sandbox = make_sandbox(
        api_url, permissions=["sms", "international_sms"], international_sms_message_limit=1
    )
    assert (
        sandbox.post("/v2/notifications/sms", sms(sandbox, phone_number="+33 6 12 34 56 78")).status_code
        == 201
    )
    refused = sandbox.post("/v2/notifications/sms", sms(sandbox, phone_number="+33 6 12 34 56 78"))
    assert refused.json()["errors"][0]["message"] == "Exceeded send limits (international_sms: 1) for today"
    assert sandbox.post("/v2/notifications/sms", sms(sandbox)).status_code == 201


def test_an_idempotency_key_replays_the_first_response(
    sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    key = str(uuid.uuid4())
    first = sandbox.post("/v2/notifications/sms", sms(sandbox), **{"Idempotency-Key": key})
    again = sandbox.post("/v2/notifications/sms", sms(sandbox), **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = sandbox.post("/v2/notifications/sms", sms(sandbox, reference="x"), **{"Idempotency-Key": key})
    assert other.status_code == 422
    assert other.json()["errors"][0]["error"] == "IdempotencyError"
    assert len(events_on(gateway_settings, topics.SMS_REQUESTED, {first.json()["id"]})) == 1


def test_a_failed_request_releases_its_idempotency_key(sandbox: Sandbox) -> None:
    key = str(uuid.uuid4())
    bad = sandbox.post("/v2/notifications/sms", sms(sandbox, personalisation={}), **{"Idempotency-Key": key})
    assert bad.status_code == 400
    good = sandbox.post("/v2/notifications/sms", sms(sandbox), **{"Idempotency-Key": key})
    assert good.status_code == 201


def test_a_concurrent_duplicate_is_a_409(sandbox: Sandbox) -> None:
    key = "in-flight-key"
    client = redis.Redis.from_url(env.REDIS_URL)
    raw = httpx.Request("POST", "http://x", json=sms(sandbox)).content
    claim = {"state": "in-flight", "fingerprint": fingerprint("POST", "/v2/notifications/sms", raw)}
    client.set(IdempotencyKeys._key(scope(sandbox.service_id, "normal"), key), orjson.dumps(claim), ex=30)
    response = httpx.post(
        f"{sandbox.url}/v2/notifications/sms",
        content=raw,
        headers={**sandbox.headers(), "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert response.status_code == 409


def test_scheduled_for_is_honoured(sandbox: Sandbox, gateway_settings: ApiSettings) -> None:
    when = datetime.now(UTC) + timedelta(seconds=8)
    response = sandbox.post("/v2/notifications/sms", sms(sandbox, scheduled_for=when.isoformat()))
    assert response.status_code == 201
    sent = response.json()
    assert sent["scheduled_for"] == when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    held = sandbox.get(f"/v2/notifications/{sent['id']}").json()
    assert held["status"] == "created"
    assert held["scheduled_for"] == sent["scheduled_for"]
    # The job-splitter publishes held sends: not before their time, and at it.
    _release_due(gateway_settings)
    assert events_on(gateway_settings, topics.SMS_REQUESTED, {sent["id"]}, timeout=2) == []
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()))
    _release_due(gateway_settings)
    [event] = events_on(gateway_settings, topics.SMS_REQUESTED, {sent["id"]}, timeout=20)
    assert event.notification_id == sent["id"]
    assert datetime.now(UTC) >= when


def _release_due(settings: ApiSettings) -> int:
    """One pass of the job-splitter's loop over the held sends."""

    async def release() -> int:
        engine = create_engine(settings, pool_size=1)
        producer = EventProducer(settings, client_id="test-scheduled-sends")
        await producer.start()
        try:
            return await ScheduledSends(engine, producer).release_due()
        finally:
            await producer.stop()
            await engine.dispose()

    return asyncio.run(release())


def test_a_bulk_send_becomes_a_job_whose_file_is_stored(
    sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    rows = [["Phone number", "name", "code", "reference"]] + [
        [f"07700 900{n:03d}", f"n{n}", str(n), f"r{n}"] for n in range(10, 30)
    ]
    response = sandbox.post(
        "/v2/notifications/bulk", {"template_id": sandbox.templates["sms"], "name": "job.csv", "rows": rows}
    )
    assert response.status_code == 201
    job = response.json()["data"]
    assert job["notification_count"] == 20
    assert job["original_file_name"] == "job.csv"
    assert job["job_status"] == "pending"
    requested = _job_requested(gateway_settings, job["id"])
    assert requested.row_count == 20
    assert requested.template_id == sandbox.templates["sms"]
    stored = _s3_text(gateway_settings, requested.bucket, requested.object_key)
    assert stored.splitlines() == [",".join(row) for row in rows]


def test_a_bulk_send_with_a_sender_goes_to_the_bulk_lane_with_its_job_id(
    api_url: str, sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    sender = admin(
        api_url, "POST", f"/services/{sandbox.service_id}/senders/sms-senders", {"value": "BULKCO"}
    )["id"]
    rows = [["Phone number", "name", "code"]] + [
        [f"07700 900{n:03d}", f"n{n}", str(n)] for n in range(10, 30)
    ]
    response = sandbox.post(
        "/v2/notifications/bulk",
        {"template_id": sandbox.templates["sms"], "name": "job.csv", "rows": rows, "reply_to_id": sender},
    )
    assert response.status_code == 201
    job = response.json()["data"]
    assert job["sender_id"] == sender
    consumer_ids = _ids_on_topic(gateway_settings, topics.SMS_REQUESTED_BULK, job["id"])
    assert len(consumer_ids) == 20


def _job_requested(settings: ApiSettings, job_id: str) -> JobRequested:
    import asyncio

    from aiokafka import AIOKafkaConsumer

    from notify_common import codec

    async def read() -> JobRequested:
        consumer = AIOKafkaConsumer(
            settings.kafka_topic_prefix + topics.JOBS,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        event = codec.decode(record.value)
                        if isinstance(event, JobRequested) and event.job_id == job_id:
                            return event
        finally:
            await consumer.stop()
        raise AssertionError("no JobRequested event for the job")

    return asyncio.run(read())


def _s3_text(settings: ApiSettings, bucket: str, key: str) -> str:
    import boto3

    s3 = boto3.client("s3", endpoint_url=settings.aws_endpoint_url, region_name="eu-west-2")
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body.decode()


def _ids_on_topic(settings: ApiSettings, topic: str, job_id: str) -> set[int]:
    import asyncio

    from aiokafka import AIOKafkaConsumer

    from notify_common import codec

    async def read() -> set[int]:
        consumer = AIOKafkaConsumer(
            settings.kafka_topic_prefix + topic,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        rows: set[int] = set()
        deadline = time.monotonic() + 20
        try:
            while len(rows) < 20 and time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        event = codec.decode(record.value)
                        if isinstance(event, SmsRequested) and event.job_id == job_id:
                            assert event.job_row_number is not None
                            rows.add(event.job_row_number)
        finally:
            await consumer.stop()
        return rows

    return asyncio.run(read())


def test_a_bulk_job_with_a_bad_row_sends_nothing_and_says_which_row(sandbox: Sandbox) -> None:
    csv = "phone number,name,code\n07700900123,a,1\nnot a number,b,2\n"
    response = sandbox.post(
        "/v2/notifications/bulk", {"template_id": sandbox.templates["sms"], "name": "x", "csv": csv}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "error": "ValidationError",
            "message": "Row 3: Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -",
        }
    ]


def test_a_precompiled_letter_is_stored_and_its_pdf_served(
    sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    pdf = b"%PDF-1.4\n% a tiny letter\n"
    response = sandbox.post(
        "/v2/notifications/letter",
        {"reference": "letter-1", "content": base64.b64encode(pdf).decode(), "postage": "first"},
    )
    assert response.status_code == 201
    sent = response.json()
    assert sent == {"id": sent["id"], "reference": "letter-1", "postage": "first"}
    [event] = events_on(gateway_settings, topics.LETTER_REQUESTED, {sent["id"]})
    assert isinstance(event, LetterRequested)
    assert event.precompiled is True
    got = sandbox.get(f"/v2/notifications/{sent['id']}/pdf")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.content == pdf


def test_a_templated_letter_is_accepted_with_its_address(
    sandbox: Sandbox, gateway_settings: ApiSettings
) -> None:
    personalisation = {
        "name": "Ada",
        "address_line_1": "Ada Lovelace",
        "address_line_2": "1 Street",
        "postcode": "sw1a1aa",
    }
    sent = sandbox.post(
        "/v2/notifications/letter",
        {"template_id": sandbox.templates["letter"], "personalisation": personalisation},
    ).json()
    assert sent["content"] == {"body": "Dear Ada,\n\nThis is your letter.", "subject": "Your letter"}
    [event] = events_on(gateway_settings, topics.LETTER_REQUESTED, {sent["id"]})
    assert isinstance(event, LetterRequested)
    assert event.address_lines == ("Ada Lovelace", "1 Street", "SW1A 1AA")
    got = sandbox.get(f"/v2/notifications/{sent['id']}").json()
    assert (got["line_1"], got["postcode"], got["status"]) == ("Ada Lovelace", "SW1A 1AA", "accepted")
    assert got["estimated_delivery"] is not None
    not_ready = sandbox.get(f"/v2/notifications/{sent['id']}/pdf")
    assert not_ready.json()["errors"] == [
        {"error": "PDFNotReadyError", "message": "PDF not available yet, try again later"}
    ]
    sms_sent = sandbox.post("/v2/notifications/sms", sms(sandbox)).json()
    assert (
        sandbox.get(f"/v2/notifications/{sms_sent['id']}/pdf").json()["errors"][0]["message"]
        == "Notification is not a letter"
    )


def test_a_new_template_version_is_used_and_pinned(sandbox: Sandbox, api_url: str) -> None:
    admin(
        api_url,
        "PATCH",
        f"/services/{sandbox.service_id}/templates/{sandbox.templates['sms']}",
        {"content": "v2 ((name)) ((code))"},
    )
    sent = sandbox.post("/v2/notifications/sms", sms(sandbox)).json()
    assert sent["template"]["version"] == 2
    assert sent["content"]["body"].endswith("v2 Ada 1234")
