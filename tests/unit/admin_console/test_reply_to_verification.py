"""Adding a reply-to email address in the console against a fake admin API (httpx's MockTransport):
the address is not saved when it is entered but emailed a link through the platform's own service;
"Check your email" and the settings page show it waiting; following the link and confirming adds it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.unit.admin_console.fake_gateway import console_client, ok, refused
from tests.unit.admin_console.test_password_reset import PLATFORM_KEY, PLATFORM_SERVICE
from tests.unit.admin_console.test_permissions import CSRF, SERVICE, person, signed_in

VERIFICATION = "5e5e5e5e-0000-4000-8000-000000000001"
TOKEN = "reply-to-token-from-the-email"
ADDRESS = "replies@example.gov.uk"
USERS = {"manager": person("manager", ["manage_service"]), "sender": person("sender", ["send_messages"])}
BASE = f"/services/{SERVICE}/settings"


class FakeAdmin:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.reply_to: list[dict[str, Any]] = []
        self.verifications: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body: Any = json.loads(request.content) if request.content else {}
        if method != "GET":
            self.calls.append((method, path, body))
        if path.startswith("/admin/console/users/"):
            found = USERS.get(path.rsplit("/", 1)[1])
            return ok(found) if found else refused(404, "Not found")
        if path == f"/admin/services/{SERVICE}":
            return ok(
                {
                    "id": SERVICE,
                    "name": "Parking permits",
                    "live": True,
                    "prefix_sms": False,
                    "data_retention": {},
                }
            )
        if path == "/admin/console/platform":
            templates = {"reply_to_verification": "tpl-reply-to"}
            return ok({"service_id": PLATFORM_SERVICE, "templates": templates, "key": PLATFORM_KEY})
        if path == "/v2/notifications/email":
            self.sent.append(body)
            return ok({"id": "n1"}, 201)
        if path == f"/admin/services/{SERVICE}/senders/email-reply-to":
            return ok(self.reply_to)
        if path.startswith(f"/admin/services/{SERVICE}/senders/"):
            return ok([])
        verifications = f"/admin/console/services/{SERVICE}/reply-to-verifications"
        if path == verifications and method == "GET":
            return ok(self.verifications)
        if path == verifications:
            if body["email_address"] == "taken@example.gov.uk":
                return refused(409, "‘taken@example.gov.uk’ is already a reply-to email address")
            self.verifications.append({"id": VERIFICATION, "email_address": ADDRESS, "status": "pending"})
            return ok({"id": VERIFICATION, "token": TOKEN, "email_address": ADDRESS}, 201)
        if path == f"{verifications}/confirm":
            pending = [v for v in self.verifications if v["status"] == "pending"]
            if body["token"] != TOKEN or not pending:
                return refused(404, "The link in the email has expired or has already been used")
            pending[0]["status"] = "verified"
            self.reply_to.append({"email_address": ADDRESS, "is_default": True})
            return ok({"id": VERIFICATION, "email_address": ADDRESS, "reply_to_id": "r1"})
        return refused(404, "Not found")


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
def client(fake: FakeAdmin) -> Iterator[TestClient]:
    with console_client(fake, console_url="https://console.example.gov.uk") as test_client:
        for name, value in signed_in("manager").items():
            test_client.cookies.set(name, value)
        yield test_client


def add(client: TestClient, address: str) -> httpx.Response:
    response: httpx.Response = client.post(f"{BASE}/reply-to", data={"csrf_token": CSRF, "value": address})
    return response


def test_adding_an_address_emails_it_a_link_instead_of_saving_it(client: TestClient, fake: FakeAdmin) -> None:
    response = add(client, ADDRESS)
    assert response.status_code == 303
    assert response.headers["location"] == f"{BASE}/email-reply-to/{VERIFICATION}/check-your-email"
    assert not [c for c in fake.calls if "/senders/" in c[1]]
    assert fake.sent == [
        {
            "email_address": ADDRESS,
            "template_id": "tpl-reply-to",
            "personalisation": {
                "service_name": "Parking permits",
                "url": f"https://console.example.gov.uk{BASE}/email-reply-to/verify/{TOKEN}",
            },
        }
    ]
    assert (
        "POST",
        f"/admin/console/services/{SERVICE}/reply-to-verifications",
        {"email_address": ADDRESS, "created_by": "manager"},
    ) in fake.calls


def test_check_your_email_and_the_settings_page_show_the_address_waiting(
    client: TestClient, fake: FakeAdmin
) -> None:
    add(client, ADDRESS)
    pending = client.get(f"{BASE}/email-reply-to/{VERIFICATION}/check-your-email")
    assert pending.status_code == 200
    assert '<h1 class="govuk-heading-l">Check your email</h1>' in pending.text
    assert f"We’ve sent an email to {ADDRESS}" in pending.text
    settings = client.get(BASE)
    assert ADDRESS in settings.text
    assert "Waiting for verification" in settings.text


def test_opening_the_link_asks_for_a_confirmation_and_adds_nothing(
    client: TestClient, fake: FakeAdmin
) -> None:
    add(client, ADDRESS)
    page = client.get(f"{BASE}/email-reply-to/verify/{TOKEN}")
    assert page.status_code == 200
    assert "Confirm your reply-to email address" in page.text
    assert not [c for c in fake.calls if c[1].endswith("/confirm")]


def test_confirming_adds_the_address_and_says_so(client: TestClient, fake: FakeAdmin) -> None:
    add(client, ADDRESS)
    response = client.post(f"{BASE}/email-reply-to/verify/{TOKEN}", data={"csrf_token": CSRF})
    assert response.status_code == 303
    assert response.headers["location"] == BASE
    settings = client.get(BASE).text
    assert f"‘{ADDRESS}’ has been added as a reply-to email address" in settings
    assert "Waiting for verification" not in settings
    verified = client.get(f"{BASE}/email-reply-to/{VERIFICATION}/check-your-email")
    assert verified.status_code == 303


def test_a_used_or_unknown_link_adds_nothing_and_says_why(client: TestClient, fake: FakeAdmin) -> None:
    response = client.post(f"{BASE}/email-reply-to/verify/not-the-token", data={"csrf_token": CSRF})
    assert response.status_code == 303
    assert "has expired or has already been used" in client.get(BASE).text
    assert fake.reply_to == []


@pytest.mark.parametrize(
    ("address", "message"),
    [("", "Enter a value"), ("taken@example.gov.uk", "is already a reply-to email address")],
)
def test_an_empty_or_refused_address_is_an_error_on_the_form(
    client: TestClient, fake: FakeAdmin, address: str, message: str
) -> None:
    response = add(client, address)
    assert response.status_code == 400
    assert message in response.text
    assert fake.sent == []


def test_an_unknown_verification_is_not_found(client: TestClient) -> None:
    assert client.get(f"{BASE}/email-reply-to/unknown/check-your-email").status_code == 404


def test_only_people_who_manage_the_service_can_confirm(client: TestClient, fake: FakeAdmin) -> None:
    client.cookies.clear()
    for name, value in signed_in("sender").items():
        client.cookies.set(name, value)
    response = client.post(f"{BASE}/email-reply-to/verify/{TOKEN}", data={"csrf_token": CSRF})
    assert response.status_code == 403
    assert not [c for c in fake.calls if c[1].endswith("/confirm")]
