"""The projector waits out an unavailable database: records read while PostgreSQL refuses its
connections are held back and projected once it is back, none is dead-lettered or retried through
the retry topic, and the views end exactly as if there had been no outage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, Received, RetryPolicy
from notify_common.settings import CommonSettings
from notify_projector.projection import project
from notify_projector.shadow import create_shadow
from tests.integration.projector.test_projection_order import project_into, snapshot
from tests.support import env
from tests.support.lifecycle import eventually, read_topic, running_consumer
from tests.support.streams import lifecycle_stream

FAST_PAUSES = RetryPolicy(unavailable_base_delay_s=0.1, unavailable_max_delay_s=1.0)


def _set_connections(database: str, *, allowed: bool) -> None:
    admin = create_sync_engine(env.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                )
    finally:
        admin.dispose()


@asynccontextmanager
async def unavailable(database: str) -> AsyncIterator[None]:
    """The test's own database refuses new connections and its open ones are terminated (as in
    a restart), without touching the shared server or anyone else's database."""
    await asyncio.to_thread(_set_connections, database, allowed=False)
    try:
        yield
    finally:
        await asyncio.to_thread(_set_connections, database, allowed=True)


async def test_the_projector_waits_out_an_unavailable_database_and_loses_no_fact(
    own_database: CommonSettings, producer: EventProducer
) -> None:
    settings = own_database
    database = make_url(settings.database_url.get_secret_value()).database
    assert database is not None
    stream = lifecycle_stream(400, seed=9, t0=datetime.now(UTC) - timedelta(days=1))
    half = len(stream.events) // 2
    engine = create_engine(settings, pool_size=3)
    failures: list[str] = []

    async def handle(batch: Sequence[Received]) -> None:
        try:
            await project(engine, [r.event for r in batch])
        except Exception as exc:
            failures.append(type(exc).__name__)
            raise

    try:
        await producer.publish_many(stream.events[:half])
        async with running_consumer(
            settings,
            producer,
            topics.GROUP_PROJECTOR,
            topics.topics_read_by(topics.GROUP_PROJECTOR),
            handle,
            retry=FAST_PAUSES,
        ) as live:
            await eventually(lambda: live.handled >= half, timeout=60)
            async with unavailable(database):
                await producer.publish_many(stream.events[half:])
                await eventually(lambda: len(failures) >= 3, timeout=30)
            await eventually(lambda: live.handled >= len(stream.events), timeout=60)

        assert "OperationalError" in failures
        assert await read_topic(settings, topics.dead_letter_topic(topics.GROUP_PROJECTOR), timeout=2) == []
        assert await read_topic(settings, topics.retry_topic(topics.GROUP_PROJECTOR), timeout=2) == []
        async with engine.begin() as conn:
            await create_shadow(conn, "without_outage")
        events = [e for _, e in stream.events]
        await project_into(
            engine, "without_outage", [events[i : i + 200] for i in range(0, len(events), 200)]
        )
        assert await snapshot(engine, "public") == await snapshot(engine, "without_outage")
    finally:
        await engine.dispose()
