"""Personal data never reaches a log: distinctive recipients, personalisation values and message
content go through every path (a text message, an email and a letter by the v2 API, a CSV job, a
delivery status callback and a received text with its inbound callback), then every service's
log output is searched for them. Lines about those notifications must carry their id and trace id."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from notify_common.db import create_engine
from notify_common.jobs import notification_id_for
from notify_common.jobs.files import DEFAULT_BUCKET, JobFiles
from notify_common.jobs.submit import submit_job
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from tests.e2e.clients.conftest import Admin
from tests.e2e.conftest import Platform
from tests.e2e.test_tracing import add_loopback_callback
from tests.support import env
from tests.support.receiver import Receiver, callback_receiver

INBOUND_NUMBER = "07700900688"
# Each value is distinctive enough that finding it anywhere in a log can only mean it leaked.
SMS_PHONE, SMS_NAME, SMS_CODE = "07700 900871", "Quillonius", "Vexaltrine"
EMAIL, EMAIL_NAME = "marigold.vexley@example.com", "Thessalyne"
LETTER_NAME, LETTER_STREET, LETTER_TOWN = "Ottoline Brackenbury", "17 Wisteria Crescent", "Lowmoorby"
JOB_PHONE, JOB_NAME = "07700 900873", "Brontavius"
INBOUND_FROM, INBOUND_TEXT = "447700900874", "Please call me back Sollimere"
PERSONAL = (
    "900871",
    SMS_NAME,
    SMS_CODE,
    "marigold",
    "vexley",
    EMAIL_NAME,
    "Ottoline",
    "Brackenbury",
    "Wisteria",
    LETTER_TOWN,
    "900873",
    JOB_NAME,
    "900874",
    "Sollimere",
)

TEMPLATES = {
    "sms": {"template_type": "sms", "content": "Hello ((name)), your code is ((code))."},
    "email": {"template_type": "email", "subject": "Hello ((name))", "content": "Dear ((name)), welcome."},
    "letter": {
        "template_type": "letter",
        "subject": "Your letter, ((name))",
        "content": "Dear ((name)),\n\nThis is your letter.",
        "postage": "second",
    },
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with callback_receiver([]) as running:
        yield running


def wait_for(client: NotificationsAPIClient, notification_id: str, statuses: set[str]) -> None:
    deadline = time.monotonic() + 60
    last = None
    while time.monotonic() < deadline:
        try:
            last = client.get_notification_by_id(notification_id)["status"]
        except HTTPError as exc:
            if exc.status_code != 404:
                raise
        if last in statuses:
            return
        time.sleep(0.3)
    raise AssertionError(f"{notification_id} never reached {statuses}; last {last}")


async def submit_csv(service_id: str, template_id: str) -> str:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    settings = CommonSettings(
        kafka_bootstrap_servers=env.KAFKA,
        kafka_topic_prefix=env.TOPIC_PREFIX,
        database_url=env.DATABASE_URL,
        aws_endpoint_url=env.MOTO_URL,
    )
    engine = create_engine(settings, pool_size=1)
    producer = EventProducer(settings, client_id="e2e-personal-data")
    await producer.start()
    try:
        job = await submit_job(
            engine=engine,
            producer=producer,
            files=JobFiles(settings, DEFAULT_BUCKET),
            service_id=service_id,
            template_id=template_id,
            csv=f"Phone Number,name,code\n{JOB_PHONE},{JOB_NAME},{SMS_CODE}\n".encode(),
            original_file_name="people.csv",
        )
    finally:
        await producer.stop()
        await engine.dispose()
    return job.job_id


def wait_for_line(platform: Platform, service: str, notification_id: str) -> dict[str, Any]:
    """The first JSON line of ``service``'s log naming ``notification_id``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log_lines(platform)[service]:
            if notification_id in line and line.startswith("{"):
                doc: dict[str, Any] = json.loads(line)
                if doc.get("notification_id") == notification_id:
                    return doc
        time.sleep(0.3)
    raise AssertionError(f"{service} logged nothing about {notification_id}")


def log_lines(platform: Platform) -> dict[str, list[str]]:
    return {
        name: service.log_path.read_text(errors="replace").splitlines()
        for name, service in platform.services.items()
    }


def test_no_recipient_personalisation_or_content_reaches_any_services_logs(
    platform: Platform, receiver: Receiver
) -> None:
    admin = Admin(platform)
    run = uuid.uuid4().hex[:8]
    service_id = admin.service(
        f"Personal data {run}", f"personal.{run}", permissions=["sms", "email", "letter", "inbound_sms"]
    )
    templates = {
        channel: str(admin.call("POST", f"/services/{service_id}/templates", {"name": channel, **body})["id"])
        for channel, body in TEMPLATES.items()
    }
    for kind in ("delivery_status", "inbound_sms"):
        asyncio.run(add_loopback_callback(service_id, kind, receiver.url))
    admin.call(
        "POST",
        "/inbound-numbers",
        {"number": INBOUND_NUMBER, "provider": "firetext", "service_id": service_id},
    )
    client = NotificationsAPIClient(admin.key(service_id), base_url=platform.api_url)
    time.sleep(1.0)  # the e2e platform's callbacks service reloads callback configuration every 0.5 s

    sms = client.send_sms_notification(
        phone_number=SMS_PHONE,
        template_id=templates["sms"],
        personalisation={"name": SMS_NAME, "code": SMS_CODE},
    )
    email = client.send_email_notification(
        email_address=EMAIL, template_id=templates["email"], personalisation={"name": EMAIL_NAME}
    )
    letter = client.send_letter_notification(
        template_id=templates["letter"],
        personalisation={
            "address_line_1": LETTER_NAME,
            "address_line_2": LETTER_STREET,
            "address_line_3": LETTER_TOWN,
            "address_line_4": "SW1A 1AA",
            "name": LETTER_NAME,
        },
    )
    job_id = asyncio.run(submit_csv(service_id, templates["sms"]))
    received = httpx.post(
        f"{platform.services['receipts'].url}/notifications/sms/receive/firetext",
        data={"source": INBOUND_FROM, "destination": INBOUND_NUMBER, "message": INBOUND_TEXT},
        auth=env.inbound_auth("firetext"),
    )
    assert received.status_code == 200, received.text

    wait_for(client, sms["id"], {"delivered"})
    wait_for(client, notification_id_for(job_id, 0), {"delivered"})
    # The senders log the hand-over of each email and letter, naming it.
    email_line = wait_for_line(platform, "email-sender", email["id"])
    letter_line = wait_for_line(platform, "letter-sender", letter["id"])
    deadline = time.monotonic() + 60
    bodies: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        bodies = [json.loads(call.body) for call in receiver.calls]
        delivered = {b.get("id") for b in bodies if b.get("status") == "delivered"}
        inbound = [b for b in bodies if b.get("source_number") == INBOUND_FROM]
        if sms["id"] in delivered and inbound:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"callbacks not made: {bodies}")
    callback_line = wait_for_line(platform, "callbacks", sms["id"])

    # The personal data did go through: the provider got the text message as personalised.
    messages = httpx.get(f"{platform.simulator_url}/api/messages").json()["messages"]
    assert any(SMS_NAME in str(m.get("content")) for m in messages)

    leaks = [
        (name, value, line[:200])
        for name, lines in log_lines(platform).items()
        for line in lines
        for value in PERSONAL
        if value.lower() in line.lower()
    ]
    assert not leaks, leaks

    # Lines about these notifications name them and carry their trace.
    for line in (email_line, letter_line, callback_line):
        assert len(line.get("trace_id", "")) == 32, line
        assert len(line.get("span_id", "")) == 16, line
