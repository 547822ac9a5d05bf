"""The rebuild's bulk load (staging tables, one set-based merge, aggregates computed once) ends in
exactly the rows the live projection's ``apply`` keeps, for a shuffled stream with duplicates."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import codec
from notify_projector import bulk
from notify_projector.shadow import create_shadow, drop_schema
from notify_projector.tables import PROJECTION_TABLES
from tests.integration.projector.test_projection_order import project_into, snapshot
from tests.support.streams import lifecycle_stream


@pytest.fixture
async def schemas(engine: AsyncEngine) -> AsyncIterator[tuple[str, str]]:
    names = ("bulk_applied", "bulk_loaded")
    async with engine.begin() as conn:
        for name in names:
            await create_shadow(conn, name)
    yield names
    async with engine.begin() as conn:
        for name in names:
            await drop_schema(conn, name)
        await bulk.drop_staging(conn)


async def test_the_bulk_load_projects_exactly_like_the_live_projection(
    engine: AsyncEngine, schemas: tuple[str, str]
) -> None:
    applied, loaded = schemas
    events = [e for _, e in lifecycle_stream(600, seed=13).events]
    rng = random.Random(7)
    shuffled = events + rng.sample(events, len(events) // 3)
    rng.shuffle(shuffled)
    await project_into(engine, applied, [events[i : i + 100] for i in range(0, len(events), 100)])

    async with engine.begin() as conn:
        await bulk.create_staging(conn)
    seq, workers = 0, 2  # rows numbered as the first of two workers would
    while shuffled:
        size = rng.choice([1, 50, 333])
        values, shuffled = [codec.encode(e) for e in shuffled[:size]], shuffled[size:]
        batch, seq = bulk.stage(values, seq, workers)
        assert batch.events == len(values)
        async with engine.begin() as conn:
            await bulk.write(conn, loaded, batch)
    async with engine.begin() as conn:
        await bulk.merge(conn, loaded)

    expected, actual = await snapshot(engine, applied), await snapshot(engine, loaded)
    for table in PROJECTION_TABLES:
        assert actual[table] == expected[table], table
    for table in PROJECTION_TABLES:
        assert expected[table], table
