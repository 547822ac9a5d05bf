"""The set of notifications in flight (``notifications_in_flight``), through which the 72-hour
timeout finds the email and text messages still sending or pending: the projector keeps it in the
batch's transaction, so a timeout run finds every stuck message whenever it runs (after a restart,
or after a send projected long after it happened), retention empties it with the rows, and the
migration that made it fills it from an existing database and gives the partial index back on a
downgrade."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db import create_engine
from notify_common.db.migrate import alembic_config, upgrade
from notify_common.events import NotificationFailed
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from notify_projector.periodic import (
    PeriodicTasks,
    apply_retention,
    refill_in_flight,
    time_out_stuck,
    timeout_event,
)
from notify_projector.projection import project
from notify_projector.settings import ProjectorSettings
from tests.integration.projector.test_periodic import delivered, email, rows, sent, sms
from tests.support import env
from tests.support.lifecycle import add_service

DAY = timedelta(hours=72)


@pytest.fixture
async def db(own_database: CommonSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(own_database, pool_size=2)
    yield engine
    await engine.dispose()


async def in_flight(engine: AsyncEngine) -> list[tuple[object, ...]]:
    return await rows(engine, "SELECT CAST(id AS text) FROM notifications_in_flight")


async def test_the_set_follows_each_message_from_its_send_to_its_outcome(db: AsyncEngine) -> None:
    service, now = str(uuid.uuid4()), datetime.now(UTC)
    a, b, c = sms(service, now), email(service, now), sms(service, now)
    await project(db, [a, sent(a, now), b, c])
    assert await in_flight(db) == [(a.notification_id,)]

    await project(db, [sent(b, now, "ses-b"), sent(c, now), delivered(a, now)])
    assert await in_flight(db) == sorted([(b.notification_id,), (c.notification_id,)], key=repr)

    await project(db, [delivered(c, now), delivered(c, now)])  # a replayed delivery changes nothing
    assert await in_flight(db) == [(b.notification_id,)]


async def test_a_status_event_before_its_request_joins_the_set_when_the_request_names_the_channel(
    db: AsyncEngine,
) -> None:
    service, now = str(uuid.uuid4()), datetime.now(UTC)
    a = sms(service, now)
    await project(db, [sent(a, now)])
    assert await in_flight(db) == []  # no channel known yet: not timed out, as before

    await project(db, [a])
    assert await in_flight(db) == [(a.notification_id,)]


async def test_a_timeout_run_after_a_restart_finds_the_messages_stuck_before_it(
    own_database: CommonSettings, producer: EventProducer
) -> None:
    service, long_ago = str(uuid.uuid4()), datetime.now(UTC) - timedelta(hours=80)
    stuck = sms(service, long_ago)
    first = create_engine(own_database, pool_size=1)
    await project(first, [stuck, sent(stuck, long_ago)])
    await first.dispose()  # the projector stops; another starts

    second = create_engine(own_database, pool_size=1)
    try:
        assert await time_out_stuck(second, producer, DAY) == 1
    finally:
        await second.dispose()


async def test_sends_a_projector_without_the_set_projected_are_added_before_the_first_timeout_run(
    own_database: CommonSettings, producer: EventProducer
) -> None:
    service, long_ago = str(uuid.uuid4()), datetime.now(UTC) - timedelta(hours=80)
    stuck, done = sms(service, long_ago), sms(service, long_ago)
    engine = create_engine(own_database, pool_size=2)
    try:
        await project(engine, [stuck, sent(stuck, long_ago), done, sent(done, long_ago)])
        await project(engine, [delivered(done, long_ago)])
        async with engine.begin() as conn:  # as a projector of the version before the set left it
            await conn.execute(text("DELETE FROM notifications_in_flight"))
        assert await time_out_stuck(engine, producer, DAY) == 0

        assert await refill_in_flight(engine) == 1
        assert await in_flight(engine) == [(stuck.notification_id,)]
        assert await refill_in_flight(engine) == 0  # nothing missing any more

        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM notifications_in_flight"))
        settings = ProjectorSettings.model_construct(
            **{**own_database.model_dump(), "timeout_interval_seconds": 3600.0}
        )
        tasks = PeriodicTasks(engine, producer, settings)
        await tasks.start()  # the first timeout run refills the set, then finds the stuck send
        try:
            for _ in range(100):
                if await in_flight(engine):
                    break
                await asyncio.sleep(0.1)
        finally:
            await tasks.stop()
        assert await in_flight(engine) == [(stuck.notification_id,)]
    finally:
        await engine.dispose()


async def test_a_send_projected_long_after_it_happened_still_times_out(
    db: AsyncEngine, producer: EventProducer
) -> None:
    service, now = str(uuid.uuid4()), datetime.now(UTC)
    early, late = sms(service, now - timedelta(hours=90)), email(service, now - timedelta(hours=80))
    await project(db, [early, sent(early, early.occurred_at), late])
    assert await time_out_stuck(db, producer, DAY) == 1  # the early one; the late one is not sent yet

    await project(db, [sent(late, late.occurred_at, "ses-late")])  # sent 80 hours ago, projected now
    assert await time_out_stuck(db, producer, DAY) == 2  # the early one again (not projected yet)

    timeouts: list[NotificationFailed] = []
    async with db.connect() as conn:
        for r in (await conn.execute(text("SELECT * FROM notifications"))).mappings():
            timeouts.append(timeout_event({**r, "recipient": r["recipient_as_sent"] or r["recipient"]}))
    await project(db, timeouts)
    assert await in_flight(db) == []
    assert await time_out_stuck(db, producer, DAY) == 0


async def test_retention_takes_deleted_messages_out_of_the_set(db: AsyncEngine) -> None:
    service, old = await add_service(db), datetime.now(UTC) - timedelta(days=10)
    stuck = sms(service, old)
    await project(db, [stuck, sent(stuck, old)])
    assert await in_flight(db) == [(stuck.notification_id,)]

    assert await apply_retention(db, default_days=7, batch=10) == 1
    assert await in_flight(db) == []


def _fill_at(url: str) -> list[str]:
    engine = create_sync_engine(url)
    statement = """
        INSERT INTO notifications (id, service_id, status, notification_type, sent_at)
        VALUES (gen_random_uuid(), gen_random_uuid(), :status, :kind, now())
        RETURNING CAST(id AS text)"""
    ids = {}
    with engine.begin() as conn:
        for status, kind in (
            ("sending", "sms"), ("pending", "email"), ("delivered", "sms"), ("sending", "letter"),
            ("created", "sms"),
        ):  # fmt: skip
            ids[(status, kind)] = conn.execute(text(statement), {"status": status, "kind": kind}).scalar_one()
    engine.dispose()
    return sorted([ids[("sending", "sms")], ids[("pending", "email")]])


def _schema(url: str) -> tuple[list[str], list[str], list[str]]:
    """(the notifications' index names, their storage parameters, the tables named ``*in_flight``)."""
    engine = create_sync_engine(url)
    with engine.connect() as conn:
        indexes = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'notifications' ORDER BY 1")
        ).scalars()
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = 'notifications'")
        ).scalar()
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE tablename LIKE '%in_flight' ORDER BY 1")
        ).scalars()
        found = (list(indexes), list(options or []), list(tables))
    engine.dispose()
    return found


async def test_the_migration_fills_the_set_from_an_existing_database_and_downgrades() -> None:
    name = f"{env.TEST_DB}_flight_{uuid.uuid4().hex[:6]}"
    admin = create_sync_engine(env.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = env.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url, "0028_test_key_index")
        flying = await asyncio.to_thread(_fill_at, url)
        before = await asyncio.to_thread(_schema, url)
        assert "ix_notifications_in_flight" in before[0]

        await asyncio.to_thread(upgrade, url)
        indexes, options, tables = await asyncio.to_thread(_schema, url)
        assert "ix_notifications_in_flight" not in indexes
        assert options == ["fillfactor=70"]
        assert tables == ["notifications_in_flight"]
        engine = create_sync_engine(url)
        with engine.connect() as conn:
            found = conn.execute(text("SELECT CAST(id AS text) FROM notifications_in_flight ORDER BY 1"))
            assert list(found.scalars()) == flying
        engine.dispose()

        await asyncio.to_thread(command.downgrade, alembic_config(url), "0028_test_key_index")
        assert await asyncio.to_thread(_schema, url) == before
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
