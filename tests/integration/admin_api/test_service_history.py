"""A service's configuration history on the real PostgreSQL and Kafka: each change made through the
admin API is published on notify.service-history and read back by the admin-api into its own table,
with who made it and what changed, never a secret; it is listed with filters and pages, and a
rebuild of the projections leaves it as it was, as notification retention does."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError

from notify_admin_api.cli import main
from notify_admin_api.service_history import Actor, ServiceHistory, record
from notify_common.db import create_engine
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from notify_projector.periodic import apply_retention
from notify_projector.rebuild import rebuild
from tests.integration.api_gateway.harness import (
    ADMIN_TOKEN,
    Sandbox,
    admin_settings,
    admin_url_of,
    make_sandbox,
    running_admin_api,
)
from tests.integration.projector.conftest import own_database
from tests.support import env

__all__ = ["own_database"]

USER = "3f0c6b1e-2a4d-4e8f-9b7c-5d6e1a2b3c4d"


def call(admin_url: str, method: str, path: str, body: Any = None, *, user: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if user is not None:
        headers["X-Notify-Acting-User"] = user
    response = httpx.request(method, f"{admin_url}/admin{path}", json=body, headers=headers, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()["data"]


def history_of(admin_url: str, service_id: str, wanted: int, **filters: Any) -> dict[str, Any]:
    """The history page once it holds ``wanted`` entries (the consumer writes them shortly; on a
    loaded machine running the end-to-end suite beside this one, a record was once not read back
    within 30 s)."""
    deadline = time.monotonic() + 90
    while True:
        params = {k: v for k, v in filters.items() if v is not None}
        page: dict[str, Any] = httpx.get(
            f"{admin_url}/admin/services/{service_id}/history",
            params=params,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        ).json()["data"]
        if page["total"] >= wanted or time.monotonic() > deadline:
            return page
        time.sleep(0.2)


def test_an_api_key_created_by_a_console_user_is_in_the_history_with_that_user_and_no_secret(
    sandbox: Sandbox,
) -> None:
    admin_url = admin_url_of(sandbox.url)
    key = call(
        admin_url,
        "POST",
        f"/services/{sandbox.service_id}/api-keys",
        {"name": "Payments system", "key_type": "normal"},
        user=USER,
    )
    call(admin_url, "POST", f"/services/{sandbox.service_id}/api-keys/{key['id']}/revoke", user=USER)
    page = history_of(admin_url, sandbox.service_id, 5, kind="api_key")  # and the sandbox's 3 keys
    entries = {e["kind"]: e for e in page["history"] if e["subject_id"] == key["id"]}
    created = entries["api_key.created"]
    assert (created["actor_type"], created["actor_id"], created["subject_id"]) == ("user", USER, key["id"])
    assert {c["field"]: c["after"] for c in created["changes"]} == {
        "name": "Payments system",
        "key_type": "normal",
        "secret": "changed",
    }
    assert entries["api_key.revoked"]["changes"] == [{"field": "revoked", "before": False, "after": True}]
    everything = json.dumps(history_of(admin_url, sandbox.service_id, 1))
    assert key["key"][-36:] not in everything


def test_callback_tokens_and_signing_secrets_are_recorded_only_as_changed(sandbox: Sandbox) -> None:
    admin_url = admin_url_of(sandbox.url)
    bearer, signing = f"bearer-{uuid.uuid4().hex}", f"signing-{uuid.uuid4().hex}"
    body = {"url": "https://example.org/receipts", "bearer_token": bearer, "signing_secret": signing}
    call(admin_url, "PUT", f"/services/{sandbox.service_id}/callbacks/delivery_status", body)
    rotated = call(
        admin_url, "PUT", f"/services/{sandbox.service_id}/callbacks/delivery_status/signing-secret", {}
    )
    page = history_of(admin_url, sandbox.service_id, 2, kind="callback")
    assert page["total"] == 2
    text = json.dumps(page)
    assert bearer not in text
    assert signing not in text
    assert rotated["signing_secret"] not in text
    [entry] = [e for e in page["history"] if e["kind"] == "callback.set"]
    assert entry["actor_type"] == "admin_token"
    assert entry["actor_id"] == "platform"
    assert {c["field"]: c["after"] for c in entry["changes"]} == {
        "url": "https://example.org/receipts",
        "bearer_token": "changed",
        "signing_secret": "changed",
    }
    [rotation] = [e for e in page["history"] if e["kind"] == "callback.signing_secret_set"]
    assert rotation["changes"] == [{"field": "signing_secret", "before": None, "after": "changed"}]


def test_settings_changes_carry_before_and_after_and_the_list_filters_and_pages(api_url: str) -> None:
    sandbox = make_sandbox(api_url, rate_limit=100)
    admin_url = admin_url_of(api_url)
    other = str(uuid.uuid4())
    call(admin_url, "PATCH", f"/services/{sandbox.service_id}", {"rate_limit": 200}, user=USER)
    call(admin_url, "PUT", f"/services/{sandbox.service_id}/annual-limits", {"sms": 5_000}, user=other)
    page = history_of(admin_url, sandbox.service_id, 1, kind="service.updated")
    [updated] = page["history"]
    assert updated["changes"] == [{"field": "rate_limit", "before": 100, "after": 200}]
    [limits] = history_of(admin_url, sandbox.service_id, 1, user=other)["history"]
    assert limits["kind"] == "annual_limits.updated"
    assert limits["changes"] == [{"field": "sms_annual_limit", "before": 100_000, "after": 5_000}]
    # The sandbox's own keys and templates, the change and the limits: newest first, paged by 50.
    everything = history_of(admin_url, sandbox.service_id, 8)
    assert everything["total"] >= 8
    times = [e["occurred_at"] for e in everything["history"]]
    assert times == sorted(times, reverse=True)
    assert history_of(admin_url, sandbox.service_id, 0, until="2000-01-01T00:00:00")["total"] == 0
    assert history_of(admin_url, sandbox.service_id, 0, page=2)["history"] == []


def test_the_history_of_an_unknown_service_is_a_404_in_notifys_error_shape(api_url: str) -> None:
    response = httpx.get(
        f"{admin_url_of(api_url)}/admin/services/{uuid.uuid4()}/history",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "Service not found"


async def test_the_history_survives_a_rebuild_of_the_projections_and_outlives_notification_retention(
    own_database: CommonSettings,
) -> None:
    settings = admin_settings(
        database_url=own_database.database_url, kafka_topic_prefix=own_database.kafka_topic_prefix
    )
    with running_admin_api(settings) as admin_url:
        service = call(
            admin_url, "POST", "/services", {"name": "Rebuilt", "email_from": "rebuilt"}, user=USER
        )
        key = call(
            admin_url,
            "POST",
            f"/services/{service['id']}/api-keys",
            {"name": "k", "key_type": "team"},
            user=USER,
        )
        before = history_of(admin_url, service["id"], 2)
        assert [e["kind"] for e in before["history"]] == ["api_key.created", "service.created"]
        await rebuild(own_database, batch_size=1000)
        after = history_of(admin_url, service["id"], 2)
        engine = create_engine(own_database, pool_size=1)
        try:
            old = record(service["id"], "service.updated", Actor("user", USER))
            old = dataclasses.replace(old, occurred_at=datetime.now(UTC) - timedelta(days=800))
            await ServiceHistory(engine, None).store([old])
            await apply_retention(engine, default_days=7, batch=1000)
        finally:
            await engine.dispose()
        kept = history_of(admin_url, service["id"], 3)
    assert after == before
    assert kept["total"] == 3
    assert kept["history"][-1]["id"] == old.event_id
    assert after["history"][0]["subject_id"] == key["id"]
    assert after["history"][0]["actor_id"] == USER


def test_a_change_made_with_notify_admin_is_in_the_history_as_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", env.DATABASE_URL)
    argv = ["create-api-key", "--service-id", sandbox.service_id, "--name", "cli key", "--type", "team"]
    assert main(argv) == 0
    combined = capsys.readouterr().out.strip()
    argv = ["set-limits", "--service-id", sandbox.service_id, "--sms-message-limit", "77"]
    assert main(argv) == 0
    argv = ["set-annual-limits", "--service-id", sandbox.service_id, "--sms-annual-limit", "250001"]
    assert main(argv) == 0
    page = history_of(admin_url_of(sandbox.url), sandbox.service_id, 1, user="notify-admin")
    entries = {e["kind"]: e for e in page["history"]}
    assert set(entries) == {
        "notify-admin create-api-key", "notify-admin set-limits", "notify-admin set-annual-limits",
    }  # fmt: skip
    annual = call(admin_url_of(sandbox.url), "GET", f"/services/{sandbox.service_id}/annual-limits")
    assert [annual["channels"][c]["annual_limit"] for c in ("sms", "email")] == [250001, 20_000_000]
    assert {"field": "sms_annual_limit", "before": None, "after": 250001} in (
        entries["notify-admin set-annual-limits"]["changes"]
    )
    assert {e["actor_type"] for e in entries.values()} == {"cli"}
    created = {c["field"]: c["after"] for c in entries["notify-admin create-api-key"]["changes"]}
    assert created == {"name": "cli key", "type": "team", "secret": "changed"}
    assert combined[-36:] not in json.dumps(page)
    limits = entries["notify-admin set-limits"]["changes"]
    assert {"field": "sms_message_limit", "before": None, "after": 77} in limits


def test_team_members_added_and_their_permissions_changed_are_in_the_history(sandbox: Sandbox) -> None:
    admin_url = admin_url_of(sandbox.url)
    person = call(
        admin_url,
        "POST",
        "/console/users",
        {
            "name": "Robin",
            "email_address": f"robin.{uuid.uuid4().hex[:8]}@example.gov.uk",
            "password": "a long password",
            "auth_type": "email_auth",
        },
    )
    members = f"/console/services/{sandbox.service_id}/users/{person['id']}"
    call(admin_url, "PUT", members, {"permissions": ["view_activity"]}, user=USER)
    call(admin_url, "PUT", members, {"permissions": ["view_activity", "manage_service"]}, user=USER)
    call(admin_url, "DELETE", members, user=USER)
    page = history_of(admin_url, sandbox.service_id, 3, kind="team_member")
    assert [(e["kind"], e["subject_id"], e["changes"]) for e in reversed(page["history"])] == [
        (
            "team_member.added",
            person["id"],
            [{"field": "permissions", "before": None, "after": ["view_activity"]}],
        ),
        (
            "team_member.permissions_changed",
            person["id"],
            [
                {
                    "field": "permissions",
                    "before": ["view_activity"],
                    "after": ["manage_service", "view_activity"],
                }
            ],
        ),
        ("team_member.removed", person["id"], []),
    ]
    assert "example.gov.uk" not in json.dumps(page)


class KafkaDown:
    """A producer whose broker never acknowledges."""

    async def publish_many(self, items: object, *, ack_within: float) -> None:
        raise KafkaConnectionError()


async def test_an_entry_kafka_cannot_take_is_written_into_the_table_directly(sandbox: Sandbox) -> None:
    engine = create_engine(admin_settings(), pool_size=1)
    try:
        history = ServiceHistory(engine, cast(EventProducer, KafkaDown()))
        entry = record(sandbox.service_id, "service.updated", Actor("admin_token", "ops"))
        await history.keep([entry])
        await history.keep([entry])  # kept twice, stored once
    finally:
        await engine.dispose()
    page = history_of(admin_url_of(sandbox.url), sandbox.service_id, 1, user="ops")
    assert [e["id"] for e in page["history"]] == [entry.event_id]
