"""Contact lists and large reports in a real browser against the running platform: a list is checked
as it is uploaded, saved, sent with a template (the job says which list it went to) and deleted; a
report of more rows than the console streams is prepared in the background, its page follows its
progress and then offers the download. axe-core checks every page on the way."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import Console, axe_check
from tests.e2e.console.test_templates_and_reports import signed_in, template, visit
from tests.support import env

LARGE = 20_001  # one more than the admin-api's NOTIFY_REPORT_STREAM_MAX_ROWS by default


def test_a_contact_list_is_checked_saved_sent_to_and_deleted(
    page: Page, console: Console, tmp_path: Path
) -> None:
    signed_in(page, console)
    stamp = time.time_ns()
    template(console, f"Clinic reminder {stamp}", "Hello ((first name)), your clinic is tomorrow.")
    visit(page, f"/services/{console.service_id}/jobs")
    page.get_by_role("link", name="Contact lists").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact lists")
    axe_check(page)

    broken = tmp_path / "names.csv"
    broken.write_text("first name\nAda\n")
    page.get_by_label("Choose a file").set_input_files(str(broken))
    page.get_by_role("button", name="Upload a contact list").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Your file needs a column called ‘email address’ or ‘phone number’"
    )
    axe_check(page)

    good = tmp_path / f"patients-{stamp}.csv"
    good.write_text("phone number,first name\n07700900201,Ada\n07700900202,Grace\n")
    page.get_by_label("Choose a file").set_input_files(str(good))
    page.get_by_role("button", name="Upload a contact list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(good.name)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("was saved as a contact list")
    expect(page.locator(".govuk-summary-list")).to_contain_text("2 phone numbers")
    axe_check(page)
    list_url = page.url

    page.get_by_label(f"Clinic reminder {stamp}").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Preview of Clinic reminder {stamp}")
    axe_check(page)
    page.get_by_role("button", name="Send 2 text messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(good.name)
    expect(page.locator("main")).to_contain_text(f"Sent to {good.name}.", timeout=30_000)
    axe_check(page)

    page.goto(list_url)
    expect(page.locator(".govuk-summary-list")).to_contain_text("1 time")
    page.get_by_role("link", name="Delete this contact list").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Are you sure you want to delete ‘{good.name}’?"
    )
    axe_check(page)
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact lists")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"‘{good.name}’ was deleted")
    expect(page.get_by_role("link", name=good.name)).to_have_count(0)
    page.goto(list_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def _busy_service(console: Console) -> str:
    """A service of the console user's own with more sent messages than the console streams."""
    made = console.api.post(
        "/admin/services", json={"name": f"Busy {time.time_ns()}", "email_from": f"busy.{time.time_ns()}"}
    ).json()["data"]
    me = console.api.post(
        "/admin/console/users/verify-password",
        json={"email_address": console.email, "password": console.password},
    )
    user_id = me.json()["data"]["id"]
    console.api.put(
        f"/admin/console/services/{made['id']}/users/{user_id}", json={"permissions": ["view_activity"]}
    )
    start = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    rows = [
        {
            "id": str(uuid.uuid4()),
            "service_id": made["id"],
            "notification_type": "sms",
            "key_type": "normal",
            "recipient": "447700900123",
            "status": "delivered",
            "created_at": start + timedelta(seconds=i),
        }
        for i in range(LARGE)
    ]
    engine = sqlalchemy.create_engine(env.DATABASE_URL)
    try:
        with engine.begin() as conn:
            conn.execute(
                sqlalchemy.text(
                    "INSERT INTO notifications (id, service_id, notification_type, key_type, recipient, status, "
                    "created_at) VALUES (:id, :service_id, :notification_type, :key_type, :recipient, :status, "
                    ":created_at)"
                ),
                rows,
            )
    finally:
        engine.dispose()
    service_id: str = made["id"]
    return service_id


def test_a_large_report_is_prepared_in_the_background_and_then_downloaded(
    page: Page, console: Console
) -> None:
    signed_in(page, console)
    service_id = _busy_service(console)
    visit(page, f"/services/{service_id}/notifications")
    page.get_by_role("link", name="Download this report (CSV)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download a report")
    expect(page.locator("main")).to_contain_text(f"This report has {LARGE:,} rows")
    axe_check(page)
    page.get_by_role("button", name="Prepare the report").click()
    assert "/download-report/" in page.url
    axe_check(page)  # preparing, or already ready
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report is ready", timeout=90_000)
    expect(page.locator("main")).to_contain_text(f"It has {LARGE:,} rows")
    axe_check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report (CSV)").click()
    assert download.value.suggested_filename.startswith("sent-messages-")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == LARGE + 1
    assert rows[0][0] == "Recipient"
    newest = datetime(2026, 7, 1, 9, 0, tzinfo=UTC) + timedelta(seconds=LARGE - 1)
    assert rows[1][8] == newest.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M:%S")
