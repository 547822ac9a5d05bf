"""The console's API integration, settings, going-live and usage pages against a fake admin API
(httpx's MockTransport): what they show, the rules they check before calling the platform, and the
calls they make. Plus the pure billing arithmetic of the admin API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from notify_admin_api.console_integration import bill
from notify_admin_console.pages_integration import TOKEN_PLACEHOLDER, check_callback, check_guest_list, mask
from tests.unit.admin_console.fake_gateway import console_client, ok, refused
from tests.unit.admin_console.test_permissions import CSRF, SERVICE, person, signed_in

ADMIN = {**person("platform-admin", []), "platform_admin": True}
USERS = {
    "integrator": person("integrator", ["manage_api_keys"]),
    "manager": person("manager", ["manage_service"]),
    "platform-admin": ADMIN,
}
LOG_ENTRY = {
    "id": "0b7e6a4e-0000-4000-8000-00000000000a",
    "notification_type": "sms",
    "status": "delivered",
    "recipient": "447700900123",
    "client_reference": "ref-1",
    "created_at": "2026-11-22T09:05:00+00:00",
    "key_type": "normal",
    "key_name": "Case system",
    "template_name": "Reminder",
}


NEW_SECRET = "whsec_c2lnbmluZy1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieXRlcw=="


class FakeAdmin:
    """The admin API as the pages see it; records every call that changes something."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.callbacks: list[dict[str, Any]] = []
        self.live = False
        self.checklist_done = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else None
        if method != "GET":
            self.calls.append((method, path, body))
        if path.startswith("/admin/console/users/"):
            found = USERS.get(path.rsplit("/", 1)[1])
            return ok(found) if found else refused(404, "Not found")
        if path == f"/admin/services/{SERVICE}":
            return ok({"id": SERVICE, "name": "Test", "live": self.live, "prefix_sms": False})
        if path.endswith("/api-message-log"):
            return ok([LOG_ENTRY])
        if path.endswith("/callbacks") and method == "GET":
            return ok(self.callbacks)
        if path.endswith("/signing-secret") and method == "PUT":
            return ok({"signing_secret": NEW_SECRET})
        if path.endswith("/guest-list") and method == "GET":
            return ok([{"recipient_type": "email", "recipient": "guest@example.gov.uk"}])
        if path.endswith("/go-live-request") and method == "POST":
            if not self.checklist_done:
                return refused(400, "Some of the tasks on this page are incomplete")
            return ok({}, 201)
        if path.endswith("/go-live"):
            return ok({"live": self.live, "checklist": self._checklist(), "request": None})
        if path == "/admin/console/go-live-requests":
            return ok([{"service_id": SERVICE, "service_name": "Test", "created_at": "2026-11-22T09:05:00Z"}])
        if path.endswith("/billing"):
            return ok(
                bill(
                    2026,
                    [
                        {
                            "month": "2026-05-01",
                            "notification_type": "sms",
                            "postage": "",
                            "units": 3,
                            "sent": 3,
                        }
                    ],
                    {"sms_fragment": 0.024, "free_sms_fragments": 0, "letter": {}},
                )
            )
        if method in ("PUT", "PATCH", "DELETE", "POST"):
            return ok({"id": SERVICE, "name": "Test", "live": True})
        return ok([])

    def _checklist(self) -> list[dict[str, Any]]:
        return [{"task": "templates", "label": "Add templates", "done": self.checklist_done}]


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
def client(fake: FakeAdmin) -> Iterator[TestClient]:
    with console_client(fake) as test_client:
        yield test_client


def as_user(client: TestClient, user_id: str) -> TestClient:
    client.cookies.clear()
    for name, value in signed_in(user_id).items():
        client.cookies.set(name, value)
    return client


def post(client: TestClient, path: str, **fields: str) -> httpx.Response:
    response: httpx.Response = client.post(path, data={"csrf_token": CSRF, **fields})
    return response


# ---- pure rules -----------------------------------------------------------------------------


def test_a_recipient_is_masked_to_its_last_digits_or_the_start_of_its_address() -> None:
    assert mask("447700900123") == "••••••••0123"
    assert mask("ada.lovelace@example.gov.uk") == "ad•••@example.gov.uk"
    assert mask(None) == "Letter"


@pytest.mark.parametrize(
    ("url", "token", "saved", "errors"),
    [
        ("https://example.gov.uk/receipts", "a-long-bearer-token", False, {}),
        (
            "http://example.gov.uk/receipts",
            "a-long-bearer-token",
            False,
            {"url": "Must be a valid https URL"},
        ),
        ("https://example.gov.uk", "short", False, {"bearer_token": "Must be at least 10 characters"}),
        ("https://example.gov.uk", "", False, {"bearer_token": "Cannot be empty"}),
        ("", "", False, {"url": "Cannot be empty"}),
        ("", "", True, {}),  # clearing the URL removes a saved callback
        ("https://example.gov.uk", TOKEN_PLACEHOLDER, True, {}),  # keeps the saved token
        ("https://example.gov.uk", TOKEN_PLACEHOLDER, False, {"bearer_token": "Cannot be empty"}),
    ],
)
def test_callbacks_need_an_https_url_and_a_bearer_token_of_ten_characters(
    url: str, token: str, saved: bool, errors: dict[str, str]
) -> None:
    assert check_callback(url, token, saved=saved) == errors


def test_the_guest_list_is_checked_with_the_platforms_recipient_rules() -> None:
    emails, phones, errors = check_guest_list(
        ["Guest@Example.gov.uk", "", "not an email"], ["07700 900123", "+1 202 555 0123", "12"]
    )
    assert emails == ["guest@example.gov.uk"]
    assert phones == ["447700900123", "12025550123"]
    assert set(errors) == {"email-3", "phone-3"}
    assert errors["email-3"].startswith("Enter an email address in the correct format")


def test_the_free_text_message_allowance_is_used_up_month_by_month() -> None:
    rows = [
        {"month": "2026-04-01", "notification_type": "sms", "postage": "", "units": 80, "sent": 60},
        {"month": "2026-05-01", "notification_type": "sms", "postage": "", "units": 50, "sent": 50},
        {"month": "2026-05-01", "notification_type": "email", "postage": "", "units": 0, "sent": 7},
        {"month": "2027-01-01", "notification_type": "letter", "postage": "first", "units": 2, "sent": 2},
        {"month": "2027-01-01", "notification_type": "letter", "postage": "second", "units": 3, "sent": 3},
    ]
    prices = {"sms_fragment": 0.02, "free_sms_fragments": 100, "letter": {"first": 1.0, "second": 0.5}}
    found = bill(2026, rows, prices)
    april, may = found["months"][0], found["months"][1]
    assert (april["sms_free"], april["sms_charged"], april["sms_cost"]) == (80, 0, 0.0)
    assert (may["sms_free"], may["sms_charged"], may["sms_cost"]) == (20, 30, 0.6)
    assert found["sms"] == {
        "fragments": 130,
        "free_allowance": 100,
        "free_allowance_remaining": 0,
        "charged": 30,
        "rate": 0.02,
        "cost": 0.6,
    }
    assert found["emails"] == {"sent": 7}
    assert found["letters"]["by_postage"] == {
        "first": {"sent": 2, "rate": 1.0, "cost": 2.0},
        "second": {"sent": 3, "rate": 0.5, "cost": 1.5},
    }
    assert [m["month"] for m in found["months"]][::11] == ["2026-04-01", "2027-03-01"]
    assert found["months"][9]["total_cost"] == 3.5
    assert found["total_cost"] == 4.1


# ---- pages ----------------------------------------------------------------------------------


def test_the_message_log_masks_recipients_and_keeps_them_out_of_links(client: TestClient) -> None:
    page = as_user(client, "integrator").get(f"/services/{SERVICE}/api")
    assert page.status_code == 200
    assert "Case system" in page.text
    assert "Reminder" in page.text
    assert "Delivered" in page.text
    assert "••••••••0123" in page.text
    summary = page.text.split("<summary", 1)[1].split("</summary>", 1)[0]
    assert "447700900123" not in summary
    assert all("447700900123" not in link.split('"', 1)[0] for link in page.text.split('href="')[1:])


def test_a_callback_with_an_http_url_is_refused_before_the_platform_is_asked(
    client: TestClient, fake: FakeAdmin
) -> None:
    as_user(client, "integrator")
    path = f"/services/{SERVICE}/api/callbacks/delivery-status"
    refused = post(client, path, url="http://example.gov.uk", bearer_token="a-long-bearer-token")
    assert refused.status_code == 400
    assert "Must be a valid https URL" in refused.text
    assert "<title>Error: " in refused.text
    assert fake.calls == []
    saved = post(client, path, url="https://example.gov.uk/receipts", bearer_token="a-long-bearer-token")
    assert saved.status_code == 303
    assert fake.calls == [
        (
            "PUT",
            f"/admin/services/{SERVICE}/callbacks/delivery_status",
            {"url": "https://example.gov.uk/receipts", "bearer_token": "a-long-bearer-token"},
        )
    ]


def test_a_saved_callback_keeps_its_token_when_only_the_url_changes_and_an_empty_url_removes_it(
    client: TestClient, fake: FakeAdmin
) -> None:
    fake.callbacks = [{"callback_type": "inbound_sms", "url": "https://old.example.gov.uk"}]
    as_user(client, "integrator")
    path = f"/services/{SERVICE}/api/callbacks/received-text-messages"
    form = client.get(path)
    assert "https://old.example.gov.uk" in form.text
    assert TOKEN_PLACEHOLDER in form.text
    assert (
        post(client, path, url="https://new.example.gov.uk", bearer_token=TOKEN_PLACEHOLDER).status_code
        == 303
    )
    assert post(client, path, url="", bearer_token=TOKEN_PLACEHOLDER).status_code == 303
    assert fake.calls == [
        (
            "PATCH",
            f"/admin/console/services/{SERVICE}/callbacks/inbound_sms",
            {"url": "https://new.example.gov.uk"},
        ),
        ("DELETE", f"/admin/services/{SERVICE}/callbacks/inbound_sms", None),
    ]


def test_a_callbacks_signing_secret_is_created_shown_once_and_removed(
    client: TestClient, fake: FakeAdmin
) -> None:
    fake.callbacks = [
        {"callback_type": "delivery_status", "url": "https://example.gov.uk/cb", "signed": False}
    ]
    as_user(client, "integrator")
    assert "Signing secret" in client.get(f"/services/{SERVICE}/api/callbacks/delivery-status").text
    path = f"/services/{SERVICE}/api/callbacks/delivery-status/signing-secret"
    shown = client.get(path)
    assert "These callbacks are not signed." in shown.text
    assert "Remove the signing secret" not in shown.text
    created = post(client, path, action="create")
    assert created.status_code == 200
    assert NEW_SECRET in created.text
    assert NEW_SECRET not in client.get(path).text
    fake.callbacks[0]["signed"] = True
    assert "(signed)" in client.get(f"/services/{SERVICE}/api/callbacks").text
    assert "Remove the signing secret" in client.get(path).text
    removed = post(client, path, action="remove")
    assert removed.status_code == 303
    secret_path = f"/admin/services/{SERVICE}/callbacks/delivery_status/signing-secret"
    assert fake.calls == [("PUT", secret_path, {}), ("DELETE", secret_path, None)]


def test_a_signing_secret_needs_a_saved_callback_and_the_right_permission(
    client: TestClient, fake: FakeAdmin
) -> None:
    path = f"/services/{SERVICE}/api/callbacks/received-text-messages/signing-secret"
    as_user(client, "manager")
    assert client.get(path).status_code == 403
    as_user(client, "integrator")
    missing = client.get(path, follow_redirects=False)
    assert missing.status_code == 303
    assert missing.headers["location"] == f"/services/{SERVICE}/api/callbacks/received-text-messages"
    assert fake.calls == []


def test_the_guest_list_saves_normalised_entries_and_shows_each_bad_one(
    client: TestClient, fake: FakeAdmin
) -> None:
    as_user(client, "integrator")
    path = f"/services/{SERVICE}/api/guest-list"
    shown = client.get(path)
    assert 'value="guest@example.gov.uk"' in shown.text
    assert shown.text.count('type="email"') == 5
    assert shown.text.count('type="tel"') == 5
    refused = post(client, path, **{"email-1": "nope", "phone-2": "07700 900123"})
    assert refused.status_code == 400
    assert 'href="#email-1"' in refused.text
    assert fake.calls == []
    assert post(client, path, **{"email-1": "A@Example.gov.uk", "phone-2": "07700 900123"}).status_code == 303
    assert fake.calls == [
        (
            "PUT",
            f"/admin/services/{SERVICE}/guest-list",
            {"email_addresses": ["a@example.gov.uk"], "phone_numbers": ["447700900123"]},
        )
    ]


def test_a_letter_sender_address_has_at_most_ten_lines(client: TestClient, fake: FakeAdmin) -> None:
    as_user(client, "manager")
    path = f"/services/{SERVICE}/settings/letter-contact"
    refused = post(client, path, value="\n".join(f"line {i}" for i in range(11)))
    assert refused.status_code == 400
    assert "Contains 11 lines, maximum is 10" in refused.text
    assert post(client, path, value="Ministry of Tests\nLondon").status_code == 303
    assert fake.calls == [
        ("POST", f"/admin/services/{SERVICE}/senders/letter-contacts", {"value": "Ministry of Tests\nLondon"})
    ]


def test_a_request_to_go_live_with_tasks_left_is_refused_with_the_reason(
    client: TestClient, fake: FakeAdmin
) -> None:
    as_user(client, "manager")
    page = client.get(f"/services/{SERVICE}/go-live")
    assert "Make your service live" in page.text
    assert "Incomplete" in page.text
    refused = post(client, f"/services/{SERVICE}/go-live")
    assert refused.status_code == 400
    assert "Some of the tasks on this page are incomplete" in refused.text
    fake.checklist_done = True
    sent = post(client, f"/services/{SERVICE}/go-live")
    assert sent.status_code == 303
    assert fake.calls[-1] == (
        "POST",
        f"/admin/console/services/{SERVICE}/go-live-request",
        {"requested_by": "manager"},
    )
    assert "Your request to go live is being reviewed" in client.get(sent.headers["location"]).text


def test_only_platform_admins_see_and_approve_requests_to_go_live(
    client: TestClient, fake: FakeAdmin
) -> None:
    as_user(client, "manager")
    assert client.get("/platform-admin/go-live-requests").status_code == 403
    assert post(client, f"/platform-admin/go-live-requests/{SERVICE}/approve").status_code == 403
    assert fake.calls == []
    as_user(client, "platform-admin")
    listed = client.get("/platform-admin/go-live-requests")
    assert listed.status_code == 200
    assert "Approve" in listed.text
    assert post(client, f"/platform-admin/go-live-requests/{SERVICE}/approve").status_code == 303
    assert fake.calls == [
        ("PATCH", f"/admin/services/{SERVICE}", {"live": True}),
        (
            "POST",
            f"/admin/console/services/{SERVICE}/go-live-request/approve",
            {"decided_by": "platform-admin"},
        ),
    ]


def test_usage_shows_fragments_cost_and_every_month_of_the_financial_year(client: TestClient) -> None:
    page = as_user(client, "manager").get(f"/services/{SERVICE}/usage")
    assert page.status_code == 200
    assert "text message fragments sent" in page.text
    assert "3 at 2.40 pence: £0.07" in page.text
    assert "April 2026" in page.text
    assert "March 2027" in page.text
