"""Every channel end to end through the whole platform, driven with GOV.UK Notify's official
Python client: an email handed to SES (moto) and read back delivered, a test-key text message
that never reaches a provider but runs the receipt pipeline, and a letter rendered to PDF, served
by the API, printed by the simulated print provider and read back as received."""

from __future__ import annotations

import email

import httpx
import pytest
from notifications_python_client.notifications import NotificationsAPIClient

from tests.e2e.conftest import Platform
from tests.support.moto import moto_data
from tests.support.statuses import wait_for_status


@pytest.fixture
def live(platform: Platform) -> NotificationsAPIClient:
    return NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=platform.api_url)


@pytest.fixture
def test_key(platform: Platform) -> NotificationsAPIClient:
    return NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_TEST"], base_url=platform.api_url)


def test_an_email_is_handed_to_ses_once_with_the_services_name_and_reads_back_delivered(
    platform: Platform, live: NotificationsAPIClient
) -> None:
    sent = live.send_email_notification(
        email_address="ada@example.com",
        template_id=platform.credentials["NOTIFY_EMAIL_TEMPLATE_ID"],
        personalisation={"name": "Ada"},
        one_click_unsubscribe_url="https://example.gov.uk/unsubscribe?u=1",
    )
    notification = wait_for_status(live, sent["id"], "delivered", timeout=60.0)
    assert notification["sent_at"] is not None
    data = moto_data()
    raws = [email.message_from_string(m["raw_data"]) for m in data["ses"].get("RawMessage", [])]
    ours = [m for m in raws if m["Message-ID"] and sent["id"] in m["Message-ID"]]
    assert len(ours) == 1
    assert ours[0]["From"].startswith("Demo service <demo.service@")
    assert ours[0]["List-Unsubscribe"] == "<https://example.gov.uk/unsubscribe?u=1>"


def test_a_test_key_text_message_reaches_no_provider_and_ends_as_its_number_says(
    platform: Platform, test_key: NotificationsAPIClient
) -> None:
    sent = test_key.send_sms_notification(
        phone_number="07700900002",
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": "Test"},
    )
    assert (
        wait_for_status(test_key, sent["id"], "permanent-failure", timeout=60.0)["status"]
        == "permanent-failure"
    )
    messages = httpx.get(f"{platform.simulator_url}/api/messages", timeout=10).json()["messages"]
    assert all(m["reference"] != sent["id"] for m in messages)


def test_a_letter_is_rendered_served_as_pdf_printed_and_reads_back_received(
    platform: Platform, live: NotificationsAPIClient
) -> None:
    sent = live.send_letter_notification(
        template_id=platform.credentials["NOTIFY_LETTER_TEMPLATE_ID"],
        personalisation={
            "name": "Ada",
            "address_line_1": "Ada Lovelace",
            "address_line_2": "1 Example Street",
            "address_line_3": "SW1A 1AA",
        },
    )
    wait_for_status(live, sent["id"], "received", timeout=90)
    pdf = live.get_pdf_for_letter(sent["id"])
    assert pdf.read(5) == b"%PDF-"
    letters = httpx.get(f"{platform.simulator_url}/api/letters", timeout=10).json()["letters"]
    assert [letter["notification_id"] for letter in letters].count(sent["id"]) == 1
