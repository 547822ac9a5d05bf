"""The projector's periodic tasks against the real PostgreSQL and Kafka, each in a database of its
own (both work on every row): the 72-hour timeout publishes temporary failures as events, and
retention deletes personal data by each service's retention while the facts keep their counts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.db import create_engine
from notify_common.events import (
    Channel,
    EmailRequested,
    Event,
    FailureKind,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
    SmsRequested,
)
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from notify_projector.periodic import apply_retention, time_out_stuck
from notify_projector.projection import project
from tests.support.lifecycle import add_service, read_topic

TEMPLATE = "5b1b4a52-2a3c-4f6e-9d8f-0a1b2c3d4e5f"


@pytest.fixture
async def db(own_database: CommonSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(own_database, pool_size=2)
    yield engine
    await engine.dispose()


def sms(service_id: str, at: datetime, *, job_id: str | None = None) -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()), service_id=service_id, occurred_at=at, created_at=at,
        template_id=TEMPLATE, template_version=1, key_type="normal", api_key_id=str(uuid.uuid4()),
        job_id=job_id, phone_number="447700900123", international=False, sender="GOVUK",
        body="Your code is 1234", fragment_count=1,
    )  # fmt: skip


def email(service_id: str, at: datetime) -> EmailRequested:
    return EmailRequested(
        notification_id=str(uuid.uuid4()), service_id=service_id, occurred_at=at, created_at=at,
        template_id=TEMPLATE, template_version=1, key_type="normal", api_key_id=str(uuid.uuid4()),
        email_address="person@example.com", subject="Your appointment", body="See you", from_name="Service",
    )  # fmt: skip


def sent(request: SmsRequested | EmailRequested, at: datetime, reference: str | None = None) -> Event:
    channel = Channel.SMS if isinstance(request, SmsRequested) else Channel.EMAIL
    return NotificationSentToProvider(
        notification_id=request.notification_id, service_id=request.service_id, occurred_at=at,
        channel=channel, provider="mmg" if channel is Channel.SMS else "ses",
        provider_reference=reference or request.notification_id, sent_at=at, billable_units=1,
    )  # fmt: skip


def delivered(request: SmsRequested | EmailRequested, at: datetime) -> Event:
    return NotificationDelivered(
        notification_id=request.notification_id, service_id=request.service_id, occurred_at=at,
        provider="mmg", delivered_at=at,
    )  # fmt: skip


def inbound(service_id: str, at: datetime) -> InboundSmsReceived:
    return InboundSmsReceived(
        service_id=service_id, occurred_at=at, inbound_sms_id=str(uuid.uuid4()), user_number="447700900111",
        notify_number="447700900222", content="STOP", provider="mmg", received_at=at,
    )  # fmt: skip


async def rows(engine: AsyncEngine, query: str, **params: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return sorted((tuple(r) for r in (await conn.execute(text(query), params)).all()), key=repr)


# ---- timeouts -----------------------------------------------------------------------------------


async def test_notifications_still_sending_or_pending_after_72_hours_time_out_through_an_event(
    db: AsyncEngine, own_database: CommonSettings, producer: EventProducer
) -> None:
    service = str(uuid.uuid4())
    now = datetime.now(UTC)
    long_ago = now - timedelta(hours=73)
    stuck_sending, stuck_pending = sms(service, long_ago), email(service, long_ago)
    done, recent = sms(service, long_ago), sms(service, now - timedelta(hours=2))
    await project(db, [
        stuck_sending, sent(stuck_sending, long_ago),
        stuck_pending, sent(stuck_pending, long_ago, "ses-1"),
        NotificationPending(notification_id=stuck_pending.notification_id, service_id=service,
                            occurred_at=long_ago + timedelta(minutes=1), provider="ses"),
        done, sent(done, long_ago), delivered(done, long_ago + timedelta(minutes=1)),
        recent, sent(recent, now - timedelta(hours=2)),
    ])  # fmt: skip

    assert await time_out_stuck(db, producer, timedelta(hours=72)) == 2
    assert await time_out_stuck(db, producer, timedelta(hours=72)) == 2  # not projected yet: again

    published = await read_topic(own_database, topics.NOTIFICATION_STATUS, timeout=2.0)
    assert all(isinstance(e, NotificationFailed) for e in published)
    failures = [e for e in published if isinstance(e, NotificationFailed)]
    assert sorted((e.notification_id, e.failure_kind, e.reason, e.service_id) for e in failures) == sorted(
        [(n.notification_id, FailureKind.TEMPORARY_FAILURE, "timeout", service)
         for n in (stuck_sending, stuck_pending) for _ in range(2)]
    )  # fmt: skip
    assert len({e.event_id for e in failures}) == 2  # the same event both times
    # They carry what a delivery-status callback reports, so callbacks need not read the projection.
    assert {(e.notification_type, e.template_version, e.notification_sent_at is not None) for e in failures} == {
        ("sms", 1, True), ("email", 1, True),
    }  # fmt: skip

    await project(db, failures)
    states = await rows(db, "SELECT CAST(id AS text), status FROM notifications")
    assert states == sorted(
        [
            (stuck_sending.notification_id, "temporary-failure"),
            (stuck_pending.notification_id, "temporary-failure"),
            (done.notification_id, "delivered"),
            (recent.notification_id, "sending"),
        ],
        key=repr,
    )
    assert await time_out_stuck(db, producer, timedelta(hours=72)) == 0


# ---- retention ----------------------------------------------------------------------------------


async def test_retention_deletes_personal_data_past_each_services_retention_and_keeps_the_facts(
    db: AsyncEngine,
) -> None:
    default_service, keeping_service = await add_service(db), await add_service(db)
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO service_data_retention (service_id, notification_type, days_of_retention)"
                " VALUES (:s, 'sms', 30)"
            ),
            {"s": keeping_service},
        )
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=10), now - timedelta(days=1)
    old_sms, old_email, new_sms = (
        sms(default_service, old),
        email(default_service, old),
        sms(default_service, recent),
    )
    kept_sms = sms(keeping_service, old)
    old_text, new_text, kept_text = (
        inbound(default_service, old),
        inbound(default_service, recent),
        inbound(keeping_service, old),
    )
    events: list[Event] = [old_text, new_text, kept_text]
    for request in (old_sms, old_email, new_sms, kept_sms):
        at = request.occurred_at + timedelta(seconds=2)
        reference = "ses-old" if request is old_email else None
        events += [request, sent(request, at, reference), delivered(request, at + timedelta(seconds=5))]
    await project(db, events)
    facts = (
        "SELECT * FROM ft_notification_status",
        "SELECT * FROM ft_billing",
        "SELECT * FROM ft_processing_time",
    )
    facts_before = [await rows(db, q) for q in facts]
    assert all(facts_before)

    assert await apply_retention(db, default_days=7, batch=1) == 2  # one row per batch

    assert await rows(db, "SELECT CAST(id AS text) FROM notifications") == sorted(
        [(new_sms.notification_id,), (kept_sms.notification_id,)], key=repr
    )
    assert await rows(db, "SELECT CAST(id AS text) FROM inbound_sms") == sorted(
        [(new_text.inbound_sms_id,), (kept_text.inbound_sms_id,)], key=repr
    )
    assert await rows(db, "SELECT reference FROM provider_references") == []
    assert [await rows(db, q) for q in facts] == facts_before
    old_day = await rows(
        db,
        "SELECT CAST(service_id AS text), notification_type, notification_status, notification_count"
        " FROM ft_notification_status"
        " WHERE bst_date = CAST(:at AT TIME ZONE 'Europe/London' AS date) AND service_id = :s",
        at=old,
        s=default_service,
    )
    # the deleted rows are still counted
    assert old_day == [(default_service, "email", "delivered", 1), (default_service, "sms", "delivered", 1)]
    assert await apply_retention(db, default_days=7, batch=1) == 0
