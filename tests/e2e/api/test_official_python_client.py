"""Every public v2 endpoint, driven by GOV.UK Notify's official Python client (unmodified, from
PyPI) against the whole running platform: API → Kafka → senders → projector → GET."""

from __future__ import annotations

import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import create_engine, insert

from notify_projector.tables import inbound_sms
from tests.e2e.conftest import Platform
from tests.support import env

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ADDRESS = {"address_line_1": "Ada Lovelace", "address_line_2": "1 Street", "postcode": "SW1A 1AA"}


@pytest.fixture(scope="module")
def client(platform: Platform) -> NotificationsAPIClient:
    return NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=platform.api_url)


@pytest.fixture(scope="module")
def test_client(platform: Platform) -> NotificationsAPIClient:
    return NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_TEST"], base_url=platform.api_url)


def until(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_a_text_message_reads_back_at_once_and_then_as_delivered(
    platform: Platform, client: NotificationsAPIClient
) -> None:
    sent = client.send_sms_notification(
        phone_number="+44 7700 900456",
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": "Ada"},
        reference="client-sms",
    )
    assert set(sent) == {"id", "reference", "uri", "template", "scheduled_for", "content"}
    assert sent["content"]["from_number"] == "GOVUK"
    right_away = client.get_notification_by_id(sent["id"])
    assert right_away["status"] in {"created", "sending", "delivered"}
    assert right_away["reference"] == "client-sms"
    delivered = until(lambda: client.get_notification_by_id(sent["id"])["status"] == "delivered")
    assert delivered


def test_an_email_is_sent_and_found_by_reference(platform: Platform, client: NotificationsAPIClient) -> None:
    reference = f"email-{uuid.uuid4()}"
    sent = client.send_email_notification(
        email_address="someone@example.com",
        template_id=platform.credentials["NOTIFY_EMAIL_TEMPLATE_ID"],
        personalisation={"name": "Bo"},
        reference=reference,
    )
    assert sent["content"]["subject"] == "Hello Bo"
    assert sent["content"]["from_email"] == "demo.service@notifications.service.gov.uk"
    found = until(lambda: client.get_all_notifications(reference=reference)["notifications"])
    assert [n["id"] for n in found] == [sent["id"]]
    assert found[0]["email_address"] == "someone@example.com"


def test_a_letter_and_a_precompiled_letter(platform: Platform, client: NotificationsAPIClient) -> None:
    letter = client.send_letter_notification(
        template_id=platform.credentials["NOTIFY_LETTER_TEMPLATE_ID"],
        personalisation={"name": "Cy", **ADDRESS},
        reference="client-letter",
    )
    assert letter["content"]["subject"] == "Your first letter"
    shown = client.get_notification_by_id(letter["id"])
    assert (shown["type"], shown["line_1"], shown["postcode"]) == ("letter", "Ada Lovelace", "SW1A 1AA")
    assert shown["status"] in {"accepted", "received", "created", "sending"}
    assert shown["estimated_delivery"] is not None
    precompiled = client.send_precompiled_letter_notification("client-pdf", io.BytesIO(PDF), "first")
    assert precompiled == {"id": precompiled["id"], "reference": "client-pdf", "postage": "first"}
    assert client.get_pdf_for_letter(precompiled["id"]).read() == PDF


def test_the_list_filters_and_iterates(platform: Platform, client: NotificationsAPIClient) -> None:
    ids = [
        client.send_sms_notification(
            phone_number="07700900123",
            template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
            personalisation={"name": str(i)},
        )["id"]
        for i in range(3)
    ]
    listed = until(
        lambda: (
            {n["id"] for n in client.get_all_notifications(template_type="sms")["notifications"]} >= set(ids)
        )
    )
    assert listed
    iterated = {n["id"] for n in client.get_all_notifications_iterator(template_type="sms")}
    assert set(ids) <= iterated
    assert not {n["type"] for n in client.get_all_notifications_iterator(template_type="email")} - {"email"}


def test_test_key_notifications_are_invisible_to_live_keys(
    platform: Platform, client: NotificationsAPIClient, test_client: NotificationsAPIClient
) -> None:
    sent = test_client.send_sms_notification(
        phone_number="07700900001",
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": "T"},
    )
    assert test_client.get_notification_by_id(sent["id"])["id"] == sent["id"]
    with pytest.raises(HTTPError) as caught:
        client.get_notification_by_id(sent["id"])
    assert caught.value.status_code == 404


def test_templates_versions_and_previews(platform: Platform, client: NotificationsAPIClient) -> None:
    sms_id = platform.credentials["NOTIFY_SMS_TEMPLATE_ID"]
    template = client.get_template(sms_id)
    assert (template["id"], template["type"], template["version"]) == (sms_id, "sms", 1)
    assert template["personalisation"] == {"name": {"required": True}}
    assert client.get_template_version(sms_id, 1)["body"] == template["body"]
    types = {t["type"] for t in client.get_all_templates()["templates"]}
    assert types == {"sms", "email", "letter"}
    assert {t["type"] for t in client.get_all_templates("email")["templates"]} == {"email"}
    preview = client.post_template_preview(platform.credentials["NOTIFY_EMAIL_TEMPLATE_ID"], {"name": "Di"})
    assert preview["subject"] == "Hello Di"
    assert "<h2>Welcome</h2>" in preview["html"]


def test_received_text_messages(platform: Platform, client: NotificationsAPIClient) -> None:
    service_id = platform.credentials["NOTIFY_SERVICE_ID"]
    now = datetime.now(UTC)
    rows = [
        {
            "id": str(uuid.uuid4()),
            "service_id": service_id,
            "user_number": "447700900111",
            "notify_number": "07700900000",
            "content": f"reply {i}",
            "created_at": now - timedelta(seconds=10 - i),
        }
        for i in range(2)
    ]
    engine = create_engine(env.DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(insert(inbound_sms), rows)
    engine.dispose()
    texts = client.get_received_texts()["received_text_messages"]
    assert [t["content"] for t in texts[:2]] == ["reply 1", "reply 0"]
    assert {t["id"] for t in client.get_received_texts_iterator()} >= {r["id"] for r in rows}


@pytest.mark.parametrize(
    ("call", "status", "message"),
    [
        (
            lambda c, p: c.send_sms_notification("07700900123", p.credentials["NOTIFY_SMS_TEMPLATE_ID"]),
            400,
            "Missing personalisation: name",
        ),
        (
            lambda c, p: c.send_sms_notification("12", p.credentials["NOTIFY_SMS_TEMPLATE_ID"]),
            400,
            "phone_number Not enough digits",
        ),
        (
            lambda c, p: c.send_email_notification("a@b.com", p.credentials["NOTIFY_SMS_TEMPLATE_ID"]),
            400,
            "sms template is not suitable for email notification",
        ),
        (lambda c, p: c.get_notification_by_id(str(uuid.uuid4())), 404, "No result found"),
        (lambda c, p: c.get_template(str(uuid.uuid4())), 404, "No result found"),
    ],
)
def test_errors_reach_the_client_as_notify_sends_them(
    platform: Platform, client: NotificationsAPIClient, call: Any, status: int, message: str
) -> None:
    with pytest.raises(HTTPError) as caught:
        call(client, platform)
    assert caught.value.status_code == status
    assert caught.value.message[0]["message"] == message  # type: ignore[index]
