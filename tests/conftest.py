"""Fixtures shared by the integration and end-to-end tests. They talk to the real Kafka,
PostgreSQL, Redis and moto started by ``deploy/local/infra.sh`` (``make test`` starts them); when
one cannot be reached the test errors, it is never skipped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db import create_engine as create_async_engine
from notify_common.db.migrate import upgrade
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.support import env


@pytest.fixture(scope="session")
def settings() -> CommonSettings:
    return CommonSettings(
        kafka_bootstrap_servers=env.KAFKA,
        kafka_topic_prefix=env.TOPIC_PREFIX,
        database_url=env.DATABASE_URL,
        redis_url=env.REDIS_URL,
        aws_endpoint_url=env.MOTO_URL,
    )


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """A fresh database for this run, migrated to head, dropped afterwards."""
    admin = create_engine(env.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{env.TEST_DB}"'))
        conn.execute(text(f'CREATE DATABASE "{env.TEST_DB}"'))
    upgrade(env.DATABASE_URL)
    yield env.DATABASE_URL
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{env.TEST_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def kafka_topics(settings: CommonSettings) -> Iterator[str]:
    """Every declared topic, under this run's prefix; deleted afterwards."""
    asyncio.run(provision_topics(settings))
    yield settings.kafka_topic_prefix
    asyncio.run(_delete_topics(settings))


async def _delete_topics(settings: CommonSettings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    from notify_common.kafka import connection_options

    admin = AIOKafkaAdminClient(**connection_options(settings))
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(settings.kafka_topic_prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


@pytest.fixture
async def engine(database: str, settings: CommonSettings) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(settings, pool_size=2)
    yield eng
    await eng.dispose()
