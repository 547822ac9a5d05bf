"""The admin API: tokens with narrower scopes, throttled guessing, an audit line for every call, and
no admin route on the public API's port: the admin-api alone serves them."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.api_gateway.harness import (
    ADMIN_TOKEN,
    Sandbox,
    admin_settings,
    admin_url_of,
    api_settings,
    make_sandbox,
    running_admin_api,
    running_api,
)

READ_TOKEN = "r" * 40
SERVICE_TOKEN = "s" * 40
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def scoped_api(database: str, kafka_topics: str) -> Iterator[tuple[str, Sandbox, Sandbox]]:
    with running_api(api_settings()) as setup_url:
        mine, other = make_sandbox(setup_url), make_sandbox(setup_url)
    settings = admin_settings(
        admin_api_scoped_tokens=f"ops:read:{READ_TOKEN},team-a:service={mine.service_id}:{SERVICE_TOKEN}",
        admin_auth_failures_allowed=5,
        admin_auth_window_seconds=60,
    )
    with running_admin_api(settings) as url:
        yield url, mine, other


def call(url: str, method: str, path: str, token: str, body: object = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{admin_url_of(url)}/admin{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_a_read_only_token_reads_and_cannot_change_anything(scoped_api: tuple[str, Sandbox, Sandbox]) -> None:
    url, mine, _ = scoped_api
    assert call(url, "GET", f"/services/{mine.service_id}", READ_TOKEN).status_code == 200
    changed = call(url, "PATCH", f"/services/{mine.service_id}", READ_TOKEN, {"name": f"x {uuid.uuid4()}"})
    assert changed.status_code == 403
    assert changed.json()["errors"][0]["error"] == "AuthError"


def test_a_service_token_reaches_its_own_service_only(scoped_api: tuple[str, Sandbox, Sandbox]) -> None:
    url, mine, other = scoped_api
    assert call(url, "GET", f"/services/{mine.service_id}/api-keys", SERVICE_TOKEN).status_code == 200
    assert call(url, "GET", f"/services/{other.service_id}/api-keys", SERVICE_TOKEN).status_code == 403
    assert call(url, "GET", "/services", SERVICE_TOKEN).status_code == 403
    assert (
        call(url, "POST", "/services", SERVICE_TOKEN, {"name": "new", "email_from": "new"}).status_code == 403
    )


def test_every_admin_call_is_audited_without_secrets(
    scoped_api: tuple[str, Sandbox, Sandbox], caplog: pytest.LogCaptureFixture
) -> None:
    url, mine, _ = scoped_api
    with caplog.at_level(logging.INFO, logger="notify.audit"):
        call(url, "GET", f"/services/{mine.service_id}", READ_TOKEN)
        call(url, "PATCH", f"/services/{mine.service_id}", READ_TOKEN, {"name": "refused"})
    lines = [r for r in caplog.records if r.name == "notify.audit"]
    seen = [(r.token, r.method, r.route, r.service_id, r.status) for r in lines]  # type: ignore[attr-defined]
    assert seen[-2:] == [
        ("ops", "GET", "/admin/services/{service_id}", mine.service_id, 200),
        ("ops", "PATCH", "/admin/services/{service_id}", mine.service_id, 403),
    ]
    assert not any(READ_TOKEN in r.getMessage() or READ_TOKEN in str(r.__dict__) for r in lines)


def test_guessing_tokens_is_throttled_even_for_a_later_right_token(
    scoped_api: tuple[str, Sandbox, Sandbox],
) -> None:
    url, _, _ = scoped_api
    answers = [call(url, "GET", "/services", f"guess-{i}").status_code for i in range(6)]
    assert answers == [401] * 5 + [429]
    throttled = call(url, "GET", "/services", ADMIN_TOKEN)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0


def test_the_public_api_serves_no_admin_route_and_the_admin_api_serves_them_all(
    database: str, kafka_topics: str
) -> None:
    with running_api(api_settings()) as url:
        on_gateway = httpx.get(f"{url}/admin/services", headers=AUTH, timeout=30)
        on_admin_api = httpx.get(f"{admin_url_of(url)}/admin/services", headers=AUTH, timeout=30)
        gateway_paths = httpx.get(f"{url}/openapi.json", timeout=30).json()["paths"]
        admin_paths = httpx.get(f"{admin_url_of(url)}/openapi.json", timeout=30).json()["paths"]
    assert on_gateway.status_code == 404
    assert on_gateway.json()["errors"][0]["error"] == "ResourceNotFound"
    assert on_admin_api.status_code == 200
    assert gateway_paths
    assert not [p for p in gateway_paths if p.startswith("/admin")]
    assert "/admin/console/users" in admin_paths
    assert [p for p in admin_paths if not p.startswith("/admin")] == []
