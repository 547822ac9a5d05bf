"""The hosted unsubscribe link end to end in a real browser: a template made in the console with
"Add an unsubscribe link", an email sent from it through the public API and handed to SES (moto)
with the link in its body and both List-Unsubscribe headers, the link (on document-download, the
platform's public pages) followed in Chromium (the page and its button, no JavaScript needed), the
request recorded once and counted on the dashboard, and the report downloaded. A forged token answers 404. axe-core checks every page on the way."""

from __future__ import annotations

import csv
import email
import io
import re
import time
from email.message import Message

import httpx
from notifications_python_client.notifications import NotificationsAPIClient
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Platform
from tests.e2e.console.conftest import Console, axe_check
from tests.e2e.console.test_templates_and_reports import signed_in
from tests.support.moto import moto_data

LINK = re.compile(r"Unsubscribe from these emails: (\S+)")


def handed_to_ses(notification_id: str, timeout: float = 60.0) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = moto_data()
        for raw in data["ses"].get("RawMessage", []):
            message = email.message_from_string(raw["raw_data"])
            if notification_id in (message["Message-ID"] or ""):
                return message
        time.sleep(0.5)
    raise TimeoutError("the email did not reach SES")


def plain_text(message: Message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")


def test_a_recipient_unsubscribes_from_the_link_and_the_service_sees_and_downloads_it(
    page: Page, console: Console, platform: Platform
) -> None:
    signed_in(page, console)
    stamp = time.time_ns()
    page.goto(f"/services/{console.service_id}/templates/add?type=email")
    page.get_by_label("Template name").fill(f"Newsletter {stamp}")
    page.get_by_label("Subject", exact=True).fill("Our news")
    page.get_by_label("Message").fill("Dear ((name)),\n\nHere is our news.")
    page.get_by_label("Add an unsubscribe link").check()
    axe_check(page)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("was created")
    template_id = page.url.rstrip("/").rsplit("/", 1)[-1]

    key = console.api.post(
        f"/admin/services/{console.service_id}/api-keys",
        json={"name": f"unsub {stamp}", "key_type": "normal"},
    ).json()["data"]["key"]
    api_url = str(console.public.base_url).rstrip("/")
    client = NotificationsAPIClient(key, base_url=api_url)
    sent = client.send_email_notification(
        email_address="Grace.Hopper@example.com", template_id=template_id, personalisation={"name": "Grace"}
    )
    message = handed_to_ses(sent["id"])
    found = LINK.search(plain_text(message))
    assert found is not None, "no unsubscribe link in the email"
    link = found.group(1)
    assert link.startswith(f"{platform.document_download_url}/unsubscribe/{sent['id']}/")
    assert message["List-Unsubscribe"] == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    assert httpx.post(forged, timeout=30).status_code == 404

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to unsubscribe?")
    axe_check(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We have your request to unsubscribe")
    axe_check(page)
    assert httpx.post(link, timeout=30).json() == {"result": "success", "message": "Unsubscribe successful"}

    dashboard = f"/services/{console.service_id}"
    page.goto(dashboard)
    count = page.locator("#total-unsubscribe-requests")
    deadline = time.monotonic() + 60
    while not count.count() and time.monotonic() < deadline:
        time.sleep(1)
        page.goto(dashboard)
    expect(count).to_have_text("1 email unsubscribe request")
    axe_check(page)
    count.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email unsubscribe requests")
    axe_check(page)
    page.get_by_role("button", name="Create report").click()
    expect(page.locator("#report-count")).to_have_text("1 unsubscribe request")
    axe_check(page)
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download this report (CSV)").click()
    rows = list(csv.reader(io.StringIO(downloading.value.path().read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["Email address", "Template name"]
    assert [r[:2] for r in rows[1:]] == [["Grace.Hopper@example.com", f"Newsletter {stamp}"]]
    page.get_by_label("Mark as completed").check()
    page.get_by_role("button", name="Update").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Report marked as completed")
    expect(page.get_by_role("cell", name="Completed")).to_be_visible()
    axe_check(page)
