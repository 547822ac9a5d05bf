"""More console journeys in a real browser against the running platform: template folders (nested,
breadcrumbs, moving, deleting an empty one), copying a template, uploading an Excel workbook, the
streamed CSV report of sent messages, and the conversation with someone who texted the service with
a reply. axe-core checks every page on the way. Runs after (or without) test_journeys.py: it signs
in itself when the shared browser is not signed in yet."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import Console, axe_check
from tests.support import env
from tests.unit.admin_console.test_spreadsheets import xlsx


def visit(page: Page, path: str) -> None:
    page.goto(path)
    axe_check(page)


def signed_in(page: Page, console: Console) -> None:
    page.goto("/your-services")
    if "/sign-in" not in page.url:
        return
    asked_at = time.time()
    page.get_by_label("Email address").fill(console.email)
    page.get_by_label("Password").fill(console.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Security code").fill(console.latest_code(asked_at))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose service")


def template(console: Console, name: str, content: str) -> str:
    made = console.api.post(
        f"/admin/services/{console.service_id}/templates",
        json={"name": name, "template_type": "sms", "content": content},
    )
    assert made.status_code == 201, made.text
    template_id: str = made.json()["data"]["id"]
    return template_id


def test_folders_nest_hold_templates_and_are_deleted_once_empty(page: Page, console: Console) -> None:
    signed_in(page, console)
    stamp = time.time_ns()
    template(console, f"Folder test {stamp}", "Hello")
    templates = f"/services/{console.service_id}/templates"
    visit(page, templates)
    page.get_by_role("button", name="New folder").click()
    axe_check(page)
    page.get_by_label("Folder name").fill("Clinics")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("‘Clinics’ was created")
    page.get_by_role("link", name="Clinics").click()
    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("North")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="North").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("North")
    expect(page.get_by_role("navigation", name="Folder path")).to_contain_text("Clinics")
    expect(page.locator("main")).to_contain_text("This folder is empty.")
    axe_check(page)

    visit(page, templates)
    page.get_by_label(f"Select template Folder test {stamp}").check()
    page.get_by_label("Move selected items to").select_option(label="Clinics / North")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("North")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "1 item moved to ‘Clinics / North’"
    )
    axe_check(page)
    page.get_by_role("link", name=f"Folder test {stamp}").click()
    expect(page.get_by_role("navigation", name="Folder path")).to_contain_text("North")

    page.get_by_role("link", name="North").click()
    page.get_by_role("link", name="Delete this folder").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You must empty this folder before you can delete it"
    )
    page.get_by_label(f"Select template Folder test {stamp}").check()
    page.get_by_label("Move selected items to").select_option(label="Templates")
    page.get_by_role("button", name="Move").click()
    page.get_by_role("link", name="Clinics").click()
    page.get_by_role("link", name="North").click()
    page.get_by_role("link", name="Delete this folder").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Are you sure you want to delete the folder ‘North’?"
    )
    axe_check(page)
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinics")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("‘North’ was deleted")


def test_copy_a_template_and_send_it_from_an_excel_workbook(
    page: Page, console: Console, tmp_path: Path
) -> None:
    signed_in(page, console)
    stamp = time.time_ns()
    template(console, f"Clinic letter {stamp}", "Hello ((first name)), see you ((day)).")
    visit(page, f"/services/{console.service_id}/templates")
    page.get_by_role("button", name="New template").click()
    page.get_by_label("Copy an existing template").check()
    page.get_by_role("button", name="Continue").click()
    axe_check(page)
    page.get_by_role("link", name=f"Clinic letter {stamp}").first.click()
    expect(page.get_by_label("Template name")).to_have_value(f"Clinic letter {stamp} (copy)")
    axe_check(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Clinic letter {stamp} (copy)")

    page.get_by_role("button", name="Upload a list of recipients").click()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not really a workbook")
    page.get_by_label("Choose a file").set_input_files(str(broken))
    page.get_by_role("button", name="Upload your file").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Notify cannot read ‘broken.xlsx’")
    axe_check(page)

    workbook = tmp_path / "clinic.xlsx"
    workbook.write_bytes(xlsx([["phone number", "first name", "day"], [7700900111.0, "Ada", "Monday"]]))
    page.get_by_label("Choose a file").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload your file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Preview of Clinic letter {stamp} (copy)")
    expect(page.locator(".console-sms-preview")).to_contain_text("Hello Ada, see you Monday.")
    axe_check(page)
    page.get_by_role("button", name="Send 1 text message").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("clinic.xlsx")
    delivered = page.locator(".govuk-summary-list__row", has_text="Delivered").locator("dd")
    expect(delivered).to_have_text("1", timeout=90_000)  # the page refreshes itself


def test_download_the_report_of_sent_messages(page: Page, console: Console) -> None:
    """After the workbook above was sent: its row says who sent it, from which file."""
    signed_in(page, console)
    visit(page, f"/services/{console.service_id}/notifications")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report (CSV)").click()
    assert download.value.suggested_filename.startswith("sent-messages-")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0] == [
        "Recipient",
        "Reference",
        "Template",
        "Type",
        "Sent by",
        "Sent by email",
        "Job",
        "Status",
        "Time",
        "API key name",
    ]
    mine = next((r for r in rows if "clinic.xlsx" in r), None)
    assert mine is not None, rows[:5]
    # The recipient as the file gave it: the workbook's cell held the number as a number, so
    # without its leading zero (it was sent to 447700900111).
    assert mine[0] == "7700900111"
    assert (mine[3], mine[4], mine[5], mine[7]) == ("sms", "Ada Lovelace", console.email, "Delivered")


def test_a_conversation_with_someone_who_texted_and_a_reply(page: Page, console: Console) -> None:
    signed_in(page, console)
    template(console, f"Reply {time.time_ns()}", "Thanks for your message")
    message = f"Is the clinic open? {time.time_ns()}"
    response = httpx.post(
        f"{console.receipts_url}/notifications/sms/receive/mmg",
        auth=env.inbound_auth("mmg"),
        json={
            "MSISDN": "447700900777",
            "Number": console.inbound_number,
            "Message": message,
            "ID": f"m{time.time_ns()}",
        },
    )
    assert response.status_code == 200, response.text
    visit(page, f"/services/{console.service_id}/inbox")
    expect(page.locator("#inbox-live")).to_contain_text(message, timeout=30_000)
    page.get_by_role("link", name="447700900777 (conversation)").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conversation with 447700900777")
    expect(page.locator("#conversation-live")).to_contain_text(message)
    axe_check(page)
    page.get_by_role("button", name="Send a text message to this phone number").click()
    axe_check(page)
    page.get_by_role("link", name="Reply ").first.click()
    assert "447700900777" not in page.url
    expect(page.get_by_label("Phone number")).to_have_value("447700900777")
    axe_check(page)
