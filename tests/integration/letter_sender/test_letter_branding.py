"""The letter-sender prints the logo a letter's request names, read from the branding bucket in S3
(moto) where the admin-api stores it: the PDF dropped for print, drawn to an image, has the logo
top left of page 1; a logo no longer there is left off rather than holding the letter back."""

from __future__ import annotations

import dataclasses
import uuid

import pypdfium2  # type: ignore[import-untyped]
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.branding_logos import BrandingLogos, check_logo, new_logo_key
from notify_common import topics
from notify_common.events import NotificationSentToProvider
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.send_claims import ClaimStore
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_letter_sender.contacts import ContactBlocks
from notify_letter_sender.logos import LetterLogos
from notify_letter_sender.pdf import LOGO_BOX_MM
from notify_letter_sender.sending import LetterSender
from notify_letter_sender.storage import LetterStore
from notify_letter_sender.tables import letter_send_claims
from tests.integration.letter_sender.test_letter_sender import s3
from tests.support.logos import image_logo
from tests.support.senders import letter_request, read_topic, received

BUCKET = f"branding-{uuid.uuid4().hex[:8]}"
MM = 72 / 25.4  # pixels per millimetre at pdfium's scale 1
RED = (212, 53, 28)


@pytest.fixture
def store() -> LetterStore:
    run = uuid.uuid4().hex[:8]
    letter_store = LetterStore(s3(), f"letters-{run}", f"print-{run}")
    letter_store.ensure_buckets()
    return letter_store


@pytest.fixture
async def logo_key(settings: CommonSettings, monkeypatch: pytest.MonkeyPatch) -> str:
    """A letter logo stored as the admin-api stores one."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto takes any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    logo = check_logo(image_logo("#d4351c", (300, 60)), "letter", 1024 * 1024)
    key = new_logo_key("letter", logo)
    await BrandingLogos(settings, BUCKET).put(key, logo)
    return key


def sender(engine: AsyncEngine, producer: EventProducer, store: LetterStore) -> LetterSender:
    return LetterSender(
        ClaimStore(engine, letter_send_claims),
        producer,
        store,
        ContactBlocks(None),
        Rescheduler(producer, topics.GROUP_LETTER_SENDER, RetryPolicy(max_attempts=3)),
        logos=LetterLogos(store, BUCKET),
    )


def logo_corner_of_printed(store: LetterStore, notification_id: str | None) -> tuple[int, ...]:
    """The colour 2 mm into the logo box of the printed letter's first page."""
    pdf = s3().get_object(Bucket=store.print_bucket, Key=f"print/{notification_id}.pdf")["Body"].read()
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    left, top, _, _ = LOGO_BOX_MM
    return tuple(image.getpixel((int((left + 2) * MM), int((top + 2) * MM))))


def close_to(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True))


async def test_a_letter_is_printed_with_the_logo_its_request_names(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, store: LetterStore, logo_key: str
) -> None:
    request = dataclasses.replace(letter_request(), letter_logo=logo_key)

    await sender(engine, producer, store).handle([received(request)])

    [record] = await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)
    assert isinstance(record.event, NotificationSentToProvider)
    assert close_to(logo_corner_of_printed(store, request.notification_id), RED)


async def test_a_letter_whose_logo_is_gone_is_printed_without_it(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, store: LetterStore, logo_key: str
) -> None:
    request = dataclasses.replace(letter_request(), letter_logo=f"letter/{uuid.uuid4()}.png")

    await sender(engine, producer, store).handle([received(request)])

    [record] = await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)
    assert isinstance(record.event, NotificationSentToProvider)
    assert logo_corner_of_printed(store, request.notification_id) == (255, 255, 255)
