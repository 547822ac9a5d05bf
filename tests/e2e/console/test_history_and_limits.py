"""A service's history and its sending limits in a real browser against the running platform: a
manager creates an API key and finds it in the service's history under their own name, without
its secret, and filters the history; the usage page shows the daily and annual limits with what
is left; a platform admin changes the annual limits (kept in the history) and a send past them is
refused; the public page explains both kinds of limit. axe-core checks every page.

These tests have a service, accounts (signing in with an authenticator app) and browser contexts of
their own, so they neither need nor disturb the other journeys' signed-in browser."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from notify_admin_console.api import api_token
from tests.e2e.console.conftest import Console, axe_check
from tests.e2e.console.test_integration_and_settings import PERMISSIONS, Account, _account, _signed_in


@dataclass
class Limited:
    service_id: str
    manager_name: str
    manager: Account
    admin: Account
    template_id: str


@pytest.fixture(scope="module")
def limited(console: Console) -> Limited:
    stamp = secrets.token_hex(4)
    service = console.api.post(
        "/admin/services",
        json={"name": f"Limited service {stamp}", "email_from": f"limited.{stamp}", "live": True},
    ).json()["data"]
    manager_id, manager = _account(console)
    console.api.put(
        f"/admin/console/services/{service['id']}/users/{manager_id}", json={"permissions": PERMISSIONS}
    )
    name = console.api.get(f"/admin/console/users/{manager_id}").json()["data"]["name"]
    _, admin = _account(console, platform_admin=True)
    template = console.api.post(
        f"/admin/services/{service['id']}/templates",
        json={"name": "Reminder", "template_type": "email", "subject": "Reminder", "content": "Hello"},
    ).json()["data"]
    return Limited(service["id"], name, manager, admin, template["id"])


@pytest.fixture(scope="module")
def manager(browser: Browser, console: Console, limited: Limited) -> Iterator[Page]:
    yield from _signed_in(browser, console, limited.manager)


def visit(page: Page, path: str) -> None:
    page.goto(path)
    axe_check(page)


def reload_until(page: Page, text: str, timeout: float = 30.0) -> None:
    """Reload until the page shows ``text``: the history is written by a consumer, moments later."""
    deadline = time.monotonic() + timeout
    while text not in page.locator("main").inner_text() and time.monotonic() < deadline:
        page.wait_for_timeout(300)
        page.reload()


def test_an_api_key_a_manager_creates_is_in_the_history_under_their_name(
    manager: Page, limited: Limited
) -> None:
    visit(manager, f"/services/{limited.service_id}/api-keys/create")
    manager.get_by_label("Name for this key").fill("Case system")
    manager.get_by_label("Live", exact=True).check()
    manager.get_by_role("button", name="Continue").click()
    secret = manager.locator("#api-key").inner_text()[-36:]
    visit(manager, f"/services/{limited.service_id}/settings")
    manager.get_by_role("link", name="View service history").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Service history")
    reload_until(manager, "API key created")
    axe_check(manager)
    row = manager.locator("#history tbody tr", has_text="API key created")
    expect(row).to_contain_text(limited.manager_name)
    expect(row).to_contain_text("name: Case system")
    expect(row).to_contain_text("secret: changed")
    assert secret not in manager.locator("main").inner_text()

    manager.get_by_label("Type of change").select_option("template")
    manager.get_by_role("button", name="Filter").click()
    expect(manager.locator("#history")).to_contain_text("Template created")
    expect(manager.locator("#history")).not_to_contain_text("API key created")
    axe_check(manager)
    manager.get_by_label("Before (date)").fill("2000-01-01")
    manager.get_by_role("button", name="Filter").click()
    expect(manager.locator("#history-empty")).to_have_text("No changes match.")
    axe_check(manager)


def test_a_platform_admin_changes_the_annual_limits_and_a_send_past_them_is_refused(
    browser: Browser, console: Console, limited: Limited, manager: Page
) -> None:
    admin_pages = _signed_in(browser, console, limited.admin)
    admin = next(admin_pages)  # the generator closes its browser context when advanced again
    try:
        visit(admin, f"/services/{limited.service_id}/usage")
        limits = admin.locator("#sending-limits")
        expect(limits.locator("tr", has_text="Emails")).to_contain_text("20,000,000")
        admin.get_by_role("link", name="Change annual limits").click()
        admin.get_by_label("Emails a year").fill("lots")
        admin.get_by_role("button", name="Save").click()
        expect(admin.locator(".govuk-error-summary")).to_contain_text("Enter a whole number of messages")
        axe_check(admin)
        admin.get_by_label("Emails a year").fill("2")
        admin.get_by_role("button", name="Save").click()
        expect(admin.locator(".govuk-notification-banner--success")).to_contain_text("Annual limits changed")
        expect(limits.locator("tr", has_text="Emails")).to_contain_text("2")
        axe_check(admin)
    finally:
        next(admin_pages, None)

    key = console.api.post(
        f"/admin/services/{limited.service_id}/api-keys", json={"name": "Sender", "key_type": "normal"}
    ).json()["data"]["key"]
    headers = {"Authorization": f"Bearer {api_token(key)}"}
    body = {"email_address": "someone@example.gov.uk", "template_id": limited.template_id}
    codes = [
        console.public.post("/v2/notifications/email", json=body, headers=headers).status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]

    visit(manager, f"/services/{limited.service_id}/usage")
    emails = manager.locator("#sending-limits tr", has_text="Emails")
    expect(emails.locator("td").nth(2)).to_have_text("2")  # sent this year
    expect(emails.locator("td").nth(3)).to_have_text("0")  # remaining
    expect(manager.get_by_role("link", name="Change annual limits")).to_have_count(0)
    visit(manager, f"/services/{limited.service_id}/history?kind=annual_limit")
    reload_until(manager, "Annual limit nearly reached")
    expect(manager.locator("#history")).to_contain_text("Annual limits changed")
    expect(manager.locator("#history")).to_contain_text("email annual limit: 20000000 to 2")
    expect(manager.locator("#history")).to_contain_text("Annual limit nearly reached")


def test_the_public_page_explains_daily_and_annual_limits(browser: Browser, console: Console) -> None:
    context = browser.new_context(base_url=console.url, bypass_csp=True)
    page = context.new_page()
    try:
        visit(page, "/using-notify/limits")
        expect(page.get_by_role("heading", level=2, name="Daily limits")).to_be_visible()
        expect(page.get_by_role("heading", level=2, name="Annual limits")).to_be_visible()
        expect(page.locator("main")).to_contain_text("100,000 text messages")
    finally:
        context.close()
