"""A forgotten password in the console against a fake admin API (httpx's MockTransport): the same
"Check your email" answer whether or not the account exists, the link emailed through the platform's
own service, a new password of at least 8 characters, and sessions (and pending second factors)
from before the change signed out."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.unit.admin_console.fake_gateway import console_client, ok, refused
from tests.unit.admin_console.test_permissions import CSRF, person, session_cookie, signed_in

PLATFORM_SERVICE = "0f0f0f0f-0000-4000-8000-000000000001"
PLATFORM_KEY = f"Notify admin console-{PLATFORM_SERVICE}-{'s' * 36}"
TOKEN = "a-reset-token-from-the-email"
KNOWN = "ada@example.gov.uk"


class FakeAdmin:
    """The admin API as the reset pages see it: one account, one usable token."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.changed_at = "2026-01-01T00:00:00+00:00"
        self.token_used = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body: Any = json.loads(request.content) if request.content else {}
        if method != "GET":
            self.calls.append((method, path, body))
        if path == "/admin/console/platform":
            templates = {"password_reset": "tpl-reset", "reply_to_verification": "tpl-reply-to"}
            return ok({"service_id": PLATFORM_SERVICE, "templates": templates, "key": PLATFORM_KEY})
        if path == "/v2/notifications/email":
            self.sent.append(body)
            return ok({"id": "n1"}, 201)
        if path == "/admin/console/password-resets":
            if body["email_address"] != KNOWN:
                return ok(None, 201)
            return ok({"token": TOKEN, "email_address": KNOWN, "name": "Ada Lovelace"}, 201)
        if path in ("/admin/console/password-resets/check", "/admin/console/password-resets/complete"):
            if body["token"] != TOKEN or self.token_used:
                return refused(404, "The link in the email we sent you has expired or has already been used")
            if path.endswith("/complete"):
                self.token_used = True
                self.changed_at = datetime.now(UTC).isoformat()
            return ok({"email_address": KNOWN})
        if path.startswith("/admin/console/users/"):
            user_id = path.rsplit("/", 1)[1]
            return ok({**person(user_id, []), "password_changed_at": self.changed_at})
        return refused(404, "Not found")


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
def client(fake: FakeAdmin) -> Iterator[TestClient]:
    with console_client(fake, console_url="https://console.example.gov.uk") as test_client:
        test_client.cookies.set("notify_admin_session", session_cookie({"csrf": CSRF}))
        yield test_client


def ask_for_a_link(client: TestClient, email: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/forgot-password", data={"csrf_token": CSRF, "email_address": email}
    )
    return response


def main_text(response: httpx.Response) -> str:
    return response.text.split('id="main-content"', 1)[1].split("</main>", 1)[0]


def test_the_sign_in_page_links_to_the_forgotten_password_page(client: TestClient) -> None:
    assert 'href="/forgot-password">Forgot your password?</a>' in client.get("/sign-in").text
    page = client.get("/forgot-password")
    assert page.status_code == 200
    assert '<h1 class="govuk-heading-l">Forgotten your password?</h1>' in page.text


def test_the_answer_is_the_same_whether_or_not_the_account_exists(
    client: TestClient, fake: FakeAdmin
) -> None:
    known = ask_for_a_link(client, KNOWN)
    unknown = ask_for_a_link(client, "nobody@example.gov.uk")
    assert known.status_code == unknown.status_code == 200
    assert main_text(known) == main_text(unknown)
    assert "Check your email" in main_text(known)
    assert KNOWN not in known.text
    assert "nobody@" not in unknown.text


def test_the_link_is_emailed_through_the_platforms_own_service_only_to_an_account(
    client: TestClient, fake: FakeAdmin
) -> None:
    ask_for_a_link(client, "nobody@example.gov.uk")
    assert fake.sent == []
    ask_for_a_link(client, KNOWN)
    assert fake.sent == [
        {
            "email_address": KNOWN,
            "template_id": "tpl-reset",
            "personalisation": {
                "name": "Ada Lovelace",
                "url": f"https://console.example.gov.uk/new-password/{TOKEN}",
            },
        }
    ]


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Enter your email address"), ("not an address", "Enter a valid email address")],
)
def test_a_missing_or_malformed_address_is_an_error_on_the_form(
    client: TestClient, fake: FakeAdmin, email: str, message: str
) -> None:
    response = ask_for_a_link(client, email)
    assert response.status_code == 400
    assert message in response.text
    assert "<title>Error: Forgotten your password?" in response.text
    assert not [c for c in fake.calls if c[1] == "/admin/console/password-resets"]


def test_asking_for_a_link_needs_the_forms_csrf_token(client: TestClient, fake: FakeAdmin) -> None:
    response = client.post("/forgot-password", data={"csrf_token": "forged", "email_address": KNOWN})
    assert response.status_code == 303
    assert fake.calls == []


def test_opening_the_link_shows_the_form_and_uses_nothing_up(client: TestClient, fake: FakeAdmin) -> None:
    page = client.get(f"/new-password/{TOKEN}")
    assert page.status_code == 200
    assert "Create a new password" in page.text
    assert [c[1] for c in fake.calls] == ["/admin/console/password-resets/check"]
    assert not fake.token_used


def test_an_unknown_used_or_expired_link_sends_the_person_to_ask_for_another(client: TestClient) -> None:
    response = client.get("/new-password/not-a-token")
    assert response.status_code == 303
    assert response.headers["location"] == "/forgot-password"
    assert "has expired or has already been used" in client.get("/forgot-password").text


@pytest.mark.parametrize(
    ("password", "message"),
    [("", "Enter a new password"), ("short", "Password must be at least 8 characters")],
)
def test_a_new_password_follows_the_same_rules_as_elsewhere(
    client: TestClient, fake: FakeAdmin, password: str, message: str
) -> None:
    response = client.post(f"/new-password/{TOKEN}", data={"csrf_token": CSRF, "password": password})
    assert response.status_code == 400
    assert message in response.text
    assert not fake.token_used


def test_a_new_password_is_saved_once_and_the_person_signs_in_again(
    client: TestClient, fake: FakeAdmin
) -> None:
    response = client.post(
        f"/new-password/{TOKEN}", data={"csrf_token": CSRF, "password": "a brand new password"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert (
        "POST",
        "/admin/console/password-resets/complete",
        {"token": TOKEN, "password": "a brand new password"},
    ) in fake.calls
    assert "Your password has been changed" in client.get("/sign-in").text

    again = client.post(
        f"/new-password/{TOKEN}", data={"csrf_token": client_csrf(client), "password": "another password"}
    )
    assert again.status_code == 303
    assert again.headers["location"] == "/forgot-password"


def client_csrf(client: TestClient) -> str:
    page = client.get("/forgot-password").text
    token: str = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return token


def test_a_session_from_before_the_password_changed_is_signed_out(
    client: TestClient, fake: FakeAdmin
) -> None:
    fake.changed_at = datetime.now(UTC).isoformat()
    client.cookies.clear()
    for name, value in signed_in("before", signed_in_at=time.time() - 60).items():
        client.cookies.set(name, value)
    response = client.get("/your-services")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert "your session ended" in client.get("/sign-in").text

    client.cookies.clear()
    for name, value in signed_in("after").items():
        client.cookies.set(name, value)
    assert client.get("/your-account").status_code == 200


def test_a_second_factor_pending_from_before_the_password_changed_is_refused(
    client: TestClient, fake: FakeAdmin
) -> None:
    fake.changed_at = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    pending = {"pending_user_id": "u1", "pending_at": time.time() - 60, "csrf": CSRF}
    client.cookies.set("notify_admin_session", session_cookie(pending))
    response = client.post("/two-factor", data={"csrf_token": CSRF, "code": "12345"})
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert not [c for c in fake.calls if c[1].endswith("/verify-code")]
