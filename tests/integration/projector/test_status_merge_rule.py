"""The status merge rule has one meaning wherever it is written: for random event streams of one
notification (any order, duplicates, receipts before the send, several sends and outcomes, receipts
without the service id, any batch sizes), the pure fold of ``evolve.py``, the live projector's SQL
upsert (``projection.apply``, in batches) and the rebuild's bulk path (``bulk.stage``, ``write`` and
``merge``) end in the same row of the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import codec
from notify_common.events import (
    Channel,
    Event,
    FailureKind,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
    SmsRequested,
)
from notify_projector import bulk
from notify_projector.evolve import NIL_ID, fold, notification_patch
from notify_projector.projection import apply
from notify_projector.shadow import create_shadow, drop_schema, use_schema

LIVE, REBUILT = "merge_rule_live", "merge_rule_bulk"
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SERVICE = "6a1f0b8e-3c2d-4e5f-8a9b-0c1d2e3f4a5b"
MERGED = (
    "service_id", "status", "status_at", "completed_at", "failure_reason", "sent_at", "sent_by",
    "billable_units", "updated_at", "last_event_at",
)  # fmt: skip

# Times on a coarse grid (whole seconds within ten minutes), so that ties happen often.
times = st.integers(min_value=0, max_value=600).map(lambda s: START + timedelta(seconds=s))
service_ids = st.sampled_from([SERVICE, NIL_ID])  # receipts may not carry the service id


def requested(nid: str) -> st.SearchStrategy[Event]:
    return st.builds(
        lambda at, units: SmsRequested(
            notification_id=nid,
            service_id=SERVICE,
            template_id="3b2f8c4e-1a7d-4c9e-b5f0-2d6e8a1c4f7b",
            template_version=1,
            key_type="normal",
            phone_number="447700900123",
            international=False,
            sender="GOVUK",
            body="Hello",
            fragment_count=units,
            created_at=START,
            occurred_at=at,
        ),
        times,
        st.integers(1, 3),
    )


def sent(nid: str) -> st.SearchStrategy[Event]:
    return st.builds(
        lambda at, sent_at, provider, international, units: NotificationSentToProvider(
            notification_id=nid,
            service_id=SERVICE,
            channel=Channel.SMS,
            provider=provider,
            provider_reference=nid,
            sent_at=sent_at,
            billable_units=units,
            international=international,
            occurred_at=at,
        ),
        times,
        times,
        st.sampled_from(["mmg", "firetext"]),
        st.booleans(),
        st.integers(0, 3),
    )


def pending(nid: str) -> st.SearchStrategy[Event]:
    return st.builds(
        lambda at, service: NotificationPending(
            notification_id=nid, service_id=service, provider="mmg", occurred_at=at
        ),
        times,
        service_ids,
    )


def delivered(nid: str) -> st.SearchStrategy[Event]:
    return st.builds(
        lambda at, done, service: NotificationDelivered(
            notification_id=nid, service_id=service, provider="mmg", delivered_at=done, occurred_at=at
        ),
        times,
        times,
        service_ids,
    )


def failed(nid: str) -> st.SearchStrategy[Event]:
    return st.builds(
        lambda at, done, service, kind, reason: NotificationFailed(
            notification_id=nid,
            service_id=service,
            failure_kind=kind,
            provider="mmg",
            reason=reason,
            failed_at=done,
            occurred_at=at,
        ),
        times,
        times,
        service_ids,
        st.sampled_from(
            [FailureKind.TECHNICAL_FAILURE, FailureKind.TEMPORARY_FAILURE, FailureKind.PERMANENT_FAILURE]
        ),
        st.sampled_from([None, "timeout", "Absent subscriber"]),
    )


@st.composite
def streams(draw: st.DrawFn) -> tuple[str, list[list[Event]]]:
    """One notification's distinct events, delivered in any order with duplicates, in batches."""
    nid = str(draw(st.uuids(version=4)))
    kinds = st.one_of(requested(nid), sent(nid), pending(nid), delivered(nid), failed(nid))
    distinct = draw(st.lists(kinds, min_size=1, max_size=7))
    repeats = draw(st.lists(st.integers(0, len(distinct) - 1), max_size=len(distinct)))
    log = draw(st.permutations([*distinct, *(distinct[i] for i in repeats)]))
    cuts = draw(st.lists(st.booleans(), min_size=len(log), max_size=len(log)))
    batches: list[list[Event]] = [[]]
    for event, cut in zip(log, cuts, strict=True):
        if cut and batches[-1]:
            batches.append([])
        batches[-1].append(event)
    return nid, batches


@pytest.fixture
async def schemas(engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    async with engine.begin() as conn:
        for schema in (LIVE, REBUILT):
            await drop_schema(conn, schema)


async def stored(engine: AsyncEngine, schema: str, nid: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        await use_schema(conn, schema)
        row = (
            (
                await conn.execute(
                    text("SELECT * FROM notifications WHERE id = CAST(:id AS uuid)"), {"id": nid}
                )
            )
            .mappings()
            .one()
        )
    return {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row.items()}


async def project_live(engine: AsyncEngine, batches: Sequence[Sequence[Event]]) -> None:
    async with engine.begin() as conn:
        await create_shadow(conn, LIVE, secondary_indexes=False)
    for batch in batches:
        async with engine.begin() as conn:
            await use_schema(conn, LIVE)
            await apply(conn, batch)


async def project_bulk(engine: AsyncEngine, batches: Sequence[Sequence[Event]]) -> None:
    """As a rebuild does: stage every record of the log in order, then merge into empty tables."""
    async with engine.begin() as conn:
        await create_shadow(conn, REBUILT, secondary_indexes=False)
        await bulk.create_staging(conn)
    seq = 0
    for batch in batches:
        staged, seq = bulk.stage([codec.encode(e) for e in batch], seq, 1)
        async with engine.begin() as conn:
            await bulk.write(conn, REBUILT, staged)
    async with engine.begin() as conn:
        await bulk.merge(conn, REBUILT)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stream=streams())
async def test_the_fold_the_live_upsert_and_the_bulk_merge_end_in_the_same_row(
    engine: AsyncEngine, schemas: None, stream: tuple[str, list[list[Event]]]
) -> None:
    nid, batches = stream
    patch = fold([notification_patch(e) for batch in batches for e in batch])[nid]

    await project_live(engine, batches)
    await project_bulk(engine, batches)
    live, rebuilt = await stored(engine, LIVE, nid), await stored(engine, REBUILT, nid)

    folded = {name: getattr(patch, name) for name in MERGED}
    assert {name: live[name] for name in MERGED} == folded
    assert rebuilt == live
