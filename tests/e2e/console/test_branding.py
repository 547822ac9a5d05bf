"""Branding in a real browser against the running platform: a platform admin adds an email
branding and a letter branding to the pool (a file that is not a logo is refused on the page),
chooses them for a service in its settings, and sees the email preview drawn with the logo; axe-core
checks every page. The preview is kept in docs/images for docs/branding.md."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import IMAGES, Console, axe_check
from tests.e2e.console.test_integration_and_settings import _account, _signed_in
from tests.support.logos import SVG_LOGO, image_logo


@pytest.fixture(scope="module")
def admin_page(browser: Browser, console: Console) -> Iterator[Page]:
    _, account = _account(console, platform_admin=True)
    yield from _signed_in(browser, console, account)


def logo_file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_platform_admin_adds_brandings_and_chooses_them_for_a_service_with_a_preview(
    admin_page: Page, console: Console, tmp_path: Path
) -> None:
    page, stamp = admin_page, secrets.token_hex(3)
    email_name, letter_name = f"Department of Examples {stamp}", f"Examples letters {stamp}"
    page.goto("/platform-admin/branding")
    axe_check(page)

    page.get_by_label("Name", exact=True).first.fill(email_name)
    page.get_by_label("Your organisation’s banner").check()
    page.get_by_label("Colour (optional)").fill("#005ea5")
    page.get_by_label("Text beside the logo (optional)").fill("Department of Examples")
    page.locator("#logo").set_input_files(logo_file(tmp_path, "notes.txt", b"not a logo"))
    page.get_by_role("button", name="Add email branding").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Logo must be a PNG or JPEG image")
    axe_check(page)
    page.locator("#logo").set_input_files(logo_file(tmp_path, "logo.png", image_logo("#d4351c", (160, 54))))
    page.get_by_role("button", name="Add email branding").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"‘{email_name}’ added")
    page.locator("#letter_name").fill(letter_name)
    page.locator("#letter_logo").set_input_files(logo_file(tmp_path, "logo.svg", SVG_LOGO))
    page.get_by_role("button", name="Add letter branding").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"‘{letter_name}’ added")
    logo = page.get_by_alt_text(f"Logo of {email_name}")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 160
    axe_check(page)

    page.goto(f"/services/{console.service_id}/settings/branding")
    expect(page.get_by_text("Your emails are sent with GOV.UK branding")).to_be_visible()
    page.get_by_label(email_name).check()
    page.get_by_label(letter_name).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Branding changed")
    expect(page.get_by_text(f"Your emails are sent with ‘{email_name}’")).to_be_visible()
    axe_check(page)
    preview = page.frame_locator("iframe[title='Preview of an email with your branding']")
    expect(preview.get_by_text("This is how your emails look with this branding.")).to_be_visible()
    banner = preview.locator("td[bgcolor='#005ea5']")
    expect(banner).to_contain_text("Department of Examples")
    assert preview.locator("img").evaluate("img => img.complete && img.naturalWidth") == 160
    assert page.get_by_alt_text(f"Logo of {letter_name}").evaluate("img => img.naturalWidth") > 0
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "console-branding.png"), full_page=True)
