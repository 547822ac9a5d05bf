"""The rebuild: 10,000 notifications' worth of lifecycle events on the real Kafka, projected live,
then rebuilt from the topics into fresh tables and swapped in while readers keep reading and the
live projector keeps running; every view ends identical, row for row, to the live one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, Received
from notify_common.settings import CommonSettings
from notify_projector.projection import project
from notify_projector.rebuild import rebuild
from notify_projector.tables import PROJECTION_TABLES
from tests.support.lifecycle import eventually, running_consumer
from tests.support.streams import lifecycle_stream


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {}
    async with engine.connect() as conn:
        for table in PROJECTION_TABLES:
            query = text(f"SELECT * FROM public.{table}")  # noqa: S608 - our own table names
            out[table] = sorted((tuple(r) for r in (await conn.execute(query)).all()), key=repr)
    return out


async def index_names(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        query = text("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2")
        return [(r[0], r[1]) for r in (await conn.execute(query)).all()]


async def storage_options(engine: AsyncEngine) -> list[tuple[str, object]]:
    async with engine.connect() as conn:
        query = text(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
        )
        return [(r[0], r[1]) for r in (await conn.execute(query)).all()]


async def test_a_rebuild_from_the_topics_matches_the_live_views_row_for_row_while_reads_continue(
    own_database: CommonSettings, producer: EventProducer
) -> None:
    settings = own_database
    stream = lifecycle_stream(10_000, seed=3, t0=datetime.now(UTC) - timedelta(days=1))
    for i in range(0, len(stream.events), 5000):
        await producer.publish_many(stream.events[i : i + 5000])
    engine = create_engine(settings, pool_size=4)

    async def handle(batch: Sequence[Received]) -> None:
        await project(engine, [r.event for r in batch])

    async with running_consumer(
        settings, producer, topics.GROUP_PROJECTOR, topics.topics_read_by(topics.GROUP_PROJECTOR), handle
    ) as live:
        await eventually(lambda: live.handled >= len(stream.events), timeout=120)
        before, indexes = await snapshot(engine), await index_names(engine)
        options = await storage_options(engine)
        known = next(e.notification_id for _, e in stream.events if e.notification_id is not None)

        reads, failures = 0, []
        stop = asyncio.Event()

        async def reader() -> None:
            nonlocal reads
            while not stop.is_set():
                try:
                    async with engine.connect() as conn:
                        query = text("SELECT status FROM notifications WHERE id = :id")
                        if (await conn.execute(query, {"id": known})).scalar() is None:
                            failures.append("missing")
                    reads += 1
                except Exception as exc:
                    failures.append(repr(exc))
                await asyncio.sleep(0.005)

        reading = asyncio.create_task(reader())
        report = await rebuild(settings, batch_size=5000)
        stop.set()
        await reading

    after = await snapshot(engine)
    assert report.events == len(stream.events)
    assert failures == []
    assert reads > 10
    for table in PROJECTION_TABLES:
        assert len(after[table]) == len(before[table]), table
        assert after[table] == before[table], table
    assert len(after["notifications"]) == 10_000
    assert await index_names(engine) == indexes
    assert ("notifications", ["fillfactor=70"]) in options
    assert await storage_options(engine) == options
    # Some of the stream's messages are still in flight: the rebuilt set is theirs, as the live one.
    async with engine.connect() as conn:
        flying = await conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE f.id IS NULL), count(*) FROM notifications n "
                "LEFT JOIN notifications_in_flight f ON f.id = n.id "
                "WHERE n.status IN ('sending', 'pending') AND n.notification_type IN ('sms', 'email')"
            )
        )
        missing, in_flight = flying.one()
    assert (missing, in_flight > 0, len(after["notifications_in_flight"])) == (0, True, in_flight)
    async with engine.connect() as conn:
        schemas = (
            await conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'projection_%'"))
        ).all()
    assert schemas == []
    await engine.dispose()
