"""A forgotten password in a real browser against the running platform: ask for a link, read the
email the platform sent (as Notify's functional tests read theirs: from the platform's own record),
choose a new password, then sign in with it and the second factor. axe-core checks every page."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import Console, axe_check

MOBILE = "07700900789"


def emailed_link(console: Console, email: str, after: float, timeout: float = 30.0) -> str:
    """The reset link in the latest email the platform's own service sent to ``email``."""
    platform = console.api.post("/admin/console/platform").json()["data"]
    service = platform["service_id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = console.api.post(
            f"/admin/console/services/{service}/notifications/search", json={"to": email}
        ).json()["data"]["notifications"]
        fresh = [n for n in found if n["template_id"] == platform["templates"]["password_reset"]]
        if fresh:
            body = console.api.get(f"/admin/console/services/{service}/notifications/{fresh[0]['id']}")
            link = re.search(r"https?://\S+/new-password/\S+", str(body.json()["data"]["body"]))
            assert link is not None, body.text
            return link.group(0)
        time.sleep(0.3)
    raise TimeoutError("no reset email was sent")


@pytest.fixture
def fresh_page(browser: Browser, console: Console) -> Iterator[Page]:
    """A browser of its own: the journeys' shared, signed-in page is left alone."""
    context = browser.new_context(
        base_url=console.url, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def test_reset_a_forgotten_password_with_the_emailed_link_then_sign_in_with_the_second_factor(
    fresh_page: Page, console: Console
) -> None:
    page = fresh_page
    email = f"forgetful.{secrets.token_hex(4)}@example.gov.uk"
    made = console.api.post(
        "/admin/console/users",
        json={
            "name": "Forgetful Person",
            "email_address": email,
            "password": "forgotten password",
            "mobile_number": MOBILE,
        },
    )
    assert made.status_code == 201, made.text
    console.api.put(
        f"/admin/console/services/{console.service_id}/users/{made.json()['data']['id']}",
        json={"permissions": ["view_activity"]},
    )

    page.goto("/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten your password?")
    axe_check(page)
    asked_at = time.time()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe_check(page)

    page.goto(emailed_link(console, email, asked_at))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a new password")
    axe_check(page)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Password must be at least 8 characters")
    axe_check(page)
    page.get_by_label("Password").fill("a remembered password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your password has been changed"
    )
    axe_check(page)

    signed_at = time.time()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("a remembered password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your phone")
    page.get_by_label("Security code").fill(replace(console, mobile=MOBILE).latest_code(signed_at))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose service")
    axe_check(page)
