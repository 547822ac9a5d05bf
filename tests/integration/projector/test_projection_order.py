"""The projection does not depend on the order of the log: a stream of lifecycle events applied in
log order, and the same stream shuffled, with duplicates, in batches of random sizes, end in the
same rows of every view (notifications, jobs with their counts, inbound texts, complaints, callback
attempts, provider references and the daily facts)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import statuses
from notify_common.events import Event
from notify_projector.projection import apply
from notify_projector.shadow import create_shadow, drop_schema, use_schema
from notify_projector.tables import PROJECTION_TABLES
from tests.support.streams import lifecycle_stream


async def project_into(engine: AsyncEngine, schema: str, batches: Sequence[Sequence[Event]]) -> None:
    for batch in batches:
        async with engine.begin() as conn:
            await use_schema(conn, schema)
            await apply(conn, batch)


async def snapshot(engine: AsyncEngine, schema: str) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {}
    async with engine.connect() as conn:
        for table in PROJECTION_TABLES:
            query = text(f"SELECT * FROM {schema}.{table}")  # noqa: S608 - our own names
            rows = (await conn.execute(query)).all()
            out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture
async def schemas(engine: AsyncEngine) -> AsyncIterator[tuple[str, str]]:
    names = ("order_ordered", "order_shuffled")
    async with engine.begin() as conn:
        for name in names:
            await create_shadow(conn, name)
    yield names
    async with engine.begin() as conn:
        for name in names:
            await drop_schema(conn, name)


async def test_a_shuffled_and_duplicated_stream_projects_exactly_like_the_ordered_one(
    engine: AsyncEngine, schemas: tuple[str, str]
) -> None:
    ordered_schema, shuffled_schema = schemas
    events = [e for _, e in lifecycle_stream(600, seed=11).events]
    rng = random.Random(5)
    shuffled = events + rng.sample(events, len(events) // 3)
    rng.shuffle(shuffled)
    batches: list[list[Event]] = []
    while shuffled:
        size = rng.choice([1, 3, 17, 200])
        batches.append(shuffled[:size])
        shuffled = shuffled[size:]

    await project_into(engine, ordered_schema, [events[i : i + 100] for i in range(0, len(events), 100)])
    await project_into(engine, shuffled_schema, batches)

    ordered, reordered = await snapshot(engine, ordered_schema), await snapshot(engine, shuffled_schema)
    for table in PROJECTION_TABLES:
        assert reordered[table] == ordered[table], table
    # and the stream exercised what it is meant to
    assert len(ordered["notifications"]) == 600
    assert {row[statuses_column(ordered)] for row in ordered["notifications"]} >= {
        statuses.DELIVERED, statuses.PERMANENT_FAILURE, statuses.SENDING, statuses.CREATED, statuses.PENDING,
    }  # fmt: skip
    for table in ("jobs", "inbound_sms", "complaints", "callback_attempts", "provider_references"):
        assert ordered[table], table
    for table in ("ft_notification_status", "ft_billing", "ft_processing_time"):
        assert len(ordered[table]) > 1, table


def statuses_column(snapshot: dict[str, list[tuple[object, ...]]]) -> int:
    from notify_projector.tables import notifications

    return [c.name for c in notifications.columns].index("status")
