"""Security keys in a real browser: Chromium's virtual authenticator (DevTools protocol, WebAuthn
domain) registers a key on *Your account*, the key is renamed, the person signs out and signs in
again with the key alone, and the last key is kept until the account signs in with codes again,
when it is deleted. The same platform admin then walks the platform-admin pages. axe-core checks
every page on the way.

The browser reaches the console as http://localhost (browsers offer security keys only to a
domain), the origin the console is told its keys belong to (tests/e2e/console/conftest.py)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from notify_admin_console.api import api_token
from tests.e2e.console.conftest import Console, axe_check


@pytest.fixture(scope="module")
def person(console: Console) -> dict[str, Any]:
    """A platform admin of this file's own, signing in with an authenticator app to begin with."""
    email, password = f"katherine.{secrets.token_hex(4)}@example.gov.uk", f"orbital {secrets.token_hex(6)}"
    made = console.api.post(
        "/admin/console/users",
        json={
            "name": "Katherine Johnson",
            "email_address": email,
            "password": password,
            "mobile_number": "07700900789",
            "platform_admin": True,
        },
    )
    assert made.status_code == 201, made.text
    user_id = made.json()["data"]["id"]
    secret = console.api.post(f"/admin/console/users/{user_id}/totp").json()["data"]["secret"]
    confirmed = console.api.post(
        f"/admin/console/users/{user_id}/totp/confirm", json={"code": pyotp.TOTP(secret).now()}
    )
    assert confirmed.status_code == 200, confirmed.text
    return {"id": user_id, "email": email, "password": password, "totp": pyotp.TOTP(secret)}


@pytest.fixture(scope="module")
def keyed(browser: Browser, console: Console) -> Iterator[tuple[Page, str]]:
    """A page on http://localhost with a virtual authenticator (CTAP2, built in, resident keys,
    user verification, touched at once), and the authenticator's id."""
    port = console.url.rsplit(":", 1)[1]
    context: BrowserContext = browser.new_context(
        base_url=f"http://localhost:{port}", bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield page, added["authenticatorId"]
    context.close()


def sign_in_with_password(page: Page, person: dict[str, Any]) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Continue").click()


def test_a_security_key_is_registered_renamed_used_to_sign_in_and_deleted(
    console: Console, person: dict[str, Any], keyed: tuple[Page, str]
) -> None:
    page, _ = keyed
    sign_in_with_password(page, person)
    page.get_by_label("Code").fill(person["totp"].now())
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/your-services$"))

    page.goto("/your-account")
    page.get_by_role("link", name="Manage security keys").click()
    expect(page.get_by_role("heading", name="Security keys", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Register a key").click()
    expect(page.get_by_text("Registration complete.")).to_be_visible()
    expect(page.get_by_role("cell", name="Unnamed key", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("^Never used"))).to_be_visible()
    axe_check(page)
    assert (
        console.api.get(f"/admin/console/users/{person['id']}").json()["data"]["auth_type"] == "webauthn_auth"
    )

    page.get_by_role("link", name="Manage Unnamed key").click()
    axe_check(page)
    page.get_by_label("Manage ‘Unnamed key’").fill("Virtual key")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="Virtual key", exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, person)
    expect(page.get_by_role("heading", name="Get your security key")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_count(0)  # no code stands in for the key
    axe_check(page)
    page.get_by_role("button", name="Check security key").click()
    expect(page).to_have_url(re.compile(r"/your-services$"))
    page.goto("/your-account/security-keys")
    expect(page.get_by_role("cell", name="Virtual key", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("^Never used"))).to_have_count(0)

    page.get_by_role("link", name="Manage Virtual key").click()
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_text("Are you sure you want to delete this security key?")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_text("You cannot delete your last security key.")).to_be_visible()

    # A platform admin puts the account back on codes (how a lost key is recovered); then it goes.
    console.api.patch(f"/admin/console/users/{person['id']}", json={"auth_type": "sms_auth"})
    page.goto("/your-account/security-keys")
    page.get_by_role("link", name="Manage Virtual key").click()
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_text("Security key deleted")).to_be_visible()
    expect(page.get_by_role("cell", name="Virtual key", exact=True)).to_have_count(0)


def test_a_platform_admin_finds_a_notification_and_walks_the_platform_admin_pages(
    console: Console, person: dict[str, Any], keyed: tuple[Page, str]
) -> None:
    page, _ = keyed
    # Signs in afresh with an authenticator app (the test above left the account on text codes).
    secret = console.api.post(f"/admin/console/users/{person['id']}/totp").json()["data"]["secret"]
    app = pyotp.TOTP(secret)
    console.api.post(f"/admin/console/users/{person['id']}/totp/confirm", json={"code": app.now()})
    page.context.clear_cookies()
    sign_in_with_password(page, person)
    page.get_by_label("Code").fill(app.now())
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/your-services$"))

    template = console.api.post(
        f"/admin/services/{console.service_id}/templates",
        json={"name": f"Platform admin {secrets.token_hex(3)}", "template_type": "sms", "content": "Hello"},
    ).json()["data"]["id"]
    key = console.api.post(
        f"/admin/services/{console.service_id}/api-keys",
        json={"name": "platform admin", "key_type": "normal"},
    ).json()["data"]["key"]
    reference = f"platform-admin-{secrets.token_hex(4)}"
    sent = console.public.post(
        "/v2/notifications/sms",
        json={"phone_number": console.mobile, "template_id": template, "reference": reference},
        headers={"Authorization": f"Bearer {api_token(key)}"},
    )
    assert sent.status_code == 201, sent.text

    page.get_by_role("link", name="Platform admin").click()
    expect(page.get_by_role("heading", name="Platform admin", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Find a notification").click()
    axe_check(page)
    results = page.locator("main table")
    deadline = time.monotonic() + 30
    while not results.count() and time.monotonic() < deadline:  # the projection catches up
        page.get_by_label("Notification ID, reference, phone number or email address").fill(reference)
        page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 notification found")).to_be_visible()
    assert reference not in page.url
    axe_check(page)
    page.locator("main table").get_by_role("link").first.click()
    expect(page).to_have_url(
        re.compile(rf"/services/{console.service_id}/notifications/{sent.json()['id']}$")
    )

    for name, heading in (
        ("Live services", "Live services"),
        ("Platform usage", "Platform usage"),
        ("Complaints", "Complaints"),
        ("SMS providers", "SMS providers"),
        ("Email and letter branding", None),
    ):
        page.goto("/platform-admin")
        page.get_by_role("link", name=name, exact=True).click()
        if heading:
            expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        axe_check(page)
    page.goto("/platform-admin/live-services")
    expect(page.get_by_role("rowheader", name=re.compile("^Console journeys"))).to_be_visible()
