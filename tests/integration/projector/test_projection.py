"""The projector's upserts against the real PostgreSQL: monotonic status whatever the order,
duplicates harmless, request columns filled in even when status events came first."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import statuses
from notify_common.events import (
    Channel,
    EmailRequested,
    Event,
    FailureKind,
    NotificationDelivered,
    NotificationFailed,
    NotificationSentToProvider,
    SmsRequested,
)
from notify_projector.projection import project
from notify_projector.tables import notifications

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def lifecycle(
    notification_id: str, service_id: str
) -> tuple[SmsRequested, NotificationSentToProvider, NotificationDelivered]:
    requested = SmsRequested(
        notification_id=notification_id,
        service_id=service_id,
        occurred_at=T0,
        template_id=str(uuid.uuid4()),
        template_version=2,
        key_type="normal",
        api_key_id=None,
        job_id=None,
        job_row_number=None,
        client_reference="ref",
        phone_number="447700900123",
        international=False,
        sender="GOVUK",
        body="Hello",
        fragment_count=1,
        rate_multiplier=1,
        created_at=T0,
    )
    sent = NotificationSentToProvider(
        notification_id=notification_id,
        service_id=service_id,
        occurred_at=T0 + timedelta(seconds=1),
        channel=Channel.SMS,
        provider="mmg",
        provider_reference=notification_id,
        sent_at=T0 + timedelta(seconds=1),
        billable_units=1,
        international=False,
    )
    delivered = NotificationDelivered(
        notification_id=notification_id,
        service_id="00000000-0000-0000-0000-000000000000",
        occurred_at=T0 + timedelta(seconds=3),
        provider="mmg",
        provider_reference=notification_id,
        delivered_at=T0 + timedelta(seconds=3),
        detail=None,
    )
    return requested, sent, delivered


async def row(engine: AsyncEngine, notification_id: str) -> dict[str, object]:
    async with engine.connect() as conn:
        result = await conn.execute(select(notifications).where(notifications.c.id == notification_id))
        return dict(result.mappings().one())


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_any_order_of_the_lifecycle_ends_delivered_with_every_column(
    engine: AsyncEngine, order: tuple[int, ...]
) -> None:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    events: tuple[Event, ...] = lifecycle(nid, sid)
    for i in order:  # one batch per event, as if each came in its own poll
        await project(engine, [events[i]])
    projected = await row(engine, nid)
    assert projected["status"] == statuses.DELIVERED
    assert projected["service_id"] == sid
    assert projected["recipient"] == "447700900123"
    assert projected["created_at"] == T0
    assert projected["sent_at"] == T0 + timedelta(seconds=1)
    assert projected["completed_at"] == T0 + timedelta(seconds=3)
    assert projected["sent_by"] == "mmg"


async def test_a_row_a_status_event_writes_first_has_the_defaults_then_its_request_fills_it(
    engine: AsyncEngine,
) -> None:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    requested, sent, _ = lifecycle(nid, sid)
    requested = dataclasses.replace(requested, international=True, rate_multiplier=2)
    await project(engine, [sent])  # its patch's null columns are not sent at all
    first = await row(engine, nid)
    assert (first["status"], first["sent_by"], first["billable_units"]) == (statuses.SENDING, "mmg", 1)
    assert (first["international"], first["rate_multiplier"]) == (False, 1)
    assert (first["created_at"], first["recipient"], first["template_id"], first["failure_reason"]) == (
        None, None, None, None,
    )  # fmt: skip
    await project(engine, [requested])
    filled = await row(engine, nid)
    assert (filled["international"], filled["rate_multiplier"]) == (True, 2)
    assert (filled["recipient"], filled["created_at"], filled["status"]) == (
        "447700900123",
        T0,
        statuses.SENDING,
    )


async def test_replaying_the_whole_lifecycle_twice_in_one_batch_changes_nothing(engine: AsyncEngine) -> None:
    nid = str(uuid.uuid4())
    events = lifecycle(nid, str(uuid.uuid4()))
    await project(engine, list(events))
    before = await row(engine, nid)
    await project(engine, [*events, *events])
    assert await row(engine, nid) == before


async def test_the_first_final_status_wins(engine: AsyncEngine) -> None:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    requested, sent, delivered = lifecycle(nid, sid)
    failed = NotificationFailed(
        notification_id=nid,
        service_id=sid,
        failure_kind=FailureKind.TEMPORARY_FAILURE,
        provider="mmg",
        reason="absent subscriber",
        failed_at=T0 + timedelta(seconds=9),
    )
    await project(engine, [requested, sent, delivered])
    await project(engine, [failed])
    assert (await row(engine, nid))["status"] == statuses.DELIVERED


async def test_the_database_rank_function_agrees_with_the_python_table(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        for status, rank in statuses.STATUS_RANK.items():
            found = (await conn.execute(text("SELECT notify_status_rank(:s)"), {"s": status})).scalar_one()
            assert found == rank, status


async def test_the_recipient_as_sent_is_kept_beside_the_normalised_one_with_the_time_it_was_held_for(
    engine: AsyncEngine,
) -> None:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    requested, sent, _ = lifecycle(nid, sid)
    held_for = T0 - timedelta(minutes=5)
    await project(engine, [sent])  # a status first, then the request fills the row
    await project(
        engine, [dataclasses.replace(requested, phone_number_as_sent="07700 900123", scheduled_for=held_for)]
    )
    projected = await row(engine, nid)
    assert projected["recipient"] == "447700900123"
    assert projected["recipient_as_sent"] == "07700 900123"
    assert projected["scheduled_for"] == held_for


async def test_an_email_keeps_its_address_as_sent_and_its_unsubscribe_link(engine: AsyncEngine) -> None:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    requested = EmailRequested(
        notification_id=nid,
        service_id=sid,
        occurred_at=T0,
        template_id=str(uuid.uuid4()),
        template_version=1,
        key_type="normal",
        email_address="someone@example.com",
        email_address_as_sent="Someone@Example.com",
        subject="Hi",
        body="Hello",
        from_name="Service",
        one_click_unsubscribe_url="https://example.gov.uk/unsubscribe",
        created_at=T0,
    )
    await project(engine, [requested])
    projected = await row(engine, nid)
    assert (projected["recipient"], projected["recipient_as_sent"]) == (
        "someone@example.com",
        "Someone@Example.com",
    )
    assert projected["one_click_unsubscribe_url"] == "https://example.gov.uk/unsubscribe"
    assert projected["scheduled_for"] is None


async def test_the_language_a_notification_was_sent_in_is_projected(engine: AsyncEngine) -> None:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    requested, _, _ = lifecycle(nid, sid)
    await project(engine, [dataclasses.replace(requested, language="cy")])
    assert (await row(engine, nid))["language"] == "cy"
