"""The callbacks service decides from the event and its cached configuration: events for a
service without a callback cause no database query, events that owe no callback do not hold back
other services' callbacks, ``webhook-id`` is sent unsigned and is the same on a redelivery, and a
signing secret set through the admin store is the one callbacks are signed with."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.store import AdminStore
from notify_callbacks import signing
from notify_callbacks.config import CallbackConfig
from notify_callbacks.delivery import CallbackClient
from notify_callbacks.guarded_http import GuardedSession
from notify_callbacks.handler import CallbackHandler
from notify_callbacks.store import CallbackStore
from notify_common import topics
from notify_common.db import create_engine
from notify_common.events import NotificationDelivered
from notify_common.kafka import EventProducer, Received, RetryPolicy
from notify_common.outbound import parse_networks
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings
from tests.integration.callbacks.test_callbacks import TOKEN, delivered_sms
from tests.support.lifecycle import add_callback, add_service, eventually, running_consumer
from tests.support.receiver import callback_receiver


@dataclass
class Running:
    """The callbacks consumer of a test: the events it was handed and the SQL it ran."""

    seen: list[str] = field(default_factory=list)
    statements: list[tuple[str, Any]] = field(default_factory=list)


@asynccontextmanager
async def run_callbacks(
    kafka: CommonSettings, producer: EventProducer, refresh_seconds: float
) -> AsyncIterator[Running]:
    running = Running()
    engine = create_engine(kafka, pool_size=4)

    def count(conn: object, cursor: object, statement: str, parameters: Any, *args: object) -> None:
        running.statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    client = GuardedSession(parse_networks("127.0.0.0/8"))  # the receivers are local
    store = CallbackStore(engine, SecretBox(kafka.secret_key.get_secret_value()))
    handler = CallbackHandler(
        store, CallbackConfig(store.destinations, refresh_seconds), CallbackClient(client, 1.0), producer
    )

    async def handle(batch: Sequence[Received]) -> None:
        try:
            await handler.handle(batch)
        finally:
            running.seen.extend(item.event.event_id for item in batch)

    retry = RetryPolicy(max_attempts=10, base_delay_s=0.2, max_delay_s=0.5)
    async with running_consumer(
        kafka, producer, topics.GROUP_CALLBACKS, topics.topics_read_by(topics.GROUP_CALLBACKS), handle, retry
    ):
        yield running
    await client.close()
    await engine.dispose()


@pytest.fixture
async def callbacks(kafka: CommonSettings, producer: EventProducer, database: str) -> AsyncIterator[Running]:
    async with run_callbacks(kafka, producer, refresh_seconds=0) as running:
        yield running


def sent_statuses(service_id: str, count: int) -> list[NotificationDelivered]:
    """Delivered statuses with their service but without the notification's details (as written
    before status events carried them): they owe no callback."""
    return [
        NotificationDelivered(
            notification_id=str(uuid.uuid4()),
            service_id=service_id,
            provider="ses",
            delivered_at=datetime.now(UTC),
        )
        for _ in range(count)
    ]


async def test_statuses_of_a_service_without_a_callback_cause_no_database_query(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, database: str
) -> None:
    quiet, listening = await add_service(engine), await add_service(engine)
    with callback_receiver([]) as receiver:
        await add_callback(engine, kafka, listening, "delivery_status", receiver.url, TOKEN, None)
        statuses = sent_statuses(quiet, 200)
        expected = {s.event_id for s in statuses}
        async with run_callbacks(kafka, producer, refresh_seconds=3600) as running:
            await producer.publish_many((topics.NOTIFICATION_STATUS, s) for s in statuses)
            _, wanted = delivered_sms(listening)
            await producer.publish(topics.NOTIFICATION_STATUS, wanted)
            await eventually(lambda: receiver.calls and set(running.seen) >= expected)
    quiet_ids = {str(s.notification_id) for s in statuses}
    about_quiet = [s for s, params in running.statements if any(n in str(params) for n in quiet_ids)]
    assert about_quiet == []
    # The configuration once, then the one wanted callback's ledger read and record: the body
    # comes from the event, with no read of the projection.
    assert len(running.statements) <= 3, [s for s, _ in running.statements]
    assert not any("notifications" in s for s, _ in running.statements)


async def test_statuses_that_owe_no_callback_do_not_hold_back_another_services_callback(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, callbacks: Running
) -> None:
    stuck, other = await add_service(engine), await add_service(engine)
    with callback_receiver([]) as receiver:
        await add_callback(engine, kafka, stuck, "delivery_status", receiver.url + "/stuck", TOKEN, None)
        await add_callback(engine, kafka, other, "delivery_status", receiver.url + "/other", TOKEN, None)
        unfinished = sent_statuses(stuck, 10)
        await producer.publish_many((topics.NOTIFICATION_STATUS, s) for s in unfinished)
        await eventually(lambda: set(callbacks.seen) >= {s.event_id for s in unfinished})
        _, delivered = delivered_sms(other)
        await producer.publish(topics.NOTIFICATION_STATUS, delivered)
        await eventually(lambda: receiver.calls)
    assert [c.path for c in receiver.calls] == ["/callback/other"]


async def test_webhook_id_is_sent_without_a_secret_and_is_the_same_on_a_redelivery(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, callbacks: Running
) -> None:
    service_id = await add_service(engine)
    with callback_receiver([503]) as receiver:
        await add_callback(engine, kafka, service_id, "delivery_status", receiver.url, TOKEN, None)
        _, delivered = delivered_sms(service_id)
        await producer.publish(topics.NOTIFICATION_STATUS, delivered)
        await eventually(lambda: [c for c in receiver.calls if c.answered == 200])
    ids = [c.headers.get("webhook-id") for c in receiver.calls]
    assert [c.answered for c in receiver.calls] == [503, 200]
    assert str(ids[0]).startswith("msg_")
    assert ids[0] == ids[1]
    assert "webhook-signature" not in receiver.calls[1].headers


async def test_a_signing_secret_set_through_the_admin_store_signs_the_callbacks(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, callbacks: Running
) -> None:
    service_id = await add_service(engine)
    secret = "whsec_" + base64.b64encode(uuid.uuid4().bytes * 2).decode()
    admin = AdminStore(engine, SecretBox(kafka.secret_key.get_secret_value()))
    with callback_receiver([]) as receiver:
        await add_callback(engine, kafka, service_id, "delivery_status", receiver.url, TOKEN, None)
        await admin.set_callback_signing_secret(service_id, "delivery_status", secret)
        _, delivered = delivered_sms(service_id)
        await producer.publish(topics.NOTIFICATION_STATUS, delivered)
        await eventually(lambda: receiver.calls)
    call = receiver.calls[0]
    assert signing.verify(
        secret, call.headers["webhook-id"], call.headers["webhook-timestamp"], call.body,
        call.headers["webhook-signature"],
    )  # fmt: skip
