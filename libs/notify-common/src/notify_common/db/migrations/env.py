"""Alembic environment: runs the migrations against NOTIFY_DATABASE_URL (synchronously).

The migrations are written by hand, never generated from the table declarations, so no
``target_metadata`` is given: each service declares its tables on a ``MetaData`` of its own, and
none of them is the whole schema."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from notify_common.settings import CommonSettings

config = context.config
url = config.get_main_option("sqlalchemy.url") or CommonSettings().database_url.get_secret_value()

engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
