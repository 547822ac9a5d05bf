"""PostgreSQL access: table definitions, engine creation and Alembic migrations."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from notify_common.settings import CommonSettings


def create_engine(settings: CommonSettings, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine (psycopg 3) for the configured database."""
    return create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )
