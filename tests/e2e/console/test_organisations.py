"""Organisations in a real browser against the running platform: a platform admin creates an
organisation and adds an email domain; a person whose address is at that domain creates a service
at /add-service and finds it placed in the organisation, in trial mode; going live asks them for the
organisation's agreement first, which they accept; a platform admin approves the request from the
organisation's page; the service sends a text message, and the organisation's usage shows it
against the free allowance of the organisation's type. axe-core checks every page on the way (a
page shown again with only a success banner added is not checked twice).

The test has accounts (signing in with an authenticator app) and browser contexts of its own, so
it neither needs nor disturbs the other journeys' signed-in browser."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pyotp
from playwright.sync_api import Browser, Locator, Page, expect

from notify_admin_console.api import api_token
from tests.e2e.console.conftest import Console, axe_check


@contextmanager
def signed_in(
    browser: Browser, console: Console, email: str, *, platform_admin: bool = False
) -> Iterator[Page]:
    """A browser signed in as a new account at ``email`` (second factor: an authenticator app)."""
    password = f"long password {secrets.token_hex(4)}"
    user = console.api.post(
        "/admin/console/users",
        json={
            "name": f"Kim {secrets.token_hex(2)}",
            "email_address": email,
            "password": password,
            "mobile_number": "07700900321",
            "platform_admin": platform_admin,
        },
    ).json()["data"]
    secret = console.api.post(f"/admin/console/users/{user['id']}/totp").json()["data"]["secret"]
    totp = pyotp.TOTP(secret)
    console.api.post(f"/admin/console/users/{user['id']}/totp/confirm", json={"code": totp.now()})
    context = browser.new_context(
        base_url=console.url, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose service")
    try:
        yield page
    finally:
        context.close()


def words(locator: Locator) -> str:
    """The rendered text with each run of white space as one space, as ``expect`` compares it: a
    big number is a block of its own, so the rendered text breaks the line after it."""
    return " ".join(locator.inner_text().split())


def visit(page: Page, path: str) -> None:
    page.goto(path)
    axe_check(page)


def test_an_organisation_from_its_creation_to_a_live_service_and_its_usage(
    browser: Browser, console: Console
) -> None:
    stamp = secrets.token_hex(4)
    organisation_name, domain = f"Borough of Tests {stamp}", f"tests-{stamp}.gov.uk"
    service_name = f"Bin collections {stamp}"

    with signed_in(browser, console, f"admin.{stamp}@example.gov.uk", platform_admin=True) as admin:
        admin.get_by_role("link", name="Organisations", exact=True).click()
        axe_check(admin)
        admin.get_by_role("button", name="Add an organisation").click()
        admin.get_by_role("button", name="Add organisation").click()
        expect(admin.locator(".govuk-error-summary")).to_contain_text("Enter the name of the organisation")
        axe_check(admin)
        admin.get_by_label("Name of the organisation").fill(organisation_name)
        admin.get_by_label("Local government").check()
        admin.get_by_role("button", name="Add organisation").click()
        expect(admin.locator(".govuk-notification-banner--success")).to_contain_text(
            f"‘{organisation_name}’ added"
        )
        organisation_url = admin.url
        organisation_id = organisation_url.rstrip("/").rsplit("/", 1)[1]

        admin.get_by_role("link", name="Settings").click()
        admin.get_by_label("Add a domain").fill("not a domain")
        admin.get_by_role("button", name="Add domain").click()
        expect(admin.locator(".govuk-error-summary")).to_contain_text("Enter a domain like example.gov.uk")
        axe_check(admin)
        admin.get_by_label("Add a domain").fill(f"@{domain.upper()}")
        admin.get_by_role("button", name="Add domain").click()
        expect(admin.locator("#organisation-domains")).to_contain_text(domain)

        with signed_in(browser, console, f"kim@{domain}") as kim:
            kim.get_by_role("button", name="Add a new service").click()
            axe_check(kim)
            expect(kim.get_by_label(organisation_name)).to_be_checked()
            kim.get_by_label("Enter a service name").fill(service_name)
            kim.get_by_role("button", name="Add service").click()
            expect(kim.locator(".govuk-notification-banner--success")).to_contain_text(
                f"‘{service_name}’ created in trial mode"
            )
            expect(kim.locator(".govuk-service-navigation")).to_contain_text("Trial mode")
            axe_check(kim)
            service_id = re.search(r"/services/([0-9a-f-]{36})", kim.url).group(1)  # type: ignore[union-attr]
            placed = console.api.get(f"/admin/services/{service_id}").json()["data"]
            assert placed["organisation_id"] == organisation_id

            # The rest of the checklist, as the team would do it: a template and a second manager.
            console.api.post(
                f"/admin/services/{service_id}/templates",
                json={
                    "name": "Collection day",
                    "template_type": "sms",
                    "content": "Your bins go out tomorrow",
                },
            )
            second = console.api.post(
                "/admin/console/users",
                json={
                    "name": "Lee",
                    "email_address": f"lee@{domain}",
                    "password": "a long password",
                    "mobile_number": "07700900322",
                },
            ).json()["data"]
            console.api.put(
                f"/admin/console/services/{service_id}/users/{second['id']}",
                json={"permissions": ["manage_service"]},
            )

            kim.get_by_role("link", name="Make your service live").click()
            expect(kim.locator("#go-live-tasks")).to_contain_text(
                "Accept our data processing and financial agreement"
            )
            axe_check(kim)
            kim.get_by_role("button", name="Send a request to go live").click()
            expect(kim.locator(".govuk-error-summary")).to_contain_text(
                "Some of the tasks on this page are incomplete"
            )
            kim.get_by_role("link", name="Accept our data processing and financial agreement").click()
            axe_check(kim)
            kim.get_by_label("Version of the agreement").fill("3.6")
            kim.get_by_label("Your full name").fill("Kim Example")
            kim.get_by_label("Your role").fill("Head of Waste Services")
            kim.get_by_role("button", name="Accept this agreement").click()
            expect(kim.locator(".govuk-error-summary")).to_contain_text(
                "Confirm that you have the authority to accept the agreement"
            )
            axe_check(kim)
            kim.get_by_label(re.compile("I confirm that I have the legal authority")).check()
            kim.get_by_role("button", name="Accept this agreement").click()
            expect(kim.locator(".govuk-notification-banner--success")).to_contain_text(
                "You have accepted the agreement"
            )
            expect(kim.locator("#go-live-tasks")).not_to_contain_text("Incomplete")
            kim.get_by_role("button", name="Send a request to go live").click()
            expect(kim.locator("#go-live-status")).to_contain_text(
                "Your request to go live is being reviewed"
            )
            axe_check(kim)

        visit(admin, f"/organisations/{organisation_id}")
        expect(admin.locator("#organisation-services")).to_contain_text(service_name)
        admin.get_by_role("button", name=f"Approve {service_name}").click()
        expect(admin.locator(".govuk-notification-banner--success")).to_contain_text(
            f"‘{service_name}’ is now live"
        )
        assert console.api.get(f"/admin/services/{service_id}").json()["data"]["live"] is True

        # A live key sends a text message through the public API, as the service's own system would.
        key = console.api.post(
            f"/admin/services/{service_id}/api-keys", json={"name": "Bins system", "key_type": "normal"}
        ).json()["data"]["key"]
        template_id = console.api.get(f"/admin/console/services/{service_id}/templates").json()["data"][0][
            "id"
        ]
        sent = console.public.post(
            "/v2/notifications/sms",
            json={"phone_number": "07700900777", "template_id": template_id},
            headers={"Authorization": f"Bearer {api_token(key)}"},
        )
        assert sent.status_code == 201, sent.text

        admin.goto(f"/organisations/{organisation_id}/usage")
        totals = admin.locator("#organisation-usage-totals")
        expect(totals).to_contain_text("10,000 free a service this year")
        deadline = time.monotonic() + 60
        while "1 text message fragments sent" not in words(totals) and time.monotonic() < deadline:
            time.sleep(1)  # the projection counts the message once the provider has it
            admin.reload()
        expect(totals).to_contain_text("1 text message fragments sent")
        row = admin.locator("#organisation-usage-services tbody tr", has_text=service_name)
        expect(row).to_contain_text("£0.00")  # within the service's free allowance
        axe_check(admin)
