"""Turning the earlier API generations on and issuing alpha tokens, through the admin API and
``notify-admin``: off by default, tokens shown once and kept only as digests, revoked at once."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import create_engine, select

from notify_admin_api.cli import main
from notify_admin_api.tables.legacy import legacy_alpha_tokens
from tests.integration.api_gateway.harness import (
    ADMIN_TOKEN,
    admin,
    admin_url_of,
    api_settings,
    make_sandbox,
    running_api,
)
from tests.support import env

SEND = {"notification": {"to": "+447700900123", "message": "Hello"}}


def alpha_send(url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/sms/notification", json=SEND, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_switches_are_off_until_turned_on_and_tokens_work_only_then(api_url: str) -> None:
    sandbox = make_sandbox(api_url)
    path = f"/services/{sandbox.service_id}"
    assert admin(api_url, "GET", f"{path}/legacy-apis") == {"alpha": False, "beta": False}
    issued = admin(api_url, "POST", f"{path}/alpha-tokens", {"name": "old system"})
    assert set(issued) == {"id", "key_type", "token"}
    assert alpha_send(api_url, issued["token"]).status_code == 403

    assert admin(api_url, "PUT", f"{path}/legacy-apis", {"alpha": True}) == {"alpha": True, "beta": False}
    sent = alpha_send(api_url, issued["token"])
    assert sent.status_code == 201, sent.text

    listed = admin(api_url, "GET", f"{path}/alpha-tokens")
    assert [(t["id"], t["name"], t["revoked_at"]) for t in listed] == [(issued["id"], "old system", None)]
    assert "token" not in listed[0]
    admin(api_url, "POST", f"{path}/alpha-tokens/{issued['id']}/revoke")
    refused = alpha_send(api_url, issued["token"])
    assert (refused.status_code, refused.json()) == (
        403,
        {"error": "Forbidden, invalid bearer token provided"},
    )


def status_soon(url: str, token: str, expected: int) -> int:
    """The alpha send's status once it is ``expected``, or the last one seen within 5 s: the
    admin-api's notice of a change reaches the gateway over Redis a moment after its answer."""
    deadline = time.monotonic() + 5
    while (status := alpha_send(url, token).status_code) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return status


def test_with_the_configuration_cached_switches_and_revocations_still_take_effect_at_once(
    database: str, kafka_topics: str
) -> None:
    # Cached for 60 s: only the admin-api's notice can make a change visible within the 5 s waited.
    with running_api(api_settings(config_cache_seconds=60.0)) as url:
        sandbox = make_sandbox(url)
        path = f"/services/{sandbox.service_id}"
        issued = admin(url, "POST", f"{path}/alpha-tokens", {"name": "old system"})
        assert alpha_send(url, issued["token"]).status_code == 403
        admin(url, "PUT", f"{path}/legacy-apis", {"alpha": True})
        assert status_soon(url, issued["token"], 201) == 201
        admin(url, "POST", f"{path}/alpha-tokens/{issued['id']}/revoke")
        assert status_soon(url, issued["token"], 403) == 403


def test_only_a_digest_of_a_token_is_stored(api_url: str) -> None:
    sandbox = make_sandbox(api_url)
    issued = admin(api_url, "POST", f"/services/{sandbox.service_id}/alpha-tokens", {"name": "t"})
    engine = create_engine(env.DATABASE_URL)
    with engine.connect() as conn:
        stored = conn.execute(
            select(legacy_alpha_tokens).where(legacy_alpha_tokens.c.id == issued["id"])
        ).one()
    engine.dispose()
    assert issued["token"] not in [str(v) for v in stored]
    assert len(stored.token_sha256) == 64


def test_the_admin_api_refuses_unknown_services_and_live_tokens_on_trial_services(api_url: str) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    unknown = httpx.put(
        f"{admin_url_of(api_url)}/admin/services/00000000-0000-0000-0000-000000000001/legacy-apis",
        json={"beta": True},
        headers=headers,
        timeout=30,
    )
    assert unknown.status_code == 404
    trial = make_sandbox(api_url, live=False)
    live_token = httpx.post(
        f"{admin_url_of(api_url)}/admin/services/{trial.service_id}/alpha-tokens",
        json={"name": "t"},
        headers=headers,
        timeout=30,
    )
    assert (live_token.status_code, live_token.json()["errors"][0]["error"]) == (400, "AdminError")


def test_notify_admin_turns_the_apis_on_and_issues_tokens(
    api_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", env.DATABASE_URL)
    sandbox = make_sandbox(api_url)
    assert main(["set-legacy-api", "--service-id", sandbox.service_id, "--alpha", "on", "--beta", "on"]) == 0
    assert '"beta": true' in capsys.readouterr().out
    assert main(["create-alpha-token", "--service-id", sandbox.service_id, "--name", "cli"]) == 0
    token = capsys.readouterr().out.strip()
    assert alpha_send(api_url, token).status_code == 201
    token_id = admin(api_url, "GET", f"/services/{sandbox.service_id}/alpha-tokens")[0]["id"]
    assert (
        main(["revoke-alpha-token", "--service-id", sandbox.service_id, "--token-id", token_id, "--yes"]) == 0
    )
    assert alpha_send(api_url, token).status_code == 403
    assert (
        main(["revoke-alpha-token", "--service-id", sandbox.service_id, "--token-id", token_id, "--yes"]) == 1
    )
