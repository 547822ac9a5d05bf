"""Helpers for the senders' integration tests: request events, records as the consumer hands them
over, and reading back what a sender wrote to a topic."""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import codec
from notify_common.events import EmailRequested, Event, LetterRequested, SmsRequested, now
from notify_common.kafka import Received, connection_options
from notify_common.settings import CommonSettings


def free_port() -> int:
    """A loopback port free right now, so concurrent test runs on one machine do not collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def sms_request(
    phone_number: str = "447700900123", *, key_type: str = "normal", body: str = "Hello"
) -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()),
        service_id=str(uuid.uuid4()),
        template_id=str(uuid.uuid4()),
        template_version=1,
        key_type=key_type,
        phone_number=phone_number,
        international=False,
        sender="GOVUK",
        body=body,
        fragment_count=1,
        created_at=now(),
    )


def email_request(
    email_address: str = "someone@example.com",
    *,
    key_type: str = "normal",
    reply_to: str | None = "replies@example.gov.uk",
    unsubscribe: str | None = "https://example.gov.uk/unsubscribe/abc",
) -> EmailRequested:
    return EmailRequested(
        notification_id=str(uuid.uuid4()),
        service_id=str(uuid.uuid4()),
        template_id=str(uuid.uuid4()),
        template_version=1,
        key_type=key_type,
        email_address=email_address,
        subject="Your appointment",
        body="Dear Ada,\n\nYour appointment is on Monday.\n\nSee https://example.gov.uk/appointments for details.",
        from_name="Example Service",
        reply_to=reply_to,
        one_click_unsubscribe_url=unsubscribe,
        created_at=now(),
    )


def letter_request(
    *,
    key_type: str = "normal",
    body: str = "Your appointment is on Monday.",
    precompiled: bool = False,
    pdf_key: str | None = None,
) -> LetterRequested:
    return LetterRequested(
        notification_id=str(uuid.uuid4()),
        service_id=str(uuid.uuid4()),
        template_id=str(uuid.uuid4()),
        template_version=1,
        key_type=key_type,
        address_lines=("Ada Lovelace", "1 Example Street", "London", "SW1A 1AA"),
        postage="second",
        subject="Your appointment",
        body=body,
        precompiled=precompiled,
        pdf_key=pdf_key,
        created_at=now(),
    )


def ident(event: Event) -> str:
    """The notification id of an event that has one."""
    assert event.notification_id is not None
    return event.notification_id


def received(event: Event, *, attempt: int = 0, topic: str = "notify.sms.requested") -> Received:
    return Received(
        topic=topic,
        partition=0,
        offset=0,
        key=(event.notification_id or "").encode(),
        event=event,
        attempt=attempt,
    )


@dataclass(frozen=True)
class Record:
    event: Event
    headers: dict[str, str]


async def read_topic(
    settings: CommonSettings, topic: str, expected: int, *, timeout: float = 20.0, settle: float = 0.5
) -> list[Record]:
    """Every record on ``topic`` once at least ``expected`` arrived (and ``settle`` more seconds
    passed with nothing new), so a test also sees records it did not expect."""
    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topic, auto_offset_reset="earliest", **connection_options(settings)
    )
    await consumer.start()
    found: list[Record] = []
    try:
        async with asyncio.timeout(timeout):
            quiet_since = asyncio.get_running_loop().time()
            while len(found) < expected or asyncio.get_running_loop().time() - quiet_since < settle:
                batches = await consumer.getmany(timeout_ms=100)
                for records in batches.values():
                    for r in records:
                        headers = {k: bytes(v).decode() for k, v in r.headers or ()}
                        found.append(Record(codec.decode(r.value or b""), headers))
                    quiet_since = asyncio.get_running_loop().time()
    finally:
        await consumer.stop()
    return found


async def holder_died_long_ago(engine: AsyncEngine, *ids: str) -> None:
    """Age the claims of ``ids`` as if their holder died an hour ago without settling them."""
    async with engine.begin() as conn:
        for claims in ("sms_send_claims", "email_send_claims", "letter_send_claims"):
            await conn.execute(
                text(
                    f"UPDATE {claims} SET claimed_at = now() - interval '1 hour' "  # noqa: S608
                    "WHERE notification_id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": list(ids)},
            )
