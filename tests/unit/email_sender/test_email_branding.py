"""The HTML email per branding type: the GOV.UK banner for govuk and both, the organisation's
logo (with its colour bar) for org and both, its banner for org_banner, nothing for none; laid
out with tables and inline styles, with alternative text as GOV.UK Notify gives it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from notify_common.events import EmailRequested
from notify_common.templates.email_branding import EmailBranding, banner_text_colour
from notify_email_sender.message import OutgoingEmail, html_body, mime_message

LOGO = "https://logos.example/email/logo.png"
BODY = "Dear Ada,\n\nYour visa is ready."


class Tags(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def branding(brand_type: str, **values: str | None) -> EmailBranding:
    return EmailBranding(brand_type=brand_type, **{"name": "Department of Examples", **values})


def test_the_default_is_govuk_branding_with_the_govuk_banner_and_no_logo() -> None:
    page = html_body(BODY)

    assert 'aria-label="GOV.UK"' in page
    assert 'bgcolor="#1d70b8"' in page
    assert Tags(page).all("img") == []
    assert "<p>Dear Ada,</p>" in page


def test_none_has_no_banner_and_no_logo() -> None:
    page = html_body(BODY, branding("none", name=None))

    assert "GOV.UK" not in page
    assert Tags(page).all("img") == []
    assert "Your visa is ready." in page


@pytest.mark.parametrize(("brand_type", "govuk_banner"), [("org", False), ("both", True)])
def test_org_and_both_show_the_logo_with_a_bar_of_the_colour_and_both_the_govuk_banner(
    brand_type: str, govuk_banner: bool
) -> None:
    page = html_body(BODY, branding(brand_type, colour="#d4351c", logo_url=LOGO))

    (img,) = Tags(page).all("img")
    assert img["src"] == LOGO
    assert img["alt"] == "Department of Examples"  # no text beside it: the logo says who it is
    assert img["height"] == "54"
    assert "border-left: solid 2px #d4351c" in page
    assert ('aria-label="GOV.UK"' in page) is govuk_banner


def test_text_beside_a_logo_is_read_instead_of_the_logo_which_is_hidden_from_screen_readers() -> None:
    page = html_body(BODY, branding("org", text="Department of Examples", logo_url=LOGO))

    (img,) = Tags(page).all("img")
    assert img["alt"] == ""
    assert img["aria-hidden"] == "true"
    assert img["height"] == "27"
    assert ">Department of Examples</td>" in page


def test_org_banner_is_a_band_of_the_colour_with_the_logo_and_text_and_no_govuk_banner() -> None:
    page = html_body(BODY, branding("org_banner", colour="#005ea5", text="Examples", logo_url=LOGO))

    assert 'bgcolor="#005ea5"' in page
    assert "GOV.UK" not in page
    assert Tags(page).all("img")[0]["src"] == LOGO
    assert "color: #ffffff" in page  # white text on a dark banner


def test_an_org_banner_without_a_colour_is_near_black_and_a_light_one_gets_dark_text() -> None:
    assert 'bgcolor="#0b0c0c"' in html_body(BODY, branding("org_banner", text="Examples"))
    assert banner_text_colour("#ffdd00") == "#0b0c0c"
    assert banner_text_colour("#0b0c0c") == "#ffffff"


def test_branding_text_and_name_are_escaped() -> None:
    page = html_body(BODY, branding("org_banner", text="<b>Bad</b> & co", name='"x" <y>', logo_url=LOGO))

    assert "<b>Bad</b>" not in page
    assert "&lt;b&gt;Bad&lt;/b&gt; &amp; co" in page


def test_the_layout_is_tables_with_inline_styles_for_email_clients() -> None:
    page = html_body(BODY, branding("both", colour="#d4351c", text="Examples", logo_url=LOGO))
    tags = Tags(page)

    assert page.startswith('<!DOCTYPE html><html lang="en">')
    assert "<div" not in page
    assert all(t["role"] == "presentation" for t in tags.all("table"))
    assert "<style" not in page  # many clients drop style elements; every style is inline


def test_the_branding_comes_from_the_request_with_the_logo_linked_under_the_base_url() -> None:
    request = EmailRequested(
        event_id="e",
        notification_id="n",
        service_id="s",
        occurred_at=datetime.now(UTC),
        template_id="t",
        template_version=1,
        key_type="normal",
        email_address="a@example.com",
        subject="Hi",
        body=BODY,
        from_name="Examples",
        created_at=datetime.now(UTC),
        branding_type="org",
        branding_name="Examples",
        branding_colour="#d4351c",
        branding_logo="email/abc.png",
    )
    older = dataclasses.replace(request, branding_type=None)

    assert EmailBranding.of(request, "https://logos.example/") == EmailBranding(
        brand_type="org", name="Examples", colour="#d4351c", logo_url="https://logos.example/email/abc.png"
    )
    assert EmailBranding.of(older, "https://logos.example").brand_type == "govuk"


def test_the_mime_messages_html_part_carries_the_branding() -> None:
    email = OutgoingEmail(
        notification_id="n",
        to="a@example.com",
        from_name="Examples",
        from_address="examples@notify.example",
        subject="Hi",
        text_body=BODY,
        branding=branding("org", logo_url=LOGO),
    )

    html_part = mime_message(email).get_body(("html",))

    assert html_part is not None
    assert LOGO in html_part.get_content()
