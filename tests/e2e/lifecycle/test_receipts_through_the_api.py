"""Receipts and inbound texts end to end: real-shaped provider posts (MMG JSON, Firetext forms) to
the running receipts service, for notifications sent through the public API, read back with
GOV.UK Notify's official client.

The provider simulator posts its own receipt for every send. To make a posted receipt the deciding
one, the simulator is put in its ``slow`` fault mode (it holds each send for seconds before
accepting it, so its receipt comes after ours); to check that later receipts change nothing, ours
are posted after the simulator's was acknowledged. "Applied" is observed through the projection's
``last_event_at``: a receipt is posted last, for the same notification (so the same partition,
after everything posted before it), and once the view has seen it, the public GET is read.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import text

from tests.e2e.conftest import Platform
from tests.support import env
from tests.support.statuses import wait_for_status

TEMPORARY_FAILURE_NUMBER = "07700900003"  # the simulator answers with a temporary failure
DELIVERED_NUMBER = "07700900123"


@pytest.fixture
def client(platform: Platform) -> NotificationsAPIClient:
    return NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=platform.api_url)


@pytest.fixture(scope="module")
def db() -> Iterator[sqlalchemy.Engine]:
    engine = sqlalchemy.create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture
def slow_provider(platform: Platform) -> Iterator[None]:
    """The simulator holds every send for seconds before accepting it (and sending its receipt)."""
    fault = f"{platform.simulator_url}/api/fault"
    httpx.put(fault, json={"mode": "slow"}).raise_for_status()
    try:
        yield
    finally:
        httpx.put(fault, json={"mode": "none"}).raise_for_status()


def receipts_url(platform: Platform, path: str) -> str:
    return f"{platform.services['receipts'].url}{path}"


# What each provider posts for each outcome (MMG JSON, Firetext form fields).
RECEIPTS: dict[tuple[str, str], dict[str, str]] = {
    ("mmg", "delivered"): {"status": "3", "substatus": "2"},
    ("mmg", "permanent-failure"): {"status": "5", "substatus": "3"},  # undeliverable
    ("mmg", "temporary-failure"): {"status": "4", "substatus": "6"},  # absent subscriber
    ("firetext", "delivered"): {"status": "0", "code": "000"},
    ("firetext", "permanent-failure"): {"status": "1", "code": "101"},
    ("firetext", "temporary-failure"): {"status": "1", "code": "102"},  # absent subscriber
    ("firetext", "pending"): {"status": "2"},
}
OTHER = {"mmg": "firetext", "firetext": "mmg"}


def provider_of(db: sqlalchemy.Engine, notification_id: str, timeout: float = 20.0) -> str:
    """The provider the sms-sender chose (its claim names it before it calls the provider)."""
    query = text("SELECT provider FROM send_claims WHERE notification_id = :id")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.connect() as conn:
            provider = conn.execute(query, {"id": notification_id}).scalar_one_or_none()
        if provider is not None:
            return str(provider)
        time.sleep(0.1)
    raise AssertionError("the notification was never claimed for sending")


def post_receipt(platform: Platform, provider: str, notification_id: str, outcome: str) -> httpx.Response:
    """A receipt as ``provider`` posts it, with its credentials."""
    fields = RECEIPTS[(provider, outcome)]
    url = receipts_url(platform, f"/notifications/sms/{provider}")
    if provider == "mmg":
        body = {
            "CID": notification_id,
            "MSISDN": "447700900123",
            "deliverytime": "2026-07-01 10:00:00",
            **fields,
        }
        return httpx.post(url, json=body, params=env.provider_token(provider))
    form = {"mobile": "447700900123", "time": "2026-07-01 10:00:00", "reference": notification_id, **fields}
    return httpx.post(url, data=form, params=env.provider_token(provider))


def post(platform: Platform, db: sqlalchemy.Engine, notification_id: str, outcome: str) -> None:
    """The receipt for ``outcome`` from the provider the notification was sent to."""
    response = post_receipt(platform, provider_of(db, notification_id), notification_id, outcome)
    assert response.status_code == 200, response.text


def simulator_receipt_acknowledged(platform: Platform, notification_id: str, timeout: float = 20.0) -> str:
    """Wait until the receipts service acknowledged the simulator's own receipt; its outcome."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = httpx.get(f"{platform.simulator_url}/api/messages").json()["messages"]
        for m in messages:
            if m["reference"] == notification_id and m["receipt_sent_at"] is not None:
                return str(m["outcome"])
        time.sleep(0.1)
    raise AssertionError("the simulator's receipt was never acknowledged")


def wait_until_projected_since(
    db: sqlalchemy.Engine, notification_id: str, since: datetime, timeout: float = 20.0
) -> None:
    """Wait until the view of the notification has applied an event that happened after ``since``."""
    query = text("SELECT last_event_at FROM notifications WHERE id = :id")
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        with db.connect() as conn:
            last = conn.execute(query, {"id": notification_id}).scalar_one_or_none()
        if last is not None and last >= since:
            return
        time.sleep(0.1)
    raise AssertionError(f"no event after {since} projected; last event at {last}")


def send_sms(platform: Platform, client: NotificationsAPIClient, number: str) -> str:
    sent = client.send_sms_notification(
        phone_number=number,
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": "Receipt"},
    )
    return str(sent["id"])


def post_last(platform: Platform, db: sqlalchemy.Engine, notification_id: str) -> None:
    """Post a receipt that cannot change a final status (Firetext's ``pending``, MMG's temporary
    failure) and wait until the view applied it (and so everything posted before it)."""
    since = datetime.now(UTC)
    provider = provider_of(db, notification_id)
    post(platform, db, notification_id, "pending" if provider == "firetext" else "temporary-failure")
    wait_until_projected_since(db, notification_id, since)


@pytest.mark.usefixtures("slow_provider")
def test_a_failure_receipt_sets_the_status_and_the_providers_later_delivered_receipt_does_not_undo_it(
    platform: Platform, client: NotificationsAPIClient, db: sqlalchemy.Engine
) -> None:
    notification_id = send_sms(platform, client, DELIVERED_NUMBER)
    post(platform, db, notification_id, "permanent-failure")

    failed = wait_for_status(client, notification_id, "permanent-failure")
    assert failed["completed_at"] is not None

    assert simulator_receipt_acknowledged(platform, notification_id) == "delivered"
    post_last(platform, db, notification_id)
    after = client.get_notification_by_id(notification_id)
    assert after["status"] == "permanent-failure"
    assert after["completed_at"] == failed["completed_at"]
    assert after["sent_at"] is not None  # the send event was applied too, without changing the status


@pytest.mark.usefixtures("slow_provider")
def test_a_delivered_receipt_stands_against_a_later_failure_and_a_later_receipt(
    platform: Platform, client: NotificationsAPIClient, db: sqlalchemy.Engine
) -> None:
    notification_id = send_sms(platform, client, TEMPORARY_FAILURE_NUMBER)
    post(platform, db, notification_id, "delivered")

    delivered = wait_for_status(client, notification_id, "delivered")

    assert simulator_receipt_acknowledged(platform, notification_id) == "temporary-failure"
    post_last(platform, db, notification_id)
    after = client.get_notification_by_id(notification_id)
    assert after["status"] == "delivered"
    assert after["completed_at"] == delivered["completed_at"]


def test_a_temporary_failure_receipt_reads_back_as_temporary_failure(
    platform: Platform, client: NotificationsAPIClient, db: sqlalchemy.Engine, slow_provider: None
) -> None:
    notification_id = send_sms(platform, client, DELIVERED_NUMBER)
    post(platform, db, notification_id, "temporary-failure")

    assert wait_for_status(client, notification_id, "temporary-failure")["status"] == "temporary-failure"


def test_failure_receipts_posted_after_the_providers_delivered_receipt_change_nothing(
    platform: Platform, client: NotificationsAPIClient, db: sqlalchemy.Engine
) -> None:
    notification_id = send_sms(platform, client, DELIVERED_NUMBER)
    delivered = wait_for_status(client, notification_id, "delivered")
    assert simulator_receipt_acknowledged(platform, notification_id) == "delivered"

    provider = provider_of(db, notification_id)
    post(platform, db, notification_id, "permanent-failure")  # late failures from the same provider
    post(platform, db, notification_id, "temporary-failure")
    # The other provider was never given the message: its receipt is refused.
    refused = post_receipt(platform, OTHER[provider], notification_id, "permanent-failure")
    assert refused.status_code == 404
    post_last(platform, db, notification_id)

    after = client.get_notification_by_id(notification_id)
    assert after["status"] == "delivered"
    assert after["completed_at"] == delivered["completed_at"]


# ---- inbound texts ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inbound_number(platform: Platform, db: sqlalchemy.Engine) -> str:
    """The demo service's inbound number (local form, as Notify keeps them). The end-to-end
    platform has no admin API token, so the mapping row is written directly."""
    service_id = platform.credentials["NOTIFY_SERVICE_ID"]
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO inbound_numbers (id, number, provider, service_id, active)"
                " VALUES (:id, :number, 'mmg', :service_id, true) ON CONFLICT DO NOTHING"
            ),
            {"id": str(uuid.uuid4()), "number": "07700900555", "service_id": service_id},
        )
        number = conn.execute(
            text("SELECT number FROM inbound_numbers WHERE service_id = :s AND active"), {"s": service_id}
        ).scalar_one()
    return str(number)


def received_texts(
    client: NotificationsAPIClient, wanted: set[str], timeout: float = 20.0
) -> list[dict[str, Any]]:
    """The received texts whose content is in ``wanted``, once all of them are there."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        texts = client.get_received_texts()["received_text_messages"]
        found = [t for t in texts if t["content"] in wanted]
        if len(found) == len(wanted):
            return found
        time.sleep(0.2)
    raise AssertionError(f"received texts never all appeared; found {len(found)} of {len(wanted)}")


def test_inbound_texts_from_both_providers_appear_in_the_received_text_messages(
    platform: Platform, client: NotificationsAPIClient, inbound_number: str
) -> None:
    international = "44" + inbound_number.lstrip("0")
    london = datetime.now(ZoneInfo("Europe/London")).replace(microsecond=0, tzinfo=None)
    marker = uuid.uuid4().hex[:8]
    mmg_content, firetext_content = f"Yes please {marker}!", f"Stop {marker}"
    mmg = {
        "MSISDN": "447700900111",
        "Number": international,
        "Message": mmg_content.replace(" ", "+").replace("!", "%21"),  # MMG URL-encodes, '+' for spaces
        "ID": f"mmg-{marker}",
        "DateReceived": str(london).replace(" ", "+").replace(":", "%3A"),
    }
    response = httpx.post(
        receipts_url(platform, "/notifications/sms/receive/mmg"), json=mmg, auth=env.inbound_auth("mmg")
    )
    assert response.status_code == 200, response.text
    firetext = {
        "source": "447700900222",
        "destination": inbound_number,
        "message": firetext_content,
        "time": str(london),
        "reference": f"ft-{marker}",
    }
    response = httpx.post(
        receipts_url(platform, "/notifications/sms/receive/firetext"),
        data=firetext,
        auth=env.inbound_auth("firetext"),
    )
    assert response.status_code == 200, response.text

    texts = {t["content"]: t for t in received_texts(client, {mmg_content, firetext_content})}
    service_id = platform.credentials["NOTIFY_SERVICE_ID"]
    # notify_number is the service's inbound number as held, whichever form each provider used.
    assert {(t["user_number"], t["notify_number"], t["service_id"]) for t in texts.values()} == {
        ("447700900111", inbound_number, service_id),
        ("447700900222", inbound_number, service_id),
    }
    for t in texts.values():
        created = datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))
        assert created == london.replace(tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


def test_an_inbound_text_to_a_number_no_service_owns_is_not_listed(
    platform: Platform, client: NotificationsAPIClient, inbound_number: str
) -> None:
    marker = uuid.uuid4().hex[:8]
    stray = {"source": "447700900333", "destination": "447700900999", "message": f"Stray {marker}"}
    response = httpx.post(
        receipts_url(platform, "/notifications/sms/receive/firetext"),
        data=stray,
        auth=env.inbound_auth("firetext"),
    )
    assert response.status_code == 200
    owned = {"source": "447700900333", "destination": inbound_number, "message": f"Owned {marker}"}
    response = httpx.post(
        receipts_url(platform, "/notifications/sms/receive/firetext"),
        data=owned,
        auth=env.inbound_auth("firetext"),
    )
    assert response.status_code == 200

    received_texts(client, {f"Owned {marker}"})  # posted after the stray one, and listed
    listed = [t["content"] for t in client.get_received_texts()["received_text_messages"]]
    assert f"Stray {marker}" not in listed
