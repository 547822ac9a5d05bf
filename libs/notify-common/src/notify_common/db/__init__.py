"""PostgreSQL access: table definitions, engine creation and Alembic migrations."""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from notify_common.db.bounded import BoundedEngine
from notify_common.settings import CommonSettings


def create_engine(
    settings: CommonSettings, *, pool_size: int = 10, timeout: float | None = None
) -> AsyncEngine:
    """An async engine (psycopg 3) for the configured database. With ``timeout`` (seconds), waiting
    for a connection, connecting and every statement are bounded by it (``bounded``)."""
    if timeout is None:
        return create_async_engine(
            settings.database_url.get_secret_value(),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
        )
    engine = create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=timeout,
        # libpq counts whole seconds and takes at least 2.
        connect_args={"connect_timeout": max(2, math.ceil(timeout))},
    )
    return BoundedEngine(engine.sync_engine)
