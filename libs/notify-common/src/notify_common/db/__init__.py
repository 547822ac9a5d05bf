"""PostgreSQL access: table definitions, engine creation and Alembic migrations."""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from notify_common.db.bounded import BoundedEngine
from notify_common.settings import CommonSettings


def create_engine(
    settings: CommonSettings, *, pool_size: int = 10, timeout: float | None = None, pre_ping: bool = True
) -> AsyncEngine:
    """An async engine (psycopg 3) for the configured database. With ``timeout`` (seconds), waiting
    for a connection, connecting and every statement are bounded by it (``bounded``).

    ``pre_ping`` has each connection taken from the pool tried with a round trip first, so one the
    server dropped (a restart) is replaced before use. Without it a dropped connection is found by
    the statement that fails on it: for a hot path whose failures are retried anyway (the senders'
    claims), a round trip per statement saved."""
    if timeout is None:
        return create_async_engine(
            settings.database_url.get_secret_value(),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=pre_ping,
        )
    engine = create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_timeout=timeout,
        # libpq counts whole seconds and takes at least 2.
        connect_args={"connect_timeout": max(2, math.ceil(timeout))},
    )
    return BoundedEngine(engine.sync_engine)
