"""GET reads back what was sent, once the notification has gone through the whole platform (API →
Kafka → senders → projector): the recipient exactly as given, the one-click unsubscribe link, the
time a held send was scheduled for and a precompiled letter's address, as GOV.UK Notify shows them."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notifications_python_client.notifications import NotificationsAPIClient

from tests.e2e.conftest import Platform

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def client(platform: Platform) -> NotificationsAPIClient:
    return NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=platform.api_url)


def delivered(client: NotificationsAPIClient, notification_id: str, timeout: float = 180.0) -> dict[str, Any]:
    """The notification once the projection shows it delivered (never from the send's cache)."""
    deadline = time.monotonic() + timeout
    while True:
        shown: dict[str, Any] = client.get_notification_by_id(notification_id)
        if shown["status"] == "delivered" or time.monotonic() > deadline:
            return shown
        time.sleep(0.2)


def listed(client: NotificationsAPIClient, notification_id: str, **filters: Any) -> dict[str, Any]:
    found = [
        n for n in client.get_all_notifications(**filters)["notifications"] if n["id"] == notification_id
    ]
    assert len(found) == 1
    shown: dict[str, Any] = found[0]
    return shown


def test_a_phone_number_reads_back_as_it_was_sent(platform: Platform, client: NotificationsAPIClient) -> None:
    sent = client.send_sms_notification(
        phone_number="07700900123",
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": "Ada"},
        reference="read-back-sms",
    )
    shown = delivered(client, sent["id"])
    assert shown["status"] == "delivered"
    assert shown["phone_number"] == "07700900123"
    assert listed(client, sent["id"], reference="read-back-sms")["phone_number"] == "07700900123"


def test_an_email_address_and_its_unsubscribe_link_read_back_as_sent(
    platform: Platform, client: NotificationsAPIClient
) -> None:
    unsubscribe = "https://example.gov.uk/unsubscribe?user=1"
    sent = client.send_email_notification(
        email_address="Someone@Example.com",
        template_id=platform.credentials["NOTIFY_EMAIL_TEMPLATE_ID"],
        personalisation={"name": "Bo"},
        reference="read-back-email",
        one_click_unsubscribe_url=unsubscribe,
    )
    shown = delivered(client, sent["id"])
    assert shown["status"] == "delivered"
    assert shown["email_address"] == "Someone@Example.com"
    assert shown["one_click_unsubscribe_url"] == unsubscribe
    in_list = listed(client, sent["id"], reference="read-back-email")
    assert (in_list["email_address"], in_list["one_click_unsubscribe_url"]) == (
        "Someone@Example.com",
        unsubscribe,
    )


def test_a_scheduled_send_keeps_its_time_after_it_is_published(
    platform: Platform, client: NotificationsAPIClient
) -> None:
    when = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    sent = client.post(
        "/v2/notifications/sms",
        {
            "phone_number": "07700900123",
            "template_id": platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
            "personalisation": {"name": "Cy"},
            "reference": "read-back-scheduled",
            "scheduled_for": when.strftime("%Y-%m-%dT%H:%M:%S"),
        },
    )
    expected = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert sent["scheduled_for"] == expected
    shown = delivered(client, sent["id"])
    assert shown["status"] == "delivered"
    assert shown["scheduled_for"] == expected
    assert listed(client, sent["id"], reference="read-back-scheduled")["scheduled_for"] == expected


def test_a_precompiled_letter_reads_back_provided_as_pdf(client: NotificationsAPIClient) -> None:
    sent = client.send_precompiled_letter_notification("read-back-pdf", io.BytesIO(PDF), "first")
    shown = client.get_notification_by_id(sent["id"])
    assert (shown["line_1"], shown["line_2"], shown["postcode"]) == ("Provided as PDF", None, None)
    assert (shown["type"], shown["postage"], shown["subject"]) == ("letter", "first", "Pre-compiled PDF")
    assert (shown["is_cost_data_ready"], shown["cost_details"], shown["cost_in_pounds"]) == (False, {}, None)
