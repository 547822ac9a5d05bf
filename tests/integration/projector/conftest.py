"""Fixtures of the lifecycle integration tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text

from notify_common.db.migrate import upgrade
from notify_common.settings import CommonSettings
from tests.support import env


@pytest.fixture
async def own_database(kafka: CommonSettings) -> AsyncIterator[CommonSettings]:
    """A database of this test's own (the rebuild replaces whole tables; retention and timeouts
    work on every row), with the test's own topics."""
    name = f"{env.TEST_DB}_own_{uuid.uuid4().hex[:6]}"
    admin = create_sync_engine(env.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = env.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    await asyncio.to_thread(upgrade, url)
    yield kafka.model_copy(update={"database_url": SecretStr(url)})
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
