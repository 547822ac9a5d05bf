"""Alembic environment: runs the migrations against NOTIFY_DATABASE_URL (synchronously)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from notify_common.db.tables import metadata
from notify_common.settings import CommonSettings

config = context.config
url = config.get_main_option("sqlalchemy.url") or CommonSettings().database_url.get_secret_value()

engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
