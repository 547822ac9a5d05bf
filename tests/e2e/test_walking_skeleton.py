"""The walking skeleton, end to end through the real broker and database: a text message sent
with GOV.UK Notify's official Python client goes API → Kafka → sms-sender → provider simulator →
receipts → Kafka → projector → PostgreSQL, and the client's GET sees it delivered."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from tests.e2e.conftest import Platform
from tests.support.processes import stop_all
from tests.support.statuses import wait_for_status


def simulator_messages(platform: Platform, reference: str) -> list[dict[str, Any]]:
    messages = httpx.get(f"{platform.simulator_url}/api/messages").json()["messages"]
    return [m for m in messages if m["reference"] == reference]


@pytest.fixture
def client(platform: Platform) -> NotificationsAPIClient:
    return NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=platform.api_url)


def test_a_text_message_reaches_the_provider_once_and_reads_back_as_delivered(
    platform: Platform, client: NotificationsAPIClient
) -> None:
    sent = client.send_sms_notification(
        phone_number="07700 900123",
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": "Ada"},
        reference="skeleton-1",
    )
    assert sent["content"]["body"] == "Demo service: Hello Ada, this is your first message from the platform."
    notification = wait_for_status(client, sent["id"], "delivered")
    assert notification["type"] == "sms"
    assert notification["reference"] == "skeleton-1"
    assert notification["sent_at"] is not None
    assert notification["completed_at"] is not None
    assert notification["cost_details"]["billable_sms_fragments"] == 1
    delivered = simulator_messages(platform, sent["id"])
    assert len(delivered) == 1
    assert delivered[0]["recipient"] == "447700900123"
    assert delivered[0]["duplicates"] == 0


def test_a_number_that_simulates_a_permanent_failure_reads_back_as_permanent_failure(
    platform: Platform, client: NotificationsAPIClient
) -> None:
    sent = client.send_sms_notification(
        phone_number="07700900002",
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": "Bo"},
    )
    assert wait_for_status(client, sent["id"], "permanent-failure")["status"] == "permanent-failure"


def test_a_request_without_a_token_is_refused_in_notifys_shape(platform: Platform) -> None:
    response = httpx.post(f"{platform.api_url}/v2/notifications/sms", json={})
    assert response.status_code == 401
    assert response.json() == {
        "status_code": 401,
        "errors": [{"error": "AuthError", "message": "Unauthorized: authentication token must be provided"}],
    }


def test_a_bad_request_body_gets_notifys_validation_messages(client: NotificationsAPIClient) -> None:
    with pytest.raises(HTTPError) as caught:
        client.post("/v2/notifications/sms", data={"phone_number": "07700900123", "foo": 1})
    assert caught.value.status_code == 400
    errors: list[dict[str, str]] = caught.value.message  # type: ignore[assignment]
    messages = sorted(e["message"] for e in errors)
    assert messages == [
        "Additional properties are not allowed (foo was unexpected)",
        "template_id is a required property",
    ]


def test_another_services_key_cannot_read_a_notification(
    platform: Platform, client: NotificationsAPIClient
) -> None:
    test_client = NotificationsAPIClient(
        platform.credentials["NOTIFY_API_KEY_TEST"], base_url=platform.api_url
    )
    sent = client.send_sms_notification(
        phone_number="07700900123",
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": "Cy"},
    )
    wait_for_status(client, sent["id"], "delivered")
    with pytest.raises(HTTPError) as caught:
        test_client.get_notification_by_id(sent["id"])
    assert caught.value.status_code == 404


def test_every_service_stops_cleanly_on_sigterm_and_starts_again(platform: Platform) -> None:
    names = list(platform.services)
    codes = dict(zip(names, stop_all([platform.services[n] for n in names]), strict=True))
    assert codes == dict.fromkeys(platform.services, 0)
    # The platform fixture is shared by every end-to-end test: leave it running as found.
    for service in platform.services.values():
        service.start()
    for service in platform.services.values():
        service.wait_ready()
