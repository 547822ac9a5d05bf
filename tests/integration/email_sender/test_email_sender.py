"""The email-sender against real providers: SES v2 in moto and an SMTP server (aiosmtpd), with
the real PostgreSQL and Kafka. Each provider's success, and its permanent, retryable, throttled
and timed-out failures."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from email import policy
from email.message import EmailMessage, Message
from typing import Any

import boto3
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from botocore.config import Config
from botocore.stub import Stubber
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.events import NotificationDelivered, NotificationFailed, NotificationSentToProvider
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.send_claims import ClaimStore
from notify_common.settings import CommonSettings
from notify_email_sender.addresses import FromAddresses
from notify_email_sender.providers import EmailProvider
from notify_email_sender.providers.ses import SesProvider
from notify_email_sender.providers.smtp import SmtpProvider
from notify_email_sender.sending import EmailSender
from notify_email_sender.tables import email_send_claims
from tests.support import env
from tests.support.moto import moto_data
from tests.support.senders import email_request, read_topic, received

RETRY_TOPIC = topics.retry_topic(topics.GROUP_EMAIL_SENDER)


def ses_client(endpoint: str = env.MOTO_URL, read_timeout: float = 5.0) -> Any:
    return boto3.client(
        "sesv2",
        region_name="eu-west-2",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(connect_timeout=1, read_timeout=read_timeout, retries={"max_attempts": 1}),
    )


def email_sender(
    engine: AsyncEngine,
    producer: EventProducer,
    provider: EmailProvider,
    domain: str,
    *,
    simulate: bool = False,
) -> EmailSender:
    from notify_common.send_retries import Rescheduler

    return EmailSender(
        ClaimStore(engine, email_send_claims),
        producer,
        provider,
        Rescheduler(producer, topics.GROUP_EMAIL_SENDER, RetryPolicy(max_attempts=3)),
        FromAddresses(None, domain),
        simulate_delivery=simulate,
    )


def parsed(raw: str) -> EmailMessage:
    message = email.message_from_string(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def raw_messages_sent_by_moto(reference: str) -> list[EmailMessage]:
    data = moto_data()
    raws = data["ses"].get("RawMessage", [])
    return [parsed(m["raw_data"]) for m in raws if m["id"] == reference]


@pytest.fixture
def domain() -> str:
    return f"{uuid.uuid4().hex[:10]}.example.gov.uk"


@pytest.fixture
def ses(domain: str) -> SesProvider:
    provider = SesProvider(ses_client())
    provider.verify_domain(domain)
    return provider


async def test_an_email_goes_to_ses_once_with_html_text_reply_to_and_one_click_unsubscribe(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, ses: SesProvider, domain: str
) -> None:
    request = email_request()
    sender = email_sender(engine, producer, ses, domain)
    await sender.handle([received(request)])
    await sender.handle([received(request)])  # redelivered: not sent again
    events = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 2)]
    assert len(events) == 2
    sent = events[0]
    assert isinstance(sent, NotificationSentToProvider)
    assert sent.provider == "ses"
    assert sent.provider_reference is not None
    # The redelivery announces the same hand-over again, with nothing new.
    assert events[1] == dataclasses.replace(
        sent, event_id=events[1].event_id, occurred_at=events[1].occurred_at
    )
    [message] = raw_messages_sent_by_moto(sent.provider_reference)
    assert message["From"] == f"Example Service <notify@{domain}>"
    assert message["To"] == "someone@example.com"
    assert message["Subject"] == "Your appointment"
    assert message["Reply-To"] == "replies@example.gov.uk"
    assert message["List-Unsubscribe"] == "<https://example.gov.uk/unsubscribe/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == f"<{request.notification_id}@{domain}>"
    parts = {p.get_content_type(): str(p.get_content()) for p in message.walk() if not p.is_multipart()}
    assert "Your appointment is on Monday." in parts["text/plain"]
    assert '<a href="https://example.gov.uk/appointments">' in parts["text/html"]
    assert "<p>Dear Ada,</p>" in parts["text/html"]


async def test_an_unverified_sender_is_refused_by_ses_for_good_as_technical_failure(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    request = email_request()
    await email_sender(engine, producer, SesProvider(ses_client()), "never-verified.example").handle(
        [received(request)]
    )
    [failed] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(failed, NotificationFailed)
    assert failed.failure_kind == "technical_failure"
    assert failed.reason == "ses refused the message: MessageRejected"


async def test_ses_throttling_retries_without_spending_the_budget(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, domain: str
) -> None:
    client = ses_client()
    stubber = Stubber(client)
    stubber.add_client_error(
        "send_email", service_error_code="TooManyRequestsException", http_status_code=429
    )
    stubber.activate()
    await email_sender(engine, producer, SesProvider(client), domain).handle([received(email_request())])
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert (retry.headers["retry-attempt"], retry.headers["error"]) == ("0", "ThrottledError")


async def test_ses_out_of_reach_is_retried_spending_an_attempt(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, domain: str
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    provider = SesProvider(ses_client(f"http://127.0.0.1:{port}"))
    await email_sender(engine, producer, provider, domain).handle([received(email_request())])
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert (retry.headers["retry-attempt"], retry.headers["error"]) == ("1", "ses unreachable")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A socket that accepts connections (in its backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


async def test_ses_that_does_not_answer_is_retried_on_the_same_provider(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, domain: str, silent_server: int
) -> None:
    provider = SesProvider(ses_client(f"http://127.0.0.1:{silent_server}", read_timeout=0.5))
    await email_sender(engine, producer, provider, domain).handle([received(email_request())])
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert (retry.headers["retry-attempt"], retry.headers["error"]) == ("1", "ses timed out")


class Recorder:
    """An aiosmtpd handler that keeps what it receives and answers as told."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.answer = "250 OK"
        self.delay = 0.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        if self.answer.startswith("250"):
            assert isinstance(envelope.content, bytes)
            self.received.append(email.message_from_bytes(envelope.content))
        return self.answer


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


async def test_an_email_goes_over_smtp_with_both_parts_and_its_headers(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    request = email_request()
    sender = email_sender(
        engine, producer, SmtpProvider("127.0.0.1", port, timeout=5), "mail.example.gov.uk", simulate=True
    )
    await sender.handle([received(request)])
    await sender.handle([received(request)])
    [message] = recorder.received
    assert message["From"] == "Example Service <notify@mail.example.gov.uk>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Reply-To"] == "replies@example.gov.uk"
    assert {p.get_content_type() for p in message.walk()} == {
        "multipart/alternative",
        "text/plain",
        "text/html",
    }
    events = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 4)]
    assert [type(e).__name__ for e in events] == ["NotificationSentToProvider", "NotificationDelivered"] * 2
    sent = events[0]
    assert isinstance(sent, NotificationSentToProvider)
    assert sent.provider_reference == f"<{request.notification_id}@mail.example.gov.uk>"


@pytest.mark.parametrize(
    ("answer", "retry_attempt", "error"),
    [
        ("451 4.3.0 Try again later", "1", "smtp temporary failure: 451"),
        ("421 4.7.0 Too many messages, slow down", "0", "ThrottledError"),
    ],
)
async def test_smtp_temporary_answers_are_retried_and_slow_down_answers_do_not_spend_the_budget(
    engine: AsyncEngine,
    kafka: CommonSettings,
    producer: EventProducer,
    smtp: tuple[Recorder, int],
    answer: str,
    retry_attempt: str,
    error: str,
) -> None:
    recorder, port = smtp
    recorder.answer = answer
    await email_sender(engine, producer, SmtpProvider("127.0.0.1", port, timeout=5), "x.example").handle(
        [received(email_request())]
    )
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert (retry.headers["retry-attempt"], retry.headers["error"]) == (retry_attempt, error)


async def test_an_smtp_refusal_is_a_technical_failure(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    recorder.answer = "554 5.7.1 Message rejected"
    await email_sender(engine, producer, SmtpProvider("127.0.0.1", port, timeout=5), "x.example").handle(
        [received(email_request())]
    )
    [failed] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(failed, NotificationFailed)
    assert (failed.failure_kind, failed.reason) == ("technical_failure", "smtp refused the message: 554")


async def test_an_smtp_server_that_stops_answering_is_retried(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    recorder.delay = 3.0
    await email_sender(engine, producer, SmtpProvider("127.0.0.1", port, timeout=1), "x.example").handle(
        [received(email_request())]
    )
    [retry] = await read_topic(kafka, RETRY_TOPIC, 1)
    assert (retry.headers["retry-attempt"], retry.headers["error"]) == ("1", "smtp timed out")


async def test_test_key_emails_reach_no_provider_and_end_as_their_address_says(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    sender = email_sender(engine, producer, SmtpProvider("127.0.0.1", port, timeout=5), "x.example")
    delivered = email_request("someone@example.com", key_type="test")
    perm = email_request("perm-fail@simulator.notify", key_type="test")
    temp = email_request("temp-fail@simulator.notify", key_type="test")
    await sender.handle([received(delivered), received(perm), received(temp)])
    assert recorder.received == []
    events = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 6)]
    outcomes = {e.notification_id: e for e in events if not isinstance(e, NotificationSentToProvider)}
    assert isinstance(outcomes[delivered.notification_id], NotificationDelivered)
    perm_event, temp_event = outcomes[perm.notification_id], outcomes[temp.notification_id]
    assert isinstance(perm_event, NotificationFailed)
    assert perm_event.failure_kind == "permanent_failure"
    assert isinstance(temp_event, NotificationFailed)
    assert temp_event.failure_kind == "temporary_failure"
