"""Annual limits through the real api-gateway, Redis, PostgreSQL and Kafka: a send past a service's
annual limit is a 429 in Notify's error shape with GC Notify's words, test keys count on no annual
limit, and the sends that reach 80 % and 90 % of it put one warning each in the service's history,
which the admin-api emails to the team members who manage the service."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from notify_admin_api.limit_warnings import TeamMailer
from notify_admin_api.settings import AdminApiSettings
from notify_common.db import create_engine
from tests.integration.api_gateway.harness import Sandbox, admin, admin_settings, make_sandbox

ADMIN = "/admin"


def email(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "email_address": "someone@example.com",
        "template_id": sandbox.templates["email"],
        "personalisation": {"name": "Ada", "items": "a"},
    }


def sms(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "phone_number": "07700 900123",
        "template_id": sandbox.templates["sms"],
        "personalisation": {"name": "Ada", "code": "1"},
    }


def test_a_send_past_the_annual_limit_is_a_429_until_the_financial_year_ends(api_url: str) -> None:
    sandbox = make_sandbox(api_url)
    limits = admin(api_url, "PUT", f"/services/{sandbox.service_id}/annual-limits", {"email": 3})
    assert limits["channels"]["email"]["annual_limit"] == 3
    codes = [sandbox.post("/v2/notifications/email", email(sandbox)).status_code for _ in range(3)]
    assert codes == [201, 201, 201]
    refused = sandbox.post("/v2/notifications/email", email(sandbox))
    assert refused.status_code == 429
    assert refused.json() == {
        "status_code": 429,
        "errors": [
            {"error": "TooManyRequestsError", "message": "Exceeded annual email sending limit of 3 messages"}
        ],
    }
    assert int(refused.headers["Retry-After"]) > 0
    # Test keys send nothing and count on no annual limit; other channels have their own.
    assert sandbox.post("/v2/notifications/email", email(sandbox), key_type="test").status_code == 201
    assert sandbox.post("/v2/notifications/sms", sms(sandbox)).status_code == 201
    used = admin(api_url, "GET", f"/services/{sandbox.service_id}/annual-limits")["channels"]
    assert (used["email"]["used"], used["email"]["remaining"]) == (3, 0)
    assert (used["sms"]["used"], used["sms"]["annual_limit"]) == (1, 100_000)


def _warnings(api_url: str, service_id: str, wanted: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        page = admin(api_url, "GET", f"/services/{service_id}/history?kind=annual_limit.warning")
        if page["total"] >= wanted or time.monotonic() > deadline:
            return list(page["history"])
        time.sleep(0.2)


def test_the_sends_reaching_80_and_90_percent_each_put_one_warning_in_the_history(api_url: str) -> None:
    sandbox = make_sandbox(api_url)
    admin(api_url, "PUT", f"/services/{sandbox.service_id}/annual-limits", {"sms": 10})
    for _ in range(7):
        assert sandbox.post("/v2/notifications/sms", sms(sandbox)).status_code == 201
    assert sandbox.post("/v2/notifications/sms", sms(sandbox)).status_code == 201  # 8 of 10
    assert sandbox.post("/v2/notifications/sms", sms(sandbox)).status_code == 201  # 9 of 10
    assert sandbox.post("/v2/notifications/sms", sms(sandbox)).status_code == 201  # 10 of 10
    warnings = _warnings(api_url, sandbox.service_id, 2)
    assert sorted((w["actor_type"], w["actor_id"], w["changes"][0]["after"]) for w in warnings) == [
        ("system", "notify", "80%"),
        ("system", "notify", "90%"),
    ]
    assert {w["changes"][0]["field"] for w in warnings} == {"sms_annual_limit_used"}


async def test_a_warning_is_emailed_to_each_member_who_manages_the_service(sandbox: Sandbox) -> None:
    managers = []
    for permissions in (["manage_service"], ["view_activity"]):
        person = admin(
            sandbox.url,
            "POST",
            "/console/users",
            {
                "name": "P",
                "email_address": f"{uuid.uuid4().hex[:8]}@example.gov.uk",
                "password": "a long secret",
                "auth_type": "email_auth",
            },
        )
        admin(
            sandbox.url,
            "PUT",
            f"/console/services/{sandbox.service_id}/users/{person['id']}",
            {"permissions": permissions},
        )
        managers.append(person)
    sent: list[dict[str, Any]] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Bearer ")
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"id": str(uuid.uuid4())})

    platform = {
        "key": f"platform-{uuid.uuid4()}-{uuid.uuid4()}",
        "templates": {"annual_limit_warning": "t-1"},
    }

    async def platform_service() -> dict[str, Any]:
        return platform

    settings: AdminApiSettings = admin_settings()
    engine = create_engine(settings, pool_size=1)
    client = httpx.AsyncClient(base_url="http://gateway.test", transport=httpx.MockTransport(gateway))
    try:
        mailer = TeamMailer(engine, client, platform_service)
        await mailer(
            {
                "service_id": sandbox.service_id,
                "channel": "email",
                "year": 2026,
                "percentage": 90,
                "limit": 2_000,
            }
        )
    finally:
        await client.aclose()
        await engine.dispose()
    assert [m["email_address"] for m in sent] == [managers[0]["email_address"]]
    assert sent[0]["template_id"] == "t-1"
    assert sent[0]["personalisation"] == {
        "service_name": sent[0]["personalisation"]["service_name"],
        "percentage": "90",
        "channel": "email",
        "used": "1,800",
        "limit": "2,000",
        "year_end": "2027",
    }
