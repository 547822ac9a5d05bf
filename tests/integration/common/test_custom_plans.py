"""``create_engine(custom_plans=True)`` on the real PostgreSQL: a batch look-up by primary key that
psycopg prepared while its table was empty reads the table through its index once the table has
grown, where an engine without the option keeps the plan PostgreSQL made for the empty table (a
sequential scan of every row) until the table is next analysed."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.db import create_engine
from notify_common.settings import CommonSettings

pytestmark = pytest.mark.asyncio
# As the callbacks service's ledger looks a batch of keys up.
LOOKUP = (
    "SELECT key FROM {table} WHERE key = ANY(ARRAY(SELECT json_array_elements_text(CAST(%(keys)s AS json))))"
)
ROWS = 20_000


@pytest.fixture
async def table(database: str) -> AsyncIterator[str]:
    name = f"plans_{uuid.uuid4().hex[:12]}"
    setup = create_engine(CommonSettings(database_url=SecretStr(database)), pool_size=1)
    async with setup.connect() as conn:
        raw = await _driver(conn)
        # Not analysed while the test runs: as a new table is until autovacuum's next round.
        await raw.execute(
            f"CREATE TABLE {name} (key varchar(128) PRIMARY KEY) WITH (autovacuum_enabled = false)"
        )
        await raw.commit()
    yield name
    async with setup.connect() as conn:
        raw = await _driver(conn)
        await raw.execute(f"DROP TABLE {name}")
        await raw.commit()
    await setup.dispose()


async def _driver(conn: Any) -> psycopg.AsyncConnection[Any]:
    driver = (await conn.get_raw_connection()).driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)
    return driver


async def _plan_after_growth(engine: AsyncEngine, table: str) -> tuple[str, int]:
    """The plan the look-up runs with once the table has grown, and how many generic plans
    PostgreSQL used for it."""
    keys = json.dumps([uuid.uuid4().hex for _ in range(100)])
    query = LOOKUP.format(table=table)
    async with engine.connect() as conn:
        raw = await _driver(conn)
        for _ in range(20):  # prepared by psycopg after 5; a generic plan considered after 5 more
            await raw.execute(query, {"keys": keys})
        grow = sql.SQL("INSERT INTO {} SELECT md5(g::text) FROM generate_series(1, {}) g")
        await raw.execute(grow.format(sql.Identifier(table), sql.Literal(ROWS)))
        await raw.execute(query, {"keys": keys})
        row = await (
            await raw.execute(
                "SELECT name, generic_plans FROM pg_prepared_statements WHERE statement LIKE %(q)s",
                {"q": f"%FROM {table} WHERE%"},
            )
        ).fetchone()
        assert row is not None, "psycopg did not prepare the look-up"
        name, generic = row
        explain = sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE {}({})").format(
            sql.Identifier(name), sql.Literal(keys)
        )
        plan = await (await raw.execute(explain)).fetchone()
        await raw.rollback()
    assert plan is not None
    return json.dumps(plan[0]), int(generic)


async def test_a_batch_look_up_prepared_on_an_empty_table_uses_the_index_once_it_has_grown(
    database: str, table: str
) -> None:
    engine = create_engine(CommonSettings(database_url=SecretStr(database)), pool_size=1, custom_plans=True)
    try:
        plan, generic = await _plan_after_growth(engine, table)
    finally:
        await engine.dispose()
    assert generic == 0
    assert "Seq Scan" not in plan
    assert f"{table}_pkey" in plan


async def test_without_custom_plans_the_plan_made_for_the_empty_table_is_kept(
    database: str, table: str
) -> None:
    # What the option is for: without it the look-up keeps reading every row.
    engine = create_engine(CommonSettings(database_url=SecretStr(database)), pool_size=1)
    try:
        plan, generic = await _plan_after_growth(engine, table)
    finally:
        await engine.dispose()
    assert generic > 0
    assert "Seq Scan" in plan


@pytest.mark.parametrize("timeout", [None, 5.0], ids=["unbounded", "bounded"])
async def test_options_the_database_url_gives_are_kept(database: str, timeout: float | None) -> None:
    # Bounded (as the receipts service's engines are), the engine adds libpq's connect_timeout too.
    separator = "&" if "?" in database else "?"
    url = f"{database}{separator}options={quote('-c statement_timeout=12345')}"
    engine = create_engine(
        CommonSettings(database_url=SecretStr(url)), pool_size=1, timeout=timeout, custom_plans=True
    )
    try:
        async with engine.connect() as conn:
            raw = await _driver(conn)
            timeout = await (await raw.execute("SHOW statement_timeout")).fetchone()
            mode = await (await raw.execute("SHOW plan_cache_mode")).fetchone()
            await raw.rollback()
    finally:
        await engine.dispose()
    assert timeout == ("12345ms",)
    assert mode == ("force_custom_plan",)
