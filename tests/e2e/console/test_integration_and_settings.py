"""API integration, settings, going live and usage in a real browser against the running platform:
a trial service's manager sets a callback and the guest list, sees an API message in the message
log (recipient masked until opened), adds a letter sender address, asks to go live and is refused
until the checklist is done; a platform admin approves the request. axe-core checks every page.

These tests have a service, accounts (signing in with an authenticator app) and browser contexts of
their own, so they neither need nor disturb the other journeys' signed-in browser."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from notify_admin_console.api import api_token
from tests.e2e.console.conftest import Console, axe_check

GUEST = "07700900888"
PERMISSIONS = ["view_activity", "send_messages", "manage_templates", "manage_service", "manage_api_keys"]


@dataclass
class Account:
    email: str
    password: str
    totp: pyotp.TOTP


@dataclass
class Trial:
    service_id: str
    name: str
    team_key: str
    template_id: str
    manager: Account
    admin: Account


def _account(console: Console, *, platform_admin: bool = False) -> tuple[str, Account]:
    stamp = secrets.token_hex(4)
    email, password = f"kit.{stamp}@example.gov.uk", f"long password {stamp}"
    user = console.api.post(
        "/admin/console/users",
        json={
            "name": f"Kit {stamp}",
            "email_address": email,
            "password": password,
            "mobile_number": "07700900321",
            "platform_admin": platform_admin,
        },
    ).json()["data"]
    secret = console.api.post(f"/admin/console/users/{user['id']}/totp").json()["data"]["secret"]
    totp = pyotp.TOTP(secret)
    console.api.post(f"/admin/console/users/{user['id']}/totp/confirm", json={"code": totp.now()})
    return user["id"], Account(email, password, totp)


@pytest.fixture(scope="module")
def trial(console: Console) -> Trial:
    stamp = secrets.token_hex(4)
    name = f"Trial service {stamp}"
    service = console.api.post(
        "/admin/services", json={"name": name, "email_from": f"trial.{stamp}", "live": False}
    ).json()["data"]
    manager_id, manager = _account(console)
    console.api.put(
        f"/admin/console/services/{service['id']}/users/{manager_id}", json={"permissions": PERMISSIONS}
    )
    _, platform_admin = _account(console, platform_admin=True)
    key = console.api.post(
        f"/admin/services/{service['id']}/api-keys", json={"name": "Case system", "key_type": "team"}
    ).json()["data"]["key"]
    template = console.api.post(
        f"/admin/services/{service['id']}/templates",
        json={"name": "Appointment", "template_type": "sms", "content": "Your appointment is tomorrow"},
    ).json()["data"]
    return Trial(service["id"], name, key, template["id"], manager, platform_admin)


def _signed_in(browser: Browser, console: Console, account: Account) -> Iterator[Page]:
    context = browser.new_context(
        base_url=console.url, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    page.get_by_label("Code").fill(account.totp.now())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose service")
    yield page
    context.close()


@pytest.fixture(scope="module")
def manager(browser: Browser, console: Console, trial: Trial) -> Iterator[Page]:
    yield from _signed_in(browser, console, trial.manager)


def visit(page: Page, path: str) -> None:
    page.goto(path)
    axe_check(page)


def test_set_a_delivery_receipt_callback_with_the_rules_notify_applies(manager: Page, trial: Trial) -> None:
    visit(manager, f"/services/{trial.service_id}/api/callbacks")
    manager.get_by_role("link", name="Change callbacks for delivery receipts").click()
    manager.get_by_label("URL").fill("http://example.gov.uk/receipts")
    manager.get_by_label("Bearer token").fill("short")
    manager.get_by_role("button", name="Save").click()
    summary = manager.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Must be a valid https URL")
    expect(summary).to_contain_text("Must be at least 10 characters")
    axe_check(manager)
    manager.get_by_label("URL").fill("https://example.gov.uk/receipts")
    manager.get_by_label("Bearer token").fill("a-long-bearer-token")
    manager.get_by_role("button", name="Save").click()
    expect(manager.locator(".govuk-summary-list")).to_contain_text("https://example.gov.uk/receipts")
    axe_check(manager)


def test_add_to_the_guest_list_and_see_an_api_message_in_the_log(
    manager: Page, trial: Trial, console: Console
) -> None:
    visit(manager, f"/services/{trial.service_id}/api/guest-list")
    manager.get_by_label("Mobile number 1").fill("12")
    manager.get_by_role("button", name="Save").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text("Mobile number is too short")
    axe_check(manager)
    manager.get_by_label("Mobile number 1").fill(GUEST)
    manager.get_by_role("button", name="Save").click()
    expect(manager.locator(".govuk-notification-banner--success")).to_contain_text("Guest list updated")
    expect(manager.locator("#api-message-log")).to_contain_text("When you send messages with an API key")
    axe_check(manager)

    # A team key reaches the guest list in trial mode.
    headers = {"Authorization": f"Bearer {api_token(trial.team_key)}"}
    answer = console.public.post(
        "/v2/notifications/sms",
        json={"phone_number": GUEST, "template_id": trial.template_id},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "Case system" not in manager.locator("main").inner_text():
        manager.get_by_role("link", name="Refresh").click()  # the projection catches up in moments
    row = manager.locator("#api-message-log tbody tr").first
    expect(row).to_contain_text("Case system")
    expect(row).to_contain_text("Appointment")
    expect(row.locator("summary")).to_contain_text("0888")
    expect(row.locator("summary")).not_to_contain_text("07700900888")
    row.locator("summary").click()
    expect(row.locator(".govuk-details__text")).to_contain_text("07700900888")  # as it was sent
    assert "0900888" not in manager.url
    axe_check(manager)


def test_add_a_letter_sender_address_in_settings(manager: Page, trial: Trial) -> None:
    visit(manager, f"/services/{trial.service_id}/settings")
    manager.get_by_role("link", name="Add sender address").click()
    manager.get_by_label("Sender address").fill("\n".join(f"Line {i}" for i in range(11)))
    manager.get_by_role("button", name="Save").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text("Contains 11 lines, maximum is 10")
    axe_check(manager)
    manager.get_by_label("Sender address").fill("Ministry of Tests\n1 Test Street\nLondon")
    manager.get_by_role("button", name="Save").click()
    expect(manager.locator("main")).to_contain_text("1 Test Street")
    axe_check(manager)


def test_ask_to_go_live_and_a_platform_admin_approves(
    manager: Page, trial: Trial, console: Console, browser: Browser
) -> None:
    visit(manager, f"/services/{trial.service_id}")
    manager.get_by_role("link", name="Make your service live").click()
    expect(manager.locator("#go-live-tasks")).to_contain_text("Incomplete")
    axe_check(manager)
    manager.get_by_role("button", name="Send a request to go live").click()
    expect(manager.locator(".govuk-error-summary")).to_contain_text(
        "Some of the tasks on this page are incomplete"
    )
    axe_check(manager)

    second_id, _ = _account(console)  # a second team member who can manage the service
    console.api.put(
        f"/admin/console/services/{trial.service_id}/users/{second_id}",
        json={"permissions": ["manage_service"]},
    )
    visit(manager, f"/services/{trial.service_id}/go-live")
    expect(manager.locator("#go-live-tasks")).not_to_contain_text("Incomplete")
    manager.get_by_role("button", name="Send a request to go live").click()
    expect(manager.locator("#go-live-status")).to_contain_text("Your request to go live is being reviewed")
    axe_check(manager)

    for admin_page in _signed_in(browser, console, trial.admin):
        admin_page.get_by_role("link", name="Requests to go live").click()
        axe_check(admin_page)
        admin_page.get_by_role("button", name=f"Approve {trial.name}").click()
        expect(admin_page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"‘{trial.name}’ is now live"
        )
        axe_check(admin_page)

    visit(manager, f"/services/{trial.service_id}/go-live")
    expect(manager.get_by_role("heading", level=1)).to_have_text("Your service is live")
    expect(manager.get_by_role("link", name="Make your service live")).to_have_count(0)


def test_usage_shows_each_month_of_the_financial_year(manager: Page, trial: Trial) -> None:
    visit(manager, f"/services/{trial.service_id}/usage")
    expect(manager.locator("#usage-totals")).to_contain_text("text message fragments sent")
    expect(manager.locator("#usage-months tbody tr")).to_have_count(12)
