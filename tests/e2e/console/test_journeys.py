"""The admin console's journeys in a real browser against the running platform: sign in with the
second factor; create a template; upload a CSV with errors, fix it, send it and watch the job
reach delivered; send a one-off message; create and revoke an API key; read an inbound text.
axe-core checks every page on the way. The tests run in order and share one signed-in browser."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import Console, axe_check, screenshot
from tests.support import env


def visit(page: Page, path: str) -> None:
    page.goto(path)
    axe_check(page)


def test_sign_in_needs_the_password_and_then_the_code_texted_by_the_platform(
    page: Page, console: Console
) -> None:
    page.context.clear_cookies()  # the browser is shared by the package's tests: start signed out
    visit(page, "/your-services")
    expect(page).to_have_url(f"{console.url}/sign-in?next=/your-services")

    page.get_by_label("Email address").fill(console.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "email address or password you entered is incorrect"
    )
    expect(page).to_have_title("Error: Sign in – Notify")
    axe_check(page)

    asked_at = time.time()
    page.get_by_label("Email address").fill(console.email)
    page.get_by_label("Password").fill(console.password)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your phone")
    axe_check(page)

    page.get_by_label("Security code").fill("00000" if console.latest_code(asked_at) != "00000" else "11111")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Code not found or expired")
    axe_check(page)

    page.get_by_label("Security code").fill(console.latest_code(asked_at))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose service")
    axe_check(page)
    page.get_by_role("link", name=f"Console journeys {console.service_id[:0]}", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    axe_check(page)


def test_create_a_template_with_a_live_preview(page: Page, console: Console) -> None:
    visit(page, f"/services/{console.service_id}/templates")
    page.get_by_role("button", name="New template").click()
    axe_check(page)
    page.get_by_label("Text message").check()
    page.get_by_role("button", name="Continue").click()
    axe_check(page)

    page.get_by_label("Template name").fill("Appointment reminder")
    page.get_by_label("Message").fill("Hello ((first name)), your appointment is on ((date)).")
    expect(page.locator("#template-preview")).to_contain_text("Hello ((first name)), your appointment")
    expect(page.locator("#template-preview")).to_contain_text("Will be charged as 1 text message")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Appointment reminder")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "‘Appointment reminder’ was created"
    )
    axe_check(page)
    screenshot(page, "template")


def _template_page(page: Page, console: Console) -> None:
    visit(page, f"/services/{console.service_id}/templates")
    page.get_by_role("link", name="Appointment reminder").click()


def test_upload_a_csv_with_errors_fix_it_send_it_and_watch_it_deliver(
    page: Page, console: Console, tmp_path: Path
) -> None:
    _template_page(page, console)
    page.get_by_role("button", name="Upload a list of recipients").click()
    axe_check(page)

    broken = tmp_path / "reminders.csv"
    broken.write_text(
        "phone number,first name,date\n07700900101,Ada,Monday\nnot a number,Grace,Tuesday\n07700900103,,Friday\n"
    )
    page.get_by_label("Choose a file").set_input_files(str(broken))
    page.get_by_role("button", name="Upload your file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("There is a problem with reminders.csv")
    expect(page.locator("#row-errors")).to_contain_text(
        "3"
    )  # the row of the bad number, as a spreadsheet counts
    expect(page.locator("#row-errors")).to_contain_text("4")
    axe_check(page)
    screenshot(page, "csv-check")

    fixed = tmp_path / "reminders-fixed.csv"
    fixed.write_text(
        "phone number,first name,date\n07700900101,Ada,Monday\n07700900102,Grace,Tuesday\n07700900103,Alan,Friday\n"
    )
    page.get_by_label("Choose a file").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload your file again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of Appointment reminder")
    expect(page.locator(".console-sms-preview")).to_contain_text("Hello Ada, your appointment is on Monday.")
    axe_check(page)

    page.get_by_role("button", name="Send 3 text messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("reminders-fixed.csv")
    axe_check(page)
    delivered = page.locator(".govuk-summary-list__row", has_text="Delivered").locator("dd")
    expect(delivered).to_have_text("3", timeout=90_000)  # the page refreshes itself
    expect(page.locator(".govuk-summary-list__row", has_text="Status").locator("dd")).to_have_text("Finished")
    axe_check(page)
    screenshot(page, "job")

    visit(page, f"/services/{console.service_id}")
    expect(page.locator("#dashboard-live")).to_contain_text("Appointment reminder")
    screenshot(page, "dashboard")


def test_send_a_one_off_text_message(page: Page, console: Console) -> None:
    _template_page(page, console)
    page.get_by_role("button", name="Send one message").click()
    axe_check(page)
    page.get_by_role("button", name="Send 1 text message").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a phone number")
    axe_check(page)
    page.get_by_label("Phone number").fill("07700900789")
    page.get_by_label("first name").fill("Marie")
    page.get_by_label("date").fill("Thursday")
    page.get_by_role("button", name="Send 1 text message").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Text message to 07700900789")  # as sent
    expect(page.locator(".console-sms-preview")).to_contain_text(
        "Hello Marie, your appointment is on Thursday."
    )
    axe_check(page)

    visit(page, f"/services/{console.service_id}/notifications")
    page.get_by_label("Search by phone number, email address or reference").fill("07700900789")
    page.get_by_role("button", name="Search").click()
    assert "07700900789" not in page.url
    expect(page.locator("table")).to_contain_text("07700900789")
    axe_check(page)


def test_create_an_api_key_shown_once_and_revoke_it(page: Page, console: Console) -> None:
    visit(page, f"/services/{console.service_id}/api-keys")
    page.get_by_role("button", name="Create an API key").click()
    axe_check(page)
    page.get_by_label("Name for this key").fill("Integration key")
    page.get_by_label("Test").check()
    page.get_by_role("button", name="Continue").click()
    key = page.locator("#api-key").inner_text()
    assert key.startswith(f"Integration_key-{console.service_id}-")
    axe_check(page)
    # The key works against the public API.
    from notify_admin_console.api import api_token

    answer = httpx.get(
        f"{console.public.base_url}/v2/templates", headers={"Authorization": f"Bearer {api_token(key)}"}
    )
    assert answer.status_code == 200

    visit(page, f"/services/{console.service_id}/api-keys")
    assert key not in page.content()
    page.get_by_role("link", name="Revoke Integration key").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Are you sure you want to revoke ‘Integration key’?"
    )
    axe_check(page)
    page.get_by_role("button", name="Yes, revoke this API key").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "‘Integration key’ was revoked"
    )
    expect(page.locator("table")).to_contain_text("Revoked")
    axe_check(page)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # configuration is cached for a few seconds per process
        answer = httpx.get(
            f"{console.public.base_url}/v2/templates", headers={"Authorization": f"Bearer {api_token(key)}"}
        )
        if answer.status_code == 403:
            break
        time.sleep(0.5)
    assert answer.status_code == 403


def test_read_an_inbound_text(page: Page, console: Console) -> None:
    message = f"Can I move my appointment? {time.time_ns()}"
    response = httpx.post(
        f"{console.receipts_url}/notifications/sms/receive/mmg",
        auth=env.inbound_auth("mmg"),
        json={
            "MSISDN": "447700900555",
            "Number": console.inbound_number,
            "Message": message,
            "ID": f"m{time.time_ns()}",
        },
    )
    assert response.status_code == 200, response.text
    visit(page, f"/services/{console.service_id}/inbox")
    expect(page.locator("#inbox-live")).to_contain_text(message, timeout=30_000)
    expect(page.locator("#inbox-live")).to_contain_text("447700900555")
    axe_check(page)
