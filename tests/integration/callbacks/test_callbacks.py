"""The callbacks service against a real HTTP receiver, real Kafka and PostgreSQL: retries with
backoff on 5xx, 429 and timeouts, none on other 4xx; the callback arrives once with Notify's
payload, the bearer token and a valid Standard Webhooks signature; every attempt is an event."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_callbacks import signing
from notify_callbacks.config import CallbackConfig
from notify_callbacks.delivery import CallbackClient
from notify_callbacks.guarded_http import GuardedSession
from notify_callbacks.handler import CallbackHandler
from notify_callbacks.store import CallbackStore
from notify_common import topics
from notify_common.db import create_engine
from notify_common.events import (
    CallbackAttempted,
    CallbackOutcome,
    InboundSmsReceived,
    NotificationDelivered,
    SmsRequested,
    facts_of,
)
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.outbound import parse_networks
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings
from tests.support.lifecycle import (
    add_callback,
    add_service,
    eventually,
    read_topic,
    running_consumer,
)
from tests.support.receiver import Receiver, callback_receiver

SECRET = "whsec_" + base64.b64encode(b"a-very-secret-signing-key-32byte").decode()
TOKEN = "bearer-token-of-the-service"


@pytest.fixture
async def callbacks(kafka: CommonSettings, producer: EventProducer, database: str) -> AsyncIterator[None]:
    engine = create_engine(kafka, pool_size=4)
    client = GuardedSession(parse_networks("127.0.0.0/8"))  # the receivers are local
    store = CallbackStore(engine, SecretBox(kafka.secret_key.get_secret_value()))
    handler = CallbackHandler(
        store,
        CallbackConfig(store.destinations, refresh_seconds=0),
        CallbackClient(client, timeout_seconds=1.0),
        producer,
        max_attempts=5,
    )
    retry = RetryPolicy(max_attempts=10, base_delay_s=0.2, max_delay_s=0.5)
    async with running_consumer(
        kafka,
        producer,
        topics.GROUP_CALLBACKS,
        topics.topics_read_by(topics.GROUP_CALLBACKS),
        handler.handle,
        retry,
    ):
        yield
    await client.close()
    await engine.dispose()


def delivered_sms(service_id: str) -> tuple[str, NotificationDelivered]:
    """A delivered status as the receipts service publishes it: with the request's details."""
    nid, now = str(uuid.uuid4()), datetime.now(UTC)
    requested = SmsRequested(
        notification_id=nid, service_id=service_id, template_id=str(uuid.uuid4()), template_version=3,
        key_type="normal", client_reference="their-ref", phone_number="447700900123", international=False,
        sender="GOVUK", body="Hi", fragment_count=1, created_at=now, phone_number_as_sent="07700 900123",
    )  # fmt: skip
    delivered = NotificationDelivered(
        notification_id=nid, service_id=service_id, provider="mmg", delivered_at=now + timedelta(seconds=2),
        notification_sent_at=now + timedelta(seconds=1), **facts_of(requested),
    )  # fmt: skip
    return nid, delivered


def successful(receiver: Receiver) -> list[object]:
    return [c for c in receiver.calls if c.answered == 200]


async def test_a_delivery_callback_is_retried_after_failures_and_arrives_once_signed(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, callbacks: None
) -> None:
    service_id = await add_service(engine)
    with callback_receiver([500, 429, 503]) as receiver:
        await add_callback(engine, kafka, service_id, "delivery_status", receiver.url, TOKEN, SECRET)
        nid, delivered = delivered_sms(service_id)
        await producer.publish(topics.NOTIFICATION_STATUS, delivered)
        await producer.publish(topics.NOTIFICATION_STATUS, delivered)  # a duplicate receipt
        await eventually(lambda: successful(receiver))
        await asyncio.sleep(1.5)  # long enough for a wrongly repeated callback to show up

    assert [c.answered for c in receiver.calls] == [500, 429, 503, 200]
    call = receiver.calls[-1]
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.headers["content-type"] == "application/json"
    assert len({c.headers["webhook-id"] for c in receiver.calls}) == 1
    assert signing.verify(
        SECRET, call.headers["webhook-id"], call.headers["webhook-timestamp"], call.body,
        call.headers["webhook-signature"],
    )  # fmt: skip
    assert not signing.verify("whsec_" + base64.b64encode(b"another").decode(), call.headers["webhook-id"],
                              call.headers["webhook-timestamp"], call.body, call.headers["webhook-signature"])  # fmt: skip
    payload = orjson.loads(call.body)
    assert payload["id"] == nid
    assert payload["reference"] == "their-ref"
    assert payload["to"] == "07700 900123"  # as the service sent it, as in Notify
    assert payload["status"] == "delivered"
    assert payload["notification_type"] == "sms"
    assert payload["template_version"] == 3
    assert payload["completed_at"].endswith("Z")
    assert set(payload) == {
        "id", "reference", "to", "status", "created_at", "completed_at", "sent_at", "notification_type",
        "template_id", "template_version",
    }  # fmt: skip

    attempts = [
        e for e in await read_topic(kafka, topics.CALLBACK_OUTCOMES) if isinstance(e, CallbackAttempted)
    ]
    assert [(a.attempt, a.outcome, a.status_code) for a in attempts] == [
        (1, CallbackOutcome.RETRYING, 500),
        (2, CallbackOutcome.RETRYING, 429),
        (3, CallbackOutcome.RETRYING, 503),
        (4, CallbackOutcome.SUCCEEDED, 200),
    ]
    assert all(a.notification_id == nid and a.service_id == service_id for a in attempts)


async def test_a_callback_answered_with_a_4xx_is_not_retried(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, callbacks: None
) -> None:
    service_id = await add_service(engine)
    with callback_receiver([404]) as receiver:
        await add_callback(engine, kafka, service_id, "delivery_status", receiver.url, TOKEN, None)
        _, delivered = delivered_sms(service_id)
        await producer.publish(topics.NOTIFICATION_STATUS, delivered)
        await eventually(lambda: receiver.calls)
        await asyncio.sleep(1.5)
    assert [c.answered for c in receiver.calls] == [404]
    assert "webhook-signature" not in receiver.calls[0].headers  # no secret configured
    attempts = [
        e for e in await read_topic(kafka, topics.CALLBACK_OUTCOMES) if isinstance(e, CallbackAttempted)
    ]
    assert [(a.attempt, a.outcome) for a in attempts] == [(1, CallbackOutcome.FAILED)]


async def test_a_callback_is_given_up_after_five_attempts(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, callbacks: None
) -> None:
    service_id = await add_service(engine)
    with callback_receiver([500] * 10) as receiver:
        await add_callback(engine, kafka, service_id, "delivery_status", receiver.url, TOKEN, None)
        _, delivered = delivered_sms(service_id)
        await producer.publish(topics.NOTIFICATION_STATUS, delivered)
        await eventually(lambda: len(receiver.calls) >= 5)
        await asyncio.sleep(2.0)
    assert len(receiver.calls) == 5
    attempts = [
        e for e in await read_topic(kafka, topics.CALLBACK_OUTCOMES) if isinstance(e, CallbackAttempted)
    ]
    assert [a.outcome for a in attempts] == [CallbackOutcome.RETRYING] * 4 + [CallbackOutcome.FAILED]


async def test_an_inbound_text_is_forwarded_to_the_services_inbound_callback(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, callbacks: None
) -> None:
    service_id = await add_service(engine)
    with callback_receiver([]) as receiver:
        await add_callback(engine, kafka, service_id, "inbound_sms", receiver.url, TOKEN, SECRET)
        inbound = InboundSmsReceived(
            service_id=service_id, inbound_sms_id=str(uuid.uuid4()), user_number="447700900111",
            notify_number="07700900222", content="Hello Notify!", provider="mmg",
            received_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        )  # fmt: skip
        await producer.publish(topics.INBOUND_SMS, inbound)
        await eventually(lambda: receiver.calls)
    assert orjson.loads(receiver.calls[0].body) == {
        "id": inbound.inbound_sms_id,
        "source_number": "447700900111",
        "destination_number": "07700900222",
        "message": "Hello Notify!",
        "date_received": "2026-11-01T12:00:00.000000Z",
    }
