"""The letter-sender against S3 in moto, the real PostgreSQL and Kafka: templated letters become
PDFs stored where the API serves them and dropped for print; the print provider's answer becomes
delivered; precompiled letters are checked; test letters are never printed."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import replace
from typing import Any

import boto3
import pytest
from fpdf import FPDF
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.events import NotificationDelivered, NotificationFailed, NotificationSentToProvider
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.send_claims import ClaimStore
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_letter_sender.contacts import ContactBlocks
from notify_letter_sender.responses import PrintResponses
from notify_letter_sender.sending import LetterSender
from notify_letter_sender.storage import LetterStore
from notify_letter_sender.tables import letter_send_claims
from notify_provider_simulator.printer import Printer
from tests.support import env
from tests.support.senders import (
    free_port,
    holder_died_long_ago,
    ident,
    letter_request,
    read_topic,
    received,
)


def s3() -> Any:
    return boto3.client(
        "s3",
        region_name="eu-west-2",
        endpoint_url=env.MOTO_URL,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def store() -> LetterStore:
    run = uuid.uuid4().hex[:8]
    letter_store = LetterStore(s3(), f"letters-{run}", f"print-{run}")
    letter_store.ensure_buckets()
    return letter_store


def letter_sender(
    engine: AsyncEngine, producer: EventProducer, store: LetterStore, lease_s: float = 30.0
) -> LetterSender:
    return LetterSender(
        ClaimStore(engine, letter_send_claims, lease_s=lease_s),
        producer,
        store,
        ContactBlocks(None),
        Rescheduler(producer, topics.GROUP_LETTER_SENDER, RetryPolicy(max_attempts=3)),
    )


def objects(bucket: str, prefix: str = "") -> list[str]:
    return sorted(o["Key"] for o in s3().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def pdf_bytes(pages: int, page_format: str = "A4") -> bytes:
    pdf = FPDF(format=page_format)
    pdf.set_font("Helvetica", size=12)
    for i in range(pages):
        pdf.add_page()
        pdf.cell(0, 10, f"page {i + 1}")
    return bytes(pdf.output())


async def test_a_templated_letter_is_rendered_stored_for_the_api_printed_and_then_delivered(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, store: LetterStore
) -> None:
    request = letter_request(
        body="# Details\n\nDear Ada,\nYour appointment is on Monday.\n\n* Bring this letter"
    )
    sender = letter_sender(engine, producer, store)
    await sender.handle([received(request)])
    await sender.handle([received(request)])  # redelivered: not printed twice
    stored = (
        s3()
        .get_object(Bucket=store.letters_bucket, Key=f"letters/{request.notification_id}.pdf")["Body"]
        .read()
    )
    for_api = s3().get_object(
        Bucket=store.letters_bucket, Key=f"pdf/{request.service_id}/{request.notification_id}.pdf"
    )
    assert for_api["Body"].read() == stored
    reader = PdfReader(io.BytesIO(stored))
    text = reader.pages[0].extract_text()
    for expected in ("Ada Lovelace", "SW1A 1AA", "Your appointment", "Bring this letter", "Page 1 of 1"):
        assert expected in text
    assert objects(store.print_bucket) == [
        f"print/{request.notification_id}.json",
        f"print/{request.notification_id}.pdf",
    ]
    manifest = json.loads(
        s3().get_object(Bucket=store.print_bucket, Key=f"print/{request.notification_id}.json")["Body"].read()
    )
    assert manifest == {
        "notification_id": request.notification_id,
        "postage": "second",
        "pages": 1,
        "sheets": 1,
    }
    # The print provider answers; the answer becomes delivered.
    assert Printer(s3(), store.print_bucket).print_once() == 1
    assert await PrintResponses(store, producer).poll_once() == 1
    assert objects(store.print_bucket) == []
    events = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 3)]
    sent = events[0]
    assert isinstance(sent, NotificationSentToProvider)
    assert (sent.channel, sent.provider, sent.billable_units) == ("letter", "dvla", 1)
    assert isinstance(events[1], NotificationSentToProvider)
    delivered = events[2]
    assert isinstance(delivered, NotificationDelivered)
    assert delivered.notification_id == request.notification_id


async def test_a_templated_letter_over_ten_pages_is_validation_failed(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, store: LetterStore
) -> None:
    request = letter_request(body="\n\n".join(["A long paragraph of text. " * 30] * 80))
    await letter_sender(engine, producer, store).handle([received(request)])
    [failed] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(failed, NotificationFailed)
    assert (failed.failure_kind, failed.reason) == ("validation_failed", "letter-too-long")
    assert objects(store.print_bucket) == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"this is not a pdf at all", "not-a-pdf"),
        (b"%PDF-1.4 but broken inside", "not-a-pdf"),
        (pdf_bytes(11), "letter-too-long"),
        (pdf_bytes(2, "Letter"), "not-a4-size-paper"),
        (b"%PDF-" + b"0" * (2 * 1024 * 1024), "letter-too-big"),
    ],
)
async def test_a_precompiled_letter_that_fails_its_checks_is_validation_failed_and_not_printed(
    engine: AsyncEngine,
    kafka: CommonSettings,
    producer: EventProducer,
    store: LetterStore,
    content: bytes,
    reason: str,
) -> None:
    key = f"uploads/{uuid.uuid4()}.pdf"
    s3().put_object(Bucket=store.letters_bucket, Key=key, Body=content)
    request = letter_request(precompiled=True, pdf_key=key)
    await letter_sender(engine, producer, store).handle([received(request)])
    [failed] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(failed, NotificationFailed)
    assert (failed.failure_kind, failed.reason) == ("validation_failed", reason)
    assert objects(store.print_bucket) == []


async def test_a_valid_precompiled_letter_is_printed_as_it_is_and_billed_by_sheets(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, store: LetterStore
) -> None:
    content = pdf_bytes(3)
    key = f"uploads/{uuid.uuid4()}.pdf"
    s3().put_object(Bucket=store.letters_bucket, Key=key, Body=content)
    request = letter_request(precompiled=True, pdf_key=key)
    await letter_sender(engine, producer, store).handle([received(request)])
    printed = (
        s3().get_object(Bucket=store.print_bucket, Key=f"print/{request.notification_id}.pdf")["Body"].read()
    )
    assert printed == content
    [sent] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(sent, NotificationSentToProvider)
    assert sent.billable_units == 2


async def test_a_missing_precompiled_pdf_is_a_technical_failure(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, store: LetterStore
) -> None:
    request = letter_request(precompiled=True, pdf_key="uploads/never-uploaded.pdf")
    await letter_sender(engine, producer, store).handle([received(request)])
    [failed] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(failed, NotificationFailed)
    assert failed.failure_kind == "technical_failure"


async def test_a_test_key_letter_is_stored_but_never_printed(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, store: LetterStore
) -> None:
    request = letter_request(key_type="test")
    await letter_sender(engine, producer, store).handle([received(request)])
    assert objects(store.letters_bucket) == [
        f"letters/{request.notification_id}.pdf",
        f"pdf/{request.service_id}/{request.notification_id}.pdf",
    ]
    assert objects(store.print_bucket) == []
    events = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 2)]
    assert [type(e).__name__ for e in events] == ["NotificationSentToProvider", "NotificationDelivered"]


async def test_a_letter_whose_store_is_unreachable_waits_without_spending_its_last_attempt(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    from botocore.config import Config

    unreachable = boto3.client(
        "s3",
        region_name="eu-west-2",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    run = uuid.uuid4().hex[:8]
    sender = letter_sender(engine, producer, LetterStore(unreachable, f"letters-{run}", f"print-{run}"))
    request = letter_request()
    await sender.handle([received(request, attempt=2, topic=topics.LETTER_REQUESTED)])  # the last of 3

    [retry] = await read_topic(kafka, topics.retry_topic(topics.GROUP_LETTER_SENDER), 1)
    assert retry.event == request
    assert retry.headers["retry-attempt"] == "2"  # no attempt spent
    assert retry.headers["original-topic"] == topics.LETTER_REQUESTED
    assert await read_topic(kafka, topics.NOTIFICATION_STATUS, 0, settle=1.0) == []


async def test_an_in_doubt_letter_the_printer_already_has_is_not_dropped_for_print_again(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, store: LetterStore
) -> None:
    answered, lost = letter_request(), letter_request()
    ids = [ident(answered), ident(lost)]
    # Both were claimed by a sender that died; the printer had taken (and answered) one of them.
    await ClaimStore(engine, letter_send_claims).claim(dict.fromkeys(ids, "dvla"))
    s3().put_object(
        Bucket=store.print_bucket,
        Key=f"responses/{answered.notification_id}.json",
        Body=b'{"status":"DESPATCHED"}',
    )
    await holder_died_long_ago(engine, *ids)
    await letter_sender(engine, producer, store).handle([received(answered), received(lost)])
    assert objects(store.print_bucket, "print/") == [
        f"print/{lost.notification_id}.json",
        f"print/{lost.notification_id}.pdf",
    ]
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT CAST(notification_id AS text), recovery, outcome FROM send_claims WHERE notification_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": ids},
        )
        recovered = {r[0]: (r[1], r[2]) for r in rows}
    assert recovered == {
        answered.notification_id: ("at-provider", "sent"),
        lost.notification_id: ("not-at-provider", "sent"),
    }
    events = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 2)]
    assert {e.notification_id for e in events if isinstance(e, NotificationSentToProvider)} == set(ids)


async def test_a_bilingual_letter_is_printed_welsh_first_with_the_english_from_a_new_page(
    engine: AsyncEngine, producer: EventProducer, store: LetterStore
) -> None:
    request = replace(
        letter_request(body="Dear Ada,\nYour appointment is on Monday."),
        welsh_subject="Eich apwyntiad",
        welsh_body="Annwyl Ada,\nMae eich apwyntiad ddydd Llun.",
    )
    await letter_sender(engine, producer, store).handle([received(request)])
    stored = (
        s3()
        .get_object(Bucket=store.letters_bucket, Key=f"letters/{request.notification_id}.pdf")["Body"]
        .read()
    )
    welsh, english = (page.extract_text() for page in PdfReader(io.BytesIO(stored)).pages)
    assert "Mae eich apwyntiad ddydd Llun." in welsh
    assert "Tudalen 1 o 1" in welsh
    assert "Your appointment is on Monday." in english
    assert "Page 1 of 1" in english
