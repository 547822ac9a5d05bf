"""Emails whose template has "Add an unsubscribe link", at the provider (SES v2 in moto and an SMTP
server): the hosted link at the end of both parts of the body, and List-Unsubscribe with
List-Unsubscribe-Post naming it, or the send's own one_click_unsubscribe_url when it has one."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.events import EmailRequested, NotificationSentToProvider
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.send_claims import ClaimStore
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_common.unsubscribe import UnsubscribeLinks
from notify_email_sender.addresses import FromAddresses
from notify_email_sender.providers import EmailProvider
from notify_email_sender.providers.ses import SesProvider
from notify_email_sender.providers.smtp import SmtpProvider
from notify_email_sender.sending import EmailSender
from notify_email_sender.tables import email_send_claims
from notify_email_sender.unsubscribe import HostedUnsubscribe
from tests.integration.email_sender.test_email_sender import Recorder, raw_messages_sent_by_moto, ses_client
from tests.support.senders import email_request, free_port, read_topic, received


@pytest.fixture
def domain() -> str:
    return f"{uuid.uuid4().hex[:10]}.example.gov.uk"


@pytest.fixture
def ses(domain: str) -> SesProvider:
    provider = SesProvider(ses_client())
    provider.verify_domain(domain)
    return provider


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


LINKS = UnsubscribeLinks("unsubscribe-test-key-" + "0" * 43)
API = "https://api.notify.example.gov.uk"


def sender(engine: AsyncEngine, producer: EventProducer, provider: EmailProvider, domain: str) -> EmailSender:
    return EmailSender(
        ClaimStore(engine, email_send_claims),
        producer,
        provider,
        Rescheduler(producer, topics.GROUP_EMAIL_SENDER, RetryPolicy(max_attempts=3)),
        FromAddresses(None, domain),
        unsubscribe=HostedUnsubscribe(LINKS, API),
    )


def with_link(own_url: str | None = None) -> EmailRequested:
    return dataclasses.replace(email_request(unsubscribe=own_url), has_unsubscribe_link=True)


def hosted(request: EmailRequested) -> str:
    assert request.notification_id is not None
    return f"{API}/unsubscribe/{request.notification_id}/{LINKS.token(request.notification_id)}"


def parts(message: Message) -> dict[str, str]:
    return {
        # SMTP carries CRLF line ends, SES's raw data LF.
        p.get_content_type(): p.get_payload(decode=True).decode().replace("\r\n", "\n")  # type: ignore[union-attr]
        for p in message.walk()
        if not p.is_multipart()
    }


def assert_carries_the_hosted_link(message: Message, request: EmailRequested, header: str) -> None:
    link = hosted(request)
    assert message["List-Unsubscribe"] == f"<{header}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = parts(message)
    assert body["text/plain"].rstrip().endswith(f"---\n\nUnsubscribe from these emails: {link}")
    assert f'<hr>\n<p>Unsubscribe from these emails: <a href="{link}">{link}</a></p>' in body["text/html"]


async def test_ses_gets_the_hosted_link_in_the_body_and_both_headers(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, ses: SesProvider, domain: str
) -> None:
    request = with_link()
    await sender(engine, producer, ses, domain).handle([received(request)])
    [sent] = [r.event for r in await read_topic(kafka, topics.NOTIFICATION_STATUS, 1)]
    assert isinstance(sent, NotificationSentToProvider)
    assert sent.provider_reference
    [message] = raw_messages_sent_by_moto(sent.provider_reference)
    assert_carries_the_hosted_link(message, request, hosted(request))


async def test_smtp_gets_the_hosted_link_in_the_body_and_both_headers(
    engine: AsyncEngine, producer: EventProducer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    request = with_link()
    provider = SmtpProvider("127.0.0.1", port, timeout=5)
    await sender(engine, producer, provider, "mail.example.gov.uk").handle([received(request)])
    [message] = recorder.received
    assert_carries_the_hosted_link(message, request, hosted(request))


async def test_the_sends_own_one_click_url_is_the_header_and_the_body_keeps_the_hosted_link(
    engine: AsyncEngine, producer: EventProducer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    request = with_link("https://service.example.gov.uk/unsubscribe?u=1")
    provider = SmtpProvider("127.0.0.1", port, timeout=5)
    await sender(engine, producer, provider, "mail.example.gov.uk").handle([received(request)])
    [message] = recorder.received
    assert_carries_the_hosted_link(message, request, "https://service.example.gov.uk/unsubscribe?u=1")


async def test_without_the_template_flag_the_body_is_unchanged_and_no_header_is_made(
    engine: AsyncEngine, producer: EventProducer, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    request = email_request(unsubscribe=None)
    provider = SmtpProvider("127.0.0.1", port, timeout=5)
    await sender(engine, producer, provider, "mail.example.gov.uk").handle([received(request)])
    [message] = recorder.received
    assert message["List-Unsubscribe"] is None
    assert "Unsubscribe" not in parts(message)["text/plain"]
