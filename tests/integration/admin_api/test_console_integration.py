"""The admin API behind the console's API integration, going-live and usage pages, against the real
database: the API message log, changing a callback's URL while keeping its token, the go-live
checklist, request and approval, and a financial year's billing from ``ft_billing``."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, insert, select

from notify_admin_api.tables.service_settings import service_callback_api
from notify_projector.tables import ft_billing, notifications
from tests.integration.api_gateway.harness import ADMIN_TOKEN, Sandbox, admin, admin_url_of, make_sandbox
from tests.support import env


@pytest.fixture(scope="module")
def db() -> Any:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


def call(url: str, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{admin_url_of(url)}/admin{path}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )


def key_ids(sandbox: Sandbox) -> dict[str, str]:
    return {k["name"]: k["id"] for k in admin(sandbox.url, "GET", f"/services/{sandbox.service_id}/api-keys")}


def sent(db: Any, sandbox: Sandbox, api_key_id: str | None, at: datetime, **columns: Any) -> str:
    row = {
        "id": str(uuid.uuid4()),
        "service_id": sandbox.service_id,
        "template_id": sandbox.templates["sms"],
        "template_version": 1,
        "notification_type": "sms",
        "key_type": "normal",
        "api_key_id": api_key_id,
        "recipient": "447700900123",
        "status": "delivered",
        "created_at": at,
        **columns,
    }
    with db.begin() as conn:
        conn.execute(insert(notifications).values(**row))
    return str(row["id"])


def test_the_message_log_lists_the_last_50_sent_with_the_services_own_keys_newest_first(
    db: Any, sandbox: Sandbox
) -> None:
    admin(sandbox.url, "POST", f"/console/services/{sandbox.service_id}/console-key")
    keys = key_ids(sandbox)
    start = datetime.now(UTC) - timedelta(hours=1)
    ours = [sent(db, sandbox, keys["normal key"], start + timedelta(seconds=i)) for i in range(52)]
    test_key = sent(db, sandbox, keys["test key"], start + timedelta(seconds=60), key_type="test")
    sent(db, sandbox, keys["Notify admin console"], start + timedelta(seconds=61))  # a one-off
    sent(
        db, sandbox, keys["normal key"], start + timedelta(seconds=62), job_id=str(uuid.uuid4())
    )  # a CSV row
    sent(db, sandbox, None, start + timedelta(seconds=63))  # no key at all

    log = admin(sandbox.url, "GET", f"/console/services/{sandbox.service_id}/api-message-log")

    assert [n["id"] for n in log] == [test_key, *ours[::-1][:49]]
    assert log[0]["key_name"] == "test key"
    assert log[0]["key_type"] == "test"
    assert log[1]["template_name"] == "sms"
    assert log[1]["recipient"] == "447700900123"


def test_a_callbacks_url_changes_and_its_bearer_token_stays(db: Any, sandbox: Sandbox) -> None:
    path = f"/console/services/{sandbox.service_id}/callbacks/delivery_status"
    missing = call(sandbox.url, "PATCH", path, {"url": "https://example.gov.uk/new"})
    assert missing.status_code == 404
    admin(
        sandbox.url,
        "PUT",
        f"/services/{sandbox.service_id}/callbacks/delivery_status",
        {"url": "https://example.gov.uk/old", "bearer_token": "a-long-bearer-token"},
    )
    with db.connect() as conn:
        sealed = conn.execute(select(service_callback_api.c.bearer_token)).scalars().all()
    assert call(sandbox.url, "PATCH", path, {"url": "http://example.gov.uk"}).status_code == 400
    assert call(sandbox.url, "PATCH", path, {"url": "https://example.gov.uk/new"}).status_code == 200
    found = admin(sandbox.url, "GET", f"/services/{sandbox.service_id}/callbacks")
    assert [(c["callback_type"], c["url"]) for c in found] == [
        ("delivery_status", "https://example.gov.uk/new")
    ]
    with db.connect() as conn:
        assert conn.execute(select(service_callback_api.c.bearer_token)).scalars().all() == sealed
    assert (
        call(
            sandbox.url, "PATCH", path.replace("delivery_status", "nonsense"), {"url": "https://x.gov.uk"}
        ).status_code
        == 400
    )


def _manager(url: str, service_id: str) -> str:
    stamp = secrets.token_hex(4)
    user = admin(
        url,
        "POST",
        "/console/users",
        {
            "name": f"Manager {stamp}",
            "email_address": f"m.{stamp}@example.gov.uk",
            "password": "a long password",
            "mobile_number": "07700900321",
        },
    )
    admin(
        url, "PUT", f"/console/services/{service_id}/users/{user['id']}", {"permissions": ["manage_service"]}
    )
    return str(user["id"])


def test_a_trial_service_asks_to_go_live_once_its_checklist_is_done_and_an_admin_approves(
    api_url: str,
) -> None:
    trial = make_sandbox(api_url, live=False)
    base = f"/console/services/{trial.service_id}"
    checklist = admin(api_url, "GET", f"{base}/go-live")
    assert checklist["live"] is False
    assert checklist["request"] is None
    assert {t["task"]: t["done"] for t in checklist["checklist"]} == {
        "templates": True,
        "team": False,
        "reply_to": False,  # it has an email template
    }
    refused = call(api_url, "POST", f"{base}/go-live-request", {})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "Some of the tasks on this page are incomplete"

    first = _manager(api_url, trial.service_id)
    _manager(api_url, trial.service_id)
    admin(
        api_url,
        "POST",
        f"/services/{trial.service_id}/senders/email-reply-to",
        {"value": "team@example.gov.uk"},
    )
    requested = call(api_url, "POST", f"{base}/go-live-request", {"requested_by": first})
    assert requested.status_code == 201, requested.text
    request = requested.json()["data"]["request"]
    assert request["status"] == "pending"
    assert request["requested_by"] == first
    assert request["requested_by_name"].startswith("Manager ")
    assert call(api_url, "POST", f"{base}/go-live-request", {"requested_by": first}).status_code == 409
    pending = admin(api_url, "GET", "/console/go-live-requests")
    assert trial.service_id in {r["service_id"] for r in pending}

    admin(api_url, "PATCH", f"/services/{trial.service_id}", {"live": True})
    approved = admin(api_url, "POST", f"{base}/go-live-request/approve", {"decided_by": None})
    assert approved["live"] is True
    assert approved["request"] is None
    assert trial.service_id not in {
        r["service_id"] for r in admin(api_url, "GET", "/console/go-live-requests")
    }
    assert call(api_url, "POST", f"{base}/go-live-request/approve", {}).status_code == 404
    assert call(api_url, "POST", f"{base}/go-live-request", {}).status_code == 409  # already live


def test_billing_counts_fragments_emails_and_letters_by_postage_per_month(db: Any, sandbox: Sandbox) -> None:
    def fact(
        day: date, kind: str, units: int, sent: int, postage: str = "", multiplier: int = 1
    ) -> dict[str, Any]:
        return {
            "bst_date": day,
            "template_id": sandbox.templates[kind],
            "service_id": sandbox.service_id,
            "notification_type": kind,
            "provider": "mmg" if kind == "sms" else "",
            "rate_multiplier": multiplier,
            "international": False,
            "postage": postage,
            "billable_units": units,
            "notifications_sent": sent,
        }

    with db.begin() as conn:
        conn.execute(
            insert(ft_billing),
            [
                fact(date(2025, 4, 3), "sms", 10, 5),
                fact(date(2025, 4, 4), "sms", 2, 1, multiplier=2),
                fact(date(2025, 6, 1), "email", 4, 4),
                fact(date(2026, 2, 1), "letter", 3, 2, postage="first"),
                fact(date(2026, 2, 2), "letter", 1, 1, postage="second"),
                fact(date(2026, 4, 1), "sms", 99, 99),  # the next financial year
            ],
        )
    found = admin(sandbox.url, "GET", f"/console/services/{sandbox.service_id}/billing?year=2025")
    assert found["year"] == 2025
    assert found["sms"]["fragments"] == 14
    assert found["sms"]["charged"] == 14  # no free allowance unless configured
    assert found["sms"]["rate"] == 0.0227  # the 2025-26 financial year's rate
    assert found["emails"] == {"sent": 4}
    assert {p: e["sent"] for p, e in found["letters"]["by_postage"].items()} == {"first": 2, "second": 1}
    assert found["letters"]["cost"] == 0.0  # letters are counted but not priced unless configured
    assert len(found["months"]) == 12
    assert found["months"][0]["sms_fragments"] == 14
    assert call(sandbox.url, "GET", f"/console/services/{uuid.uuid4()}/billing").status_code == 404
