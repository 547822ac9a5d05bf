"""The bounded engine on the real PostgreSQL, reached through a proxy the test pauses: a call
that gets no answer raises ``DatabaseUnavailable`` within the bound (not psycopg's ten-second
cancellation), also in the middle of a transaction, and the engine works again once PostgreSQL
answers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db import create_engine
from notify_common.db.bounded import DatabaseUnavailable
from notify_common.settings import CommonSettings
from tests.support import env
from tests.support.proxy import TcpProxy

pytestmark = pytest.mark.asyncio
BOUND = 1.0
# Within a generous multiple of the bound; unbounded, these calls take 10 seconds or more.
PROMPT = 6.0


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    made = TcpProxy("127.0.0.1", int(env.PG_PORT)).start()
    yield made
    made.stop()


@pytest.fixture
async def engine(proxy: TcpProxy, database: str) -> AsyncIterator[AsyncEngine]:
    url = f"postgresql+psycopg://notify@{proxy.address}/{env.TEST_DB}"
    made = create_engine(CommonSettings(database_url=SecretStr(url)), pool_size=2, timeout=BOUND)
    yield made
    await made.dispose()


async def test_a_statement_without_an_answer_mid_transaction_is_given_up_within_the_bound(
    engine: AsyncEngine, proxy: TcpProxy
) -> None:
    paused_at: list[float] = []

    async def transaction() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
            proxy.pause()
            paused_at.append(time.monotonic())
            await conn.execute(text("SELECT 2"))

    with pytest.raises(DatabaseUnavailable):
        await transaction()
    assert time.monotonic() - paused_at[0] < PROMPT
    proxy.resume()
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 3")) == 3


async def test_connecting_without_an_answer_is_given_up_within_the_bound(
    engine: AsyncEngine, proxy: TcpProxy
) -> None:
    proxy.pause()
    for _ in range(3):  # more than the pool holds: none waits on a connection given up on
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable):
            await _select_one(engine)
        assert time.monotonic() - started < PROMPT
    proxy.resume()
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 1")) == 1


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
