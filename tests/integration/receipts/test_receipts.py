"""Real-shaped receipts posted to the receipts service (in-process, over ASGI) become events on the
real Kafka, which the projector (in-process consumer) folds into PostgreSQL: MMG and Firetext
delivery receipts, SES events through SNS signed with a test certificate served over HTTP, print
statuses, returned letters, and inbound texts mapped to the service by its inbound number."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.db import create_engine
from notify_common.events import (
    Channel,
    EmailRequested,
    LetterRequested,
    NotificationSentToProvider,
    SmsRequested,
    facts_of,
)
from notify_common.kafka import EventProducer, Received
from notify_common.settings import CommonSettings
from notify_projector.projection import project
from notify_receipts.app import served_app
from notify_receipts.sent import record_sent
from notify_receipts.settings import ReceiptsSettings
from tests.support.lifecycle import add_inbound_number, add_service, eventually, running_consumer
from tests.support.sns_signing import SnsSigner, ses_message


@pytest.fixture(scope="module")
def cert_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server playing sns.<region>.amazonaws.com's certificate URL."""
    pem: list[bytes] = []
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = pem[0] if self.path.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    signer = SnsSigner.create(f"{base}/SimpleNotificationService-test.pem")
    pem.append(signer.certificate_pem)
    SIGNERS[base] = signer
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, hits
    server.shutdown()
    server.server_close()


SIGNERS: dict[str, SnsSigner] = {}

# Each provider endpoint's credentials, as the deployment configures them.
TOKENS = {"mmg": "mmg-receipt-token-0123456789", "firetext": "firetext-receipt-token-0123456789"}
PRINT_TOKEN = "print-callback-token-0123456789"
INBOUND = {"mmg": ("mmg-user", "mmg-inbound-password"), "firetext": ("ft-user", "ft-inbound-password")}
CREDENTIALS: dict[str, Any] = {
    "mmg_receipt_token": TOKENS["mmg"],
    "firetext_receipt_token": TOKENS["firetext"],
    "letter_callback_token": PRINT_TOKEN,
    "mmg_inbound_username": INBOUND["mmg"][0],
    "mmg_inbound_password": INBOUND["mmg"][1],
    "firetext_inbound_username": INBOUND["firetext"][0],
    "firetext_inbound_password": INBOUND["firetext"][1],
}


@pytest.fixture
async def receipts(
    kafka: CommonSettings, producer: EventProducer, database: str, cert_server: tuple[str, list[str]]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ReceiptsSettings(
        **{**kafka.model_dump(), **CREDENTIALS},
        sns_trusted_url_pattern=r"^http://127\.0\.0\.1:\d+/",
        ses_resolve_wait_seconds=0.3,
    )
    served = served_app(settings)
    app = served.app
    engine = create_engine(kafka, pool_size=2)

    async def handle(batch: Sequence[Received]) -> None:
        await project(engine, [r.event for r in batch])

    async with (
        app.router.lifespan_context(app),
        running_consumer(
            kafka, producer, topics.GROUP_PROJECTOR, topics.topics_read_by(topics.GROUP_PROJECTOR), handle
        ),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://receipts") as client,
    ):
        yield client
    await engine.dispose()


async def status_of(engine: AsyncEngine, nid: str) -> str | None:
    async with engine.connect() as conn:
        return (
            await conn.execute(text("SELECT status FROM notifications WHERE id = :id"), {"id": nid})
        ).scalar()


async def sent_notification(
    engine: AsyncEngine,
    channel: str,
    reference: str | None = None,
    provider: str | None = None,
    *,
    learnt: bool = True,
) -> tuple[str, str]:
    """A notification claimed and sent through ``provider``: projected, and (when ``learnt``) its
    send event recorded as the receipts service's consumer records it."""
    nid, sid, now = str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC)
    common: dict[str, Any] = {
        "notification_id": nid, "service_id": sid, "template_id": str(uuid.uuid4()), "template_version": 1,
        "key_type": "normal", "created_at": now,
    }  # fmt: skip
    requested: SmsRequested | EmailRequested | LetterRequested
    if channel == "sms":
        requested = SmsRequested(**common, phone_number="447700900123", international=False, sender="GOVUK",
                                 body="Hi", fragment_count=1)  # fmt: skip
    elif channel == "email":
        requested = EmailRequested(
            **common, email_address="a@example.com", subject="S", body="B", from_name="N"
        )
    else:
        requested = LetterRequested(**common, address_lines=("A", "B", "SW1A 1AA"), postage="second",
                                    subject="S", body="B")  # fmt: skip
    provider = provider or {"email": "ses", "sms": "mmg", "letter": "dvla"}[channel]
    sent = NotificationSentToProvider(
        notification_id=nid, service_id=sid, channel=Channel(channel), provider=provider,
        provider_reference=reference or nid, sent_at=now + timedelta(seconds=1), **facts_of(requested),
    )  # fmt: skip
    await project(engine, [requested, sent])
    if learnt:
        await record_sent(engine, [sent])
    # The sender's claim, made before it called the provider.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO {channel}_send_claims (notification_id, channel, provider, outcome, sent_at) "  # noqa: S608
                "VALUES (:id, :channel, :provider, 'sent', now())"
            ),
            {"id": nid, "channel": channel, "provider": provider},
        )
    return nid, sid


@pytest.mark.parametrize(
    ("provider", "body", "expected"),
    [
        ("mmg", {"status": "3", "substatus": "2"}, "delivered"),
        ("mmg", {"status": "2", "substatus": "1"}, "permanent-failure"),
        ("mmg", {"status": "4", "substatus": "6"}, "temporary-failure"),
        ("firetext", {"status": "0", "code": "000"}, "delivered"),
        ("firetext", {"status": "1", "code": "101"}, "permanent-failure"),
        ("firetext", {"status": "1", "code": "102"}, "temporary-failure"),
        ("firetext", {"status": "2"}, "pending"),
    ],
)
async def test_sms_receipts_change_the_projected_status(
    engine: AsyncEngine, receipts: httpx.AsyncClient, provider: str, body: dict[str, str], expected: str
) -> None:
    nid, _ = await sent_notification(engine, "sms", provider=provider)
    token = {"token": TOKENS[provider]}
    if provider == "mmg":
        response = await receipts.post(
            "/notifications/sms/mmg",
            json={**body, "CID": nid, "deliverytime": "2026-11-01 10:00:00"},
            params=token,
        )
    else:
        response = await receipts.post(
            "/notifications/sms/firetext",
            data={**body, "reference": nid, "time": "2026-11-01 10:00:00"},
            params=token,
        )
    assert response.status_code == 200
    await eventually(lambda: _is(engine, nid, expected))


async def _is(engine: AsyncEngine, nid: str, expected: str) -> bool:
    return await status_of(engine, nid) == expected


@pytest.mark.parametrize(
    ("event_type", "detail", "expected"),
    [
        ("Delivery", {}, "delivered"),
        ("Bounce", {"bounceType": "Permanent"}, "permanent-failure"),
        ("Bounce", {"bounceType": "Transient"}, "temporary-failure"),
    ],
)
async def test_ses_events_through_signed_sns_messages_change_the_status(
    engine: AsyncEngine, receipts: httpx.AsyncClient, cert_server: tuple[str, list[str]],
    event_type: str, detail: dict[str, str], expected: str,
) -> None:  # fmt: skip
    ses_id = f"0102018f-{uuid.uuid4()}"
    nid, _ = await sent_notification(engine, "email", reference=ses_id)
    await eventually(lambda: _reference_known(engine, ses_id))
    signer = SIGNERS[cert_server[0]]
    response = await receipts.post(
        "/notifications/email/ses", json=signer.notification(ses_message(event_type, ses_id, **detail))
    )
    assert response.status_code == 200, response.text
    await eventually(lambda: _is(engine, nid, expected))


async def _reference_known(engine: AsyncEngine, reference: str) -> bool:
    async with engine.connect() as conn:
        query = text("SELECT 1 FROM provider_references WHERE reference = :r")
        return (await conn.execute(query, {"r": reference})).first() is not None


async def test_an_ses_complaint_is_recorded_and_the_status_stays_delivered(
    engine: AsyncEngine, receipts: httpx.AsyncClient, cert_server: tuple[str, list[str]]
) -> None:
    ses_id = f"0102018f-{uuid.uuid4()}"
    nid, sid = await sent_notification(engine, "email", reference=ses_id)
    signer = SIGNERS[cert_server[0]]
    for event_type, detail in (
        ("Delivery", {}),
        ("Complaint", {"feedbackId": "fb-" + ses_id, "complaintFeedbackType": "abuse"}),
    ):
        response = await receipts.post(
            "/notifications/email/ses", json=signer.notification(ses_message(event_type, ses_id, **detail))
        )
        assert response.status_code == 200
    # SNS may deliver a message twice: still one complaint
    await receipts.post(
        "/notifications/email/ses",
        json=signer.notification(
            ses_message("Complaint", ses_id, feedbackId="fb-" + ses_id, complaintFeedbackType="abuse")
        ),
    )

    async def complaints() -> list[Any]:
        async with engine.connect() as conn:
            query = text(
                "SELECT notification_id, service_id, complaint_type FROM complaints WHERE notification_id = :n"
            )
            return list((await conn.execute(query, {"n": nid})).all())

    await eventually(complaints)
    assert [(str(n), str(s), t) for n, s, t in await complaints()] == [(nid, sid, "abuse")]
    assert await status_of(engine, nid) == "delivered"


async def test_a_tampered_sns_message_is_refused_and_changes_nothing(
    engine: AsyncEngine, receipts: httpx.AsyncClient, cert_server: tuple[str, list[str]]
) -> None:
    ses_id = f"0102018f-{uuid.uuid4()}"
    nid, _ = await sent_notification(engine, "email", reference=ses_id)
    body = SIGNERS[cert_server[0]].notification(ses_message("Bounce", ses_id, bounceType="Permanent"))
    body["Message"] = body["Message"].replace("Permanent", "Transient")
    response = await receipts.post("/notifications/email/ses", json=body)
    assert response.status_code == 403
    assert await status_of(engine, nid) == "sending"


async def test_an_ses_receipt_for_an_unknown_message_is_refused_for_sns_to_redeliver(
    receipts: httpx.AsyncClient, cert_server: tuple[str, list[str]]
) -> None:
    body = SIGNERS[cert_server[0]].notification(ses_message("Delivery", "never-sent"))
    response = await receipts.post("/notifications/email/ses", json=body)
    assert response.status_code == 503


async def test_a_subscription_confirmation_is_confirmed_by_visiting_the_subscribe_url(
    receipts: httpx.AsyncClient, cert_server: tuple[str, list[str]]
) -> None:
    base, hits = cert_server
    body = SIGNERS[base].sign(
        {
            "Type": "SubscriptionConfirmation", "MessageId": str(uuid.uuid4()), "Token": "tok-1",
            "TopicArn": "arn:aws:sns:eu-west-2:1:ses", "Message": "confirm",
            "SubscribeURL": f"{base}/?Action=ConfirmSubscription&Token=tok-1", "Timestamp": "2026-11-01T00:00:00.000Z",
        }
    )  # fmt: skip
    response = await receipts.post("/notifications/email/ses", json=body)
    assert response.status_code == 200
    assert "/?Action=ConfirmSubscription&Token=tok-1" in hits


async def test_letter_print_statuses_and_returns_change_the_status(
    engine: AsyncEngine, receipts: httpx.AsyncClient
) -> None:
    despatched, _ = await sent_notification(engine, "letter")
    rejected, _ = await sent_notification(engine, "letter")
    for nid, status in ((despatched, "DESPATCHED"), (rejected, "REJECTED")):
        response = await receipts.post(
            "/notifications/letter/status",
            json={"data": {"jobId": nid, "jobStatus": status}},
            params={"token": PRINT_TOKEN},
        )
        assert response.status_code == 200
    await eventually(lambda: _is(engine, despatched, "delivered"))
    await eventually(lambda: _is(engine, rejected, "technical-failure"))


@pytest.mark.parametrize("provider", ["mmg", "firetext"])
async def test_an_inbound_text_is_stored_for_the_service_that_owns_the_number_under_that_number(
    engine: AsyncEngine, receipts: httpx.AsyncClient, provider: str
) -> None:
    service_id = await add_service(engine)
    number = "0770090" + str(uuid.uuid4().int)[:4]
    await add_inbound_number(engine, service_id, number, provider)
    international = "44" + number[1:]
    if provider == "mmg":
        body = {"MSISDN": "447700900111", "Number": international, "Message": "Hello+Notify%21", "ID": str(uuid.uuid4()),
                "DateReceived": "2026-07-01+10%3A30%3A00"}  # fmt: skip
        response = await receipts.post("/notifications/sms/receive/mmg", json=body, auth=INBOUND["mmg"])
    else:
        body = {
            "source": "447700900111",
            "destination": international,
            "message": "Hello Notify!",
            "time": "2026-07-01 10:30:00",
        }
        response = await receipts.post(
            "/notifications/sms/receive/firetext", data=body, auth=INBOUND["firetext"]
        )
    assert response.status_code == 200

    async def stored() -> list[Any]:
        async with engine.connect() as conn:
            query = text(
                "SELECT user_number, notify_number, content, provider, created_at FROM inbound_sms WHERE service_id = :s"
            )
            return list((await conn.execute(query, {"s": service_id})).all())

    await eventually(stored)
    [(user, notify, content, stored_provider, created)] = await stored()
    # notify_number is the service's inbound number as it is held, whatever form the provider used.
    assert (user, notify, content, stored_provider) == (
        "447700900111",
        number,
        "Hello Notify!",
        provider,
    )
    assert created == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)  # London summer time


async def test_an_inbound_text_to_an_unknown_number_is_acknowledged_and_dropped(
    receipts: httpx.AsyncClient, kafka: CommonSettings
) -> None:
    from tests.support.lifecycle import read_topic

    body = {"source": "447700900111", "destination": "447700999999", "message": "Hi"}
    response = await receipts.post("/notifications/sms/receive/firetext", data=body, auth=INBOUND["firetext"])
    assert response.status_code == 200
    assert await read_topic(kafka, topics.INBOUND_SMS, timeout=1.0) == []


async def test_a_receipt_is_published_with_its_service_and_notification_details_never_the_nil_id(
    engine: AsyncEngine, receipts: httpx.AsyncClient, kafka: CommonSettings
) -> None:
    from notify_common.events import NotificationDelivered
    from tests.support.lifecycle import read_topic

    nid, sid = await sent_notification(engine, "sms", provider="mmg")
    response = await receipts.post(
        "/notifications/sms/mmg", json={"status": "3", "CID": nid}, params={"token": TOKENS["mmg"]}
    )
    assert response.status_code == 200
    [delivered] = [
        e for e in await read_topic(kafka, topics.NOTIFICATION_STATUS) if isinstance(e, NotificationDelivered)
    ]
    assert delivered.service_id == sid
    assert (delivered.notification_type, delivered.recipient, delivered.template_version) == (
        "sms",
        "447700900123",
        1,
    )
    assert delivered.notification_sent_at is not None


async def test_a_receipt_that_overtakes_its_send_event_is_taken_and_applied_once_the_send_event_comes(
    engine: AsyncEngine, receipts: httpx.AsyncClient, kafka: CommonSettings, producer: EventProducer
) -> None:
    from notify_common.events import NotificationDelivered
    from tests.support.lifecycle import read_topic

    nid, sid = await sent_notification(engine, "sms", provider="mmg", learnt=False)
    response = await receipts.post(
        "/notifications/sms/mmg", json={"status": "3", "CID": nid}, params={"token": TOKENS["mmg"]}
    )
    assert response.status_code == 200
    await asyncio.sleep(1.0)
    assert await status_of(engine, nid) == "sending"  # not applied before its send event is known
    sent = NotificationSentToProvider(
        notification_id=nid, service_id=sid, channel=Channel.SMS, provider="mmg", provider_reference=nid,
        sent_at=datetime.now(UTC), notification_type="sms", recipient="447700900123",
    )  # fmt: skip
    await producer.publish(topics.NOTIFICATION_STATUS, sent)
    await eventually(lambda: _is(engine, nid, "delivered"), timeout=40.0)
    statuses = [
        e for e in await read_topic(kafka, topics.NOTIFICATION_STATUS) if isinstance(e, NotificationDelivered)
    ]
    assert [e.service_id for e in statuses] == [sid]


async def test_sent_notifications_are_forgotten_once_no_service_keeps_them(engine: AsyncEngine) -> None:
    """Receipts' own record holds recipients: rows older than the longest retention go."""
    from notify_receipts.sent import KEEP_DAYS, forget_old

    now = datetime.now(UTC)
    old, recent = (
        NotificationSentToProvider(
            notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), channel=Channel.SMS,
            provider="mmg", sent_at=at, recipient="447700900123", notification_type="sms",
        )
        for at in (now - timedelta(days=KEEP_DAYS + 1), now - timedelta(days=KEEP_DAYS - 1))
    )  # fmt: skip
    await record_sent(engine, [old, recent])
    assert await forget_old(engine) >= 1
    async with engine.connect() as conn:
        left = set(
            (await conn.execute(text("SELECT notification_id::text FROM receipt_notifications"))).scalars()
        )
    assert recent.notification_id in left
    assert old.notification_id not in left


async def test_send_events_are_recorded_as_they_were_sent(engine: AsyncEngine) -> None:
    """Every field of a send event comes back from the table as the event carried it (absent
    fields as NULL, text that JSON or an array literal would have to escape as it was); of one
    notification's events the last wins, in one batch and across batches (a resend)."""
    now = datetime.now(UTC).replace(microsecond=123456)
    awkward = 'a "quoted", {braced} \\ back\tslash, ünïcode 📱 and NULL'
    full = NotificationSentToProvider(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), channel=Channel.SMS,
        provider="firetext", provider_reference=awkward, sent_at=now, notification_type="sms",
        client_reference=awkward, recipient="+44 7700 900123", template_id=str(uuid.uuid4()),
        template_version=7, created_at=now - timedelta(seconds=3), job_row_number=41,
    )  # fmt: skip
    bare = NotificationSentToProvider(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), channel=Channel.EMAIL,
        provider="ses", sent_at=now,
    )  # fmt: skip
    superseded = NotificationSentToProvider(
        notification_id=full.notification_id, service_id=full.service_id, channel=Channel.SMS,
        provider="mmg", sent_at=now - timedelta(seconds=1),
    )  # fmt: skip
    resent = NotificationSentToProvider(
        notification_id=bare.notification_id, service_id=bare.service_id, channel=Channel.EMAIL,
        provider="ses", provider_reference="second", sent_at=now + timedelta(seconds=5),
    )  # fmt: skip
    columns = (
        "service_id", "provider", "provider_reference", "sent_at", "notification_type", "client_reference",
        "recipient", "template_id", "template_version", "created_at", "job_row_number",
    )  # fmt: skip

    async def row(nid: str | None) -> dict[str, Any]:
        async with engine.connect() as conn:
            found = await conn.execute(
                text(f"SELECT {', '.join(columns)} FROM receipt_notifications WHERE notification_id = :id"),  # noqa: S608
                {"id": nid},
            )
            return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in found.one()._mapping.items()}

    def expected(event: NotificationSentToProvider) -> dict[str, Any]:
        return {name: getattr(event, name) for name in columns}

    await record_sent(engine, [superseded, full, bare])
    assert await row(full.notification_id) == expected(full)
    assert await row(bare.notification_id) == expected(bare)
    await record_sent(engine, [resent])
    assert await row(bare.notification_id) == expected(resent)
