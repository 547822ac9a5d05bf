"""Every page of the admin console declares who may see it, and the rule holds: a person without
the permission a page needs gets 403, someone signed out is sent to sign in, and a page without a
declared rule is never served. The admin API is faked with httpx's MockTransport."""

from __future__ import annotations

import json
import time
from base64 import b64encode
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from pydantic import SecretStr

from notify_admin_console.app import create_app, page_routes
from notify_admin_console.security import PERMISSIONS, PUBLIC, SIGNED_IN, Rule, member, rule_of
from notify_admin_console.settings import ConsoleSettings

SECRET = "unit-test-console-secret"
SERVICE = "6a9c1d0e-0000-4000-8000-000000000001"
OTHER = "6a9c1d0e-0000-4000-8000-000000000002"
CSRF = "csrf-token-for-tests"
PUBLIC_PAGES = {
    "/",
    "/sign-in",
    "/two-factor",
    "/two-factor/resend",
    "/two-factor/security-key/options",
    "/two-factor/security-key",
    "/sign-out",
    "/invitation/{token}",
    "/forgot-password",
    "/new-password/{token}",
    "/healthz",
    "/readyz",
    "/performance",
    "/performance/data",
    "/using-notify/limits",
}


def person(user_id: str, permissions: list[str] | None, service_id: str = SERVICE) -> dict[str, Any]:
    services = (
        []
        if permissions is None
        else [{"id": service_id, "name": "Test", "live": True, "active": True, "permissions": permissions}]
    )
    return {
        "id": user_id,
        "name": "Test Person",
        "email_address": f"{user_id}@example.gov.uk",
        "mobile_number": "+447700900123",
        "auth_type": "sms_auth",
        "platform_admin": False,
        "locked": False,
        "services": services,
    }


USERS: dict[str, dict[str, Any]] = {
    "no-permissions": person("no-permissions", []),
    "outsider": person("outsider", [], service_id=OTHER),
    **{f"only-{p}": person(f"only-{p}", [p]) for p in PERMISSIONS},
}


def fake_api(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.startswith("/admin/console/users/") and request.method == "GET":
        found = USERS.get(path.rsplit("/", 1)[1])
        if found is not None:
            return httpx.Response(200, json={"data": found})
    if path == f"/admin/services/{SERVICE}":
        return httpx.Response(
            200, json={"data": {"id": SERVICE, "name": "Test", "live": True, "prefix_sms": False}}
        )
    # Everything else: as if the thing asked for does not exist.
    return httpx.Response(404, json={"errors": [{"error": "AdminError", "message": "Not found"}]})


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = ConsoleSettings(admin_api_token=SecretStr("t"), console_secret_key=SecretStr(SECRET))
    app = create_app(
        settings, httpx.AsyncClient(transport=httpx.MockTransport(fake_api), base_url="http://gw")
    )
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def session_cookie(data: dict[str, Any]) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it."""
    payload = b64encode(json.dumps(data).encode())
    return TimestampSigner(SECRET).sign(payload).decode()


def signed_in(user_id: str, *, signed_in_at: float | None = None) -> dict[str, str]:
    now = time.time()
    at = signed_in_at if signed_in_at is not None else now
    data = {"user_id": user_id, "signed_in_at": at, "seen_at": now, "csrf": CSRF}
    return {"notify_admin_session": session_cookie(data)}


def routes(client: TestClient) -> list[tuple[str, str, Rule | None]]:
    found = []
    for route in page_routes(client.app.routes):  # type: ignore[attr-defined]
        for method in sorted(route.methods or ()):
            found.append((method, route.path, rule_of(route.endpoint)))
    return found


def concrete(path: str) -> str:
    return (
        path.replace("{service_id}", SERVICE)
        .replace("{template_id}", "t1")
        .replace("{user_id}", "u1")
        .replace("{key_id}", "k1")
        .replace("{job_id}", "j1")
        .replace("{upload_id}", "up1")
        .replace("{notification_id}", "n1")
        .replace("{invite_id}", "i1")
        .replace("{setting}", "name")
        .replace("{token}", "tok")
    )


def call(client: TestClient, method: str, path: str, cookies: dict[str, str]) -> httpx.Response:
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    if method == "POST":
        response: httpx.Response = client.post(concrete(path), data={"csrf_token": CSRF})
    else:
        response = client.request(method, concrete(path))
    return response


def test_every_route_declares_a_permission_rule(client: TestClient) -> None:
    missing = [(m, p) for m, p, r in routes(client) if r is None]
    assert missing == []
    assert len(routes(client)) > 40


def test_only_the_sign_in_pages_and_health_checks_are_public(client: TestClient) -> None:
    public = {p for _, p, r in routes(client) if r == PUBLIC}
    assert public == PUBLIC_PAGES


def test_service_pages_name_the_service_they_guard(client: TestClient) -> None:
    for _, path, declared in routes(client):
        assert declared is not None
        if declared.kind == "member":
            assert path.startswith("/services/{service_id}"), path
        else:
            assert not path.startswith("/services/"), path


@pytest.mark.parametrize("kind", ["signed_in", "member"])
def test_signed_out_people_are_sent_to_sign_in_from_every_private_page(client: TestClient, kind: str) -> None:
    for method, path, declared in routes(client):
        if declared is None or declared.kind != kind:
            continue
        response = call(client, method, path, {"notify_admin_session": session_cookie({"csrf": CSRF})})
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/sign-in"), (method, path)


def test_every_service_page_refuses_people_without_its_permission(client: TestClient) -> None:
    checked = 0
    for method, path, declared in routes(client):
        if declared is None or declared.kind != "member":
            continue
        # Any member passes a page that lists no permission; someone from another service does not.
        lacking = ["outsider"] if not declared.permissions else ["no-permissions"]
        lacking += [
            f"only-{p}" for p in PERMISSIONS if p not in declared.permissions and declared.permissions
        ]
        for user_id in lacking:
            response = call(client, method, path, signed_in(user_id))
            assert response.status_code == 403, (method, path, user_id)
            checked += 1
        allowed = [f"only-{p}" for p in declared.permissions] or ["no-permissions"]
        for user_id in allowed:
            response = call(client, method, path, signed_in(user_id))
            assert response.status_code != 403, (method, path, user_id)
    assert checked > 60


def test_signed_in_pages_let_any_signed_in_person_in(client: TestClient) -> None:
    response = call(client, "GET", "/your-services", signed_in("no-permissions"))
    assert response.status_code == 200
    assert "Choose service" in response.text


def test_a_post_without_the_sessions_csrf_token_is_refused(client: TestClient) -> None:
    client.cookies.clear()
    for name, value in signed_in("only-manage_templates").items():
        client.cookies.set(name, value)
    response = client.post(f"/services/{SERVICE}/templates/add", data={"csrf_token": "forged", "name": "x"})
    assert response.status_code == 400
    assert "The form had expired" in response.text


def test_a_session_older_than_its_lifetime_has_ended(client: TestClient) -> None:
    response = call(
        client, "GET", "/your-services", signed_in("no-permissions", signed_in_at=time.time() - 21 * 3600)
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


def test_a_forged_session_cookie_is_not_trusted(client: TestClient) -> None:
    forged = b64encode(json.dumps({"user_id": "only-manage_service", "signed_in_at": time.time()}).encode())
    response = call(client, "GET", "/your-services", {"notify_admin_session": forged.decode() + ".x.y"})
    assert response.status_code == 303


def test_rules_are_declared_with_known_permissions() -> None:
    assert SIGNED_IN.describe() == "signed_in"
    with pytest.raises(ValueError, match="unknown permissions"):
        member("send_everything")
