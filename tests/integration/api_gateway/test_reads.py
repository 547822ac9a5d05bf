"""The read endpoints over the projection's tables: list filters and paging by key type, one
notification's shape, templates and their versions, previews, received text messages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, insert

from notify_projector.tables import inbound_sms, notifications
from tests.integration.api_gateway.harness import Sandbox, admin, admin_url_of
from tests.support import env
from tests.support.shapes import NOTIFICATION_KEYS


@pytest.fixture(scope="module")
def db() -> Any:
    engine = create_engine(env.DATABASE_URL)
    yield engine
    engine.dispose()


def projected(db: Any, sandbox: Sandbox, n: int, **columns: Any) -> list[str]:
    """``n`` rows as the projector writes them, newest last; returns their ids."""
    start = datetime.now(UTC) - timedelta(hours=1)
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "service_id": sandbox.service_id,
                "template_id": sandbox.templates["sms"],
                "template_version": 1,
                "notification_type": "sms",
                "key_type": "normal",
                "recipient": "447700900123",
                "status": "delivered",
                "body": f"body {i}",
                "billable_units": 1,
                "created_at": start + timedelta(seconds=i),
                **columns,
            }
        )
    with db.begin() as conn:
        conn.execute(insert(notifications), rows)
    return [r["id"] for r in rows]


def test_the_list_pages_newest_first_250_at_a_time(db: Any, sandbox: Sandbox) -> None:
    ids = projected(db, sandbox, 260)
    first = sandbox.get("/v2/notifications").json()
    assert [n["id"] for n in first["notifications"]] == ids[::-1][:250]
    assert first["links"]["current"] == f"{sandbox.url}/v2/notifications"
    assert first["links"]["next"] == f"{sandbox.url}/v2/notifications?older_than={ids[10]}"
    second = sandbox.get("/v2/notifications", older_than=ids[10]).json()
    assert [n["id"] for n in second["notifications"]] == ids[9::-1]
    last = sandbox.get("/v2/notifications", older_than=ids[0]).json()
    assert last == {
        "notifications": [],
        "links": {"current": f"{sandbox.url}/v2/notifications?older_than={ids[0]}"},
    }
    assert sandbox.get("/v2/notifications", older_than=str(uuid.uuid4())).json()["notifications"] == []


def test_the_list_filters_by_type_status_reference_key_type_and_jobs(db: Any, sandbox: Sandbox) -> None:
    delivered = projected(db, sandbox, 1, reference=None, client_reference="abc")
    failed = projected(db, sandbox, 1, status="permanent-failure")
    letter = projected(
        db,
        sandbox,
        1,
        notification_type="letter",
        status="sending",
        recipient=None,
        address=["A", "B", "SW1A 1AA"],
        postage="second",
    )
    test_key = projected(db, sandbox, 1, key_type="test")
    from_job = projected(db, sandbox, 1, job_id=str(uuid.uuid4()))

    def ids(**params: Any) -> set[str]:
        response = sandbox.get("/v2/notifications", **params)
        assert response.status_code == 200, response.text
        return {n["id"] for n in response.json()["notifications"]}

    assert ids() == {*delivered, *failed, *letter}
    assert ids(reference="abc") == set(delivered)
    assert ids(status="failed") == set(failed)
    assert ids(status="accepted") == set(letter)
    assert ids(template_type="letter") == set(letter)
    assert ids(template_type=["sms", "letter"]) == {*delivered, *failed, *letter}
    assert ids(include_jobs="true") == {*delivered, *failed, *letter, *from_job}
    test_response = sandbox.get("/v2/notifications", key_type="test").json()["notifications"]
    assert {n["id"] for n in test_response} == set(test_key)
    shown = sandbox.get(f"/v2/notifications/{letter[0]}").json()
    assert shown["status"] == "accepted"


def test_one_notification_has_notifys_shape(db: Any, sandbox: Sandbox) -> None:
    [nid] = projected(db, sandbox, 1, international=True, rate_multiplier=2, billable_units=3)
    body = sandbox.get(f"/v2/notifications/{nid}").json()
    assert set(body) == NOTIFICATION_KEYS
    # The rate of the day it was created: GOV.UK Notify's 2.4p from 1 April 2026, 2.27p before.
    rate = 0.024 if body["created_at"] >= "2026-04-01" else 0.0227
    assert body["cost_details"] == {
        "billable_sms_fragments": 3,
        "international_rate_multiplier": 2,
        "sms_rate": rate,
    }
    assert body["cost_in_pounds"] == round(3 * 2 * rate, 4)
    assert body["created_at"].endswith("Z")
    assert len(body["created_at"]) == 27


def test_templates_versions_and_previews(sandbox: Sandbox, api_url: str) -> None:
    template_id = sandbox.templates["email"]
    admin(
        api_url,
        "PATCH",
        f"/services/{sandbox.service_id}/templates/{template_id}",
        {"subject": "New ((name))"},
    )
    latest = sandbox.get(f"/v2/template/{template_id}").json()
    assert (latest["version"], latest["subject"], latest["type"]) == (2, "New ((name))", "email")
    assert latest["personalisation"] == {"name": {"required": True}, "items": {"required": True}}
    first = sandbox.get(f"/v2/template/{template_id}/version/1").json()
    assert (first["version"], first["subject"]) == (1, "Hello ((name))")
    assert sandbox.get(f"/v2/template/{template_id}/version/9").status_code == 404
    assert sandbox.get(f"/v2/template/{uuid.uuid4()}").status_code == 404
    assert sandbox.get("/v2/template/nope").json()["errors"][0]["message"] == "id is not a valid UUID"
    everything = sandbox.get("/v2/templates").json()["templates"]
    assert {t["type"] for t in everything} == {"sms", "email", "letter"}
    assert [t["type"] for t in sandbox.get("/v2/templates", type="sms").json()["templates"]] == ["sms"]
    assert (
        sandbox.get("/v2/templates", type="fax").json()["errors"][0]["message"]
        == "type fax is not one of [sms, email, letter]"
    )
    preview = sandbox.post(
        f"/v2/template/{template_id}/preview", {"personalisation": {"name": "Bo", "items": "x", "extra": 1}}
    )
    assert preview.json()["subject"] == "New Bo"
    assert preview.json()["html"].startswith("<h2>Welcome</h2>")
    missing = sandbox.post(f"/v2/template/{template_id}/preview", {"personalisation": {}})
    assert missing.json()["errors"] == [
        {"error": "BadRequestError", "message": "Missing personalisation: name, items"}
    ]


def test_received_text_messages_page_newest_first(db: Any, sandbox: Sandbox) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    rows = [
        {
            "id": str(uuid.uuid4()),
            "service_id": sandbox.service_id,
            "user_number": "447700900111",
            "notify_number": "07700900000",
            "content": f"reply {i}",
            "created_at": start + timedelta(seconds=i),
        }
        for i in range(3)
    ]
    with db.begin() as conn:
        conn.execute(insert(inbound_sms), rows)
    page = sandbox.get("/v2/received-text-messages").json()
    assert [m["content"] for m in page["received_text_messages"]] == ["reply 2", "reply 1", "reply 0"]
    assert page["received_text_messages"][0]["service_id"] == sandbox.service_id
    assert page["links"]["next"].endswith(f"older_than={rows[0]['id']}")
    older = sandbox.get("/v2/received-text-messages", older_than=rows[1]["id"]).json()
    assert [m["content"] for m in older["received_text_messages"]] == ["reply 0"]


def test_the_admin_api_refuses_service_keys_and_wrong_tokens(sandbox: Sandbox) -> None:
    import httpx

    assert httpx.get(f"{sandbox.admin_url}/admin/services", headers=sandbox.headers()).status_code == 401
    assert (
        httpx.get(
            f"{sandbox.admin_url}/admin/services", headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 401
    )


def test_the_admin_api_manages_keys_callbacks_and_retention(sandbox: Sandbox, api_url: str) -> None:
    import httpx

    keys = admin(api_url, "GET", f"/services/{sandbox.service_id}/api-keys")
    assert all("secret" not in k and "key" not in k for k in keys)
    admin(
        api_url,
        "PUT",
        f"/services/{sandbox.service_id}/callbacks/delivery_status",
        {"url": "https://example.com/cb", "bearer_token": "0123456789abc"},
    )
    assert (
        admin(api_url, "GET", f"/services/{sandbox.service_id}/callbacks")[0]["url"]
        == "https://example.com/cb"
    )
    refused = httpx.put(
        f"{admin_url_of(api_url)}/admin/services/{sandbox.service_id}/callbacks/delivery_status",
        json={"url": "http://example.com", "bearer_token": "0123456789"},
        headers={"Authorization": "Bearer integration-admin-token-0123456789"},
    )
    assert refused.status_code == 400
    admin(api_url, "PUT", f"/services/{sandbox.service_id}/data-retention/sms", {"days_of_retention": 30})
    assert admin(api_url, "GET", f"/services/{sandbox.service_id}")["data_retention"] == {"sms": 30}
    number = admin(
        api_url,
        "POST",
        "/inbound-numbers",
        {"number": f"0770{uuid.uuid4().int % 10**7:07d}", "provider": "simulator"},
    )
    admin(api_url, "POST", f"/services/{sandbox.service_id}/inbound-number/{number['id']}")
    senders = admin(api_url, "GET", f"/services/{sandbox.service_id}/senders/sms-senders")
    assert [s["is_default"] for s in senders] == [True]
    not_a_uuid = httpx.get(
        f"{admin_url_of(api_url)}/admin/services/nope",
        headers={"Authorization": "Bearer integration-admin-token-0123456789"},
    )
    assert not_a_uuid.status_code == 400
