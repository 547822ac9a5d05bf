"""Branded emails as recipients see them: each branding type's email goes through the email-sender
to SES (moto), and the HTML part moto received is opened in Chromium (Debian's, driven by
Playwright) with its logo loaded from the branding bucket in S3 (moto). The test checks what is
drawn, by the pixels of a screenshot, and keeps each screenshot in docs/images for docs/branding.md."""

from __future__ import annotations

import dataclasses
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Browser, FloatRect, Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.branding_logos import BrandingLogos, check_logo, new_logo_key
from notify_common import topics
from notify_common.events import NotificationSentToProvider
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.send_claims import ClaimStore
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_email_sender.addresses import FromAddresses
from notify_email_sender.providers.ses import SesProvider
from notify_email_sender.sending import EmailSender
from notify_email_sender.tables import email_send_claims
from tests.integration.email_sender.test_email_sender import raw_messages_sent_by_moto, ses_client
from tests.support import env
from tests.support.logos import image_logo
from tests.support.senders import email_request, read_topic, received

CHROMIUM = "/usr/bin/chromium"
IMAGES = env.ROOT / "docs" / "images"
BUCKET = f"branding-{env.RUN_ID}"
LOGO_RED = (212, 53, 28)  # #d4351c
BANNER_BLUE = (0, 94, 165)  # #005ea5
GOVUK_BLUE = (29, 112, 184)  # #1d70b8
BODY = "Dear Ada,\n\nYour visa application has been approved.\n\nCollect it at https://example.gov.uk/visas"


@pytest.fixture
async def logo_key(settings: CommonSettings, monkeypatch: pytest.MonkeyPatch) -> str:
    """A logo stored as the admin-api stores one, in a branding bucket it creates."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto takes any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    logo = check_logo(image_logo("#d4351c", (160, 54)), "email", 1024 * 1024)
    key = new_logo_key("email", logo)
    await BrandingLogos(settings, BUCKET).put(key, logo)
    return key


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 640, "height": 400})
    yield await context.new_page()
    await context.close()


async def html_sent(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, **branding: Any
) -> str:
    """The HTML part of the email SES was given for a request with this branding."""
    domain = f"{uuid.uuid4().hex[:10]}.example.gov.uk"
    provider = SesProvider(ses_client())
    provider.verify_domain(domain)
    sender = EmailSender(
        ClaimStore(engine, email_send_claims),
        producer,
        provider,
        Rescheduler(producer, topics.GROUP_EMAIL_SENDER, RetryPolicy(max_attempts=3)),
        FromAddresses(None, domain),
        logo_base_url=f"{env.MOTO_URL}/{BUCKET}",
    )
    request = dataclasses.replace(email_request(), body=BODY, **branding)
    await sender.handle([received(request)])
    [record] = await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)
    assert isinstance(record.event, NotificationSentToProvider)
    assert record.event.provider_reference is not None
    [message] = raw_messages_sent_by_moto(record.event.provider_reference)
    html_part = message.get_body(("html",))
    assert html_part is not None
    return str(html_part.get_content())


async def drawn(page: Page, html: str, name: str) -> Image.Image:
    """The email as Chromium draws it, once every image has loaded; kept in docs/images."""
    await page.set_content(html, wait_until="load")
    IMAGES.mkdir(parents=True, exist_ok=True)
    shot = await page.screenshot(full_page=True)
    (IMAGES / f"email-branding-{name}.png").write_bytes(shot)
    return Image.open(io.BytesIO(shot)).convert("RGB")


async def box(page: Page, selector: str) -> FloatRect:
    found = await page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def near(pixel: Any, colour: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(int(p) - c) <= tolerance for p, c in zip(pixel, colour, strict=False))


async def logo_drawn(page: Page, image: Image.Image) -> None:
    """The logo loaded from S3 and is drawn: its red edge where the img is."""
    loaded = await page.eval_on_selector("img", "img => img.complete && img.naturalWidth")
    assert loaded == 160
    logo = await box(page, "img")
    assert near(image.getpixel((int(logo["x"]) + 4, int(logo["y"]) + 4)), LOGO_RED)


async def test_govuk_branding_draws_the_blue_govuk_banner_above_the_message(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, page: Page
) -> None:
    html = await html_sent(engine, kafka, producer, branding_type="govuk")

    image = await drawn(page, html, "govuk")

    assert near(image.getpixel((5, 5)), GOVUK_BLUE)
    assert await page.get_by_label("GOV.UK").is_visible()
    assert await page.locator("img").count() == 0
    assert await page.get_by_text("Your visa application has been approved.").is_visible()


async def test_both_draws_the_govuk_banner_and_the_organisations_logo_beside_a_bar_of_its_colour(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, page: Page, logo_key: str
) -> None:
    html = await html_sent(
        engine,
        kafka,
        producer,
        branding_type="both",
        branding_name="Department of Examples",
        branding_colour="#005ea5",
        branding_text="Department of Examples",
        branding_logo=logo_key,
    )

    image = await drawn(page, html, "both")

    assert near(image.getpixel((5, 5)), GOVUK_BLUE)
    await logo_drawn(page, image)
    logo = await box(page, "img")
    assert near(image.getpixel((int(logo["x"]) - 8, int(logo["y"]) + 10)), BANNER_BLUE)  # the bar
    assert await page.get_by_text("Department of Examples").is_visible()


async def test_org_draws_the_organisations_logo_alone_with_its_name_as_alternative_text(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, page: Page, logo_key: str
) -> None:
    html = await html_sent(
        engine,
        kafka,
        producer,
        branding_type="org",
        branding_name="Department of Examples",
        branding_logo=logo_key,
    )

    image = await drawn(page, html, "org")

    assert near(image.getpixel((5, 5)), (255, 255, 255))
    await logo_drawn(page, image)
    assert await page.get_by_role("img", name="Department of Examples").is_visible()


async def test_org_banner_draws_a_band_of_the_colour_with_the_logo_and_white_text(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, page: Page, logo_key: str
) -> None:
    html = await html_sent(
        engine,
        kafka,
        producer,
        branding_type="org_banner",
        branding_name="Department of Examples",
        branding_colour="#005ea5",
        branding_text="Department of Examples",
        branding_logo=logo_key,
    )

    image = await drawn(page, html, "org-banner")

    assert near(image.getpixel((5, 5)), BANNER_BLUE)
    await logo_drawn(page, image)
    text = page.get_by_text("Department of Examples")
    assert await text.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"


async def test_none_draws_the_message_alone(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, page: Page
) -> None:
    html = await html_sent(engine, kafka, producer, branding_type="none")

    image = await drawn(page, html, "none")

    assert near(image.getpixel((5, 5)), (255, 255, 255))
    assert await page.locator("img").count() == 0
    assert await page.get_by_label("GOV.UK").count() == 0
    assert await page.get_by_text("Dear Ada,").is_visible()
