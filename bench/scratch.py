"""A database of a benchmark's own on the local PostgreSQL, dropped when the benchmark ends."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """Creates ``<prefix>_<random>`` on the PostgreSQL of deploy/local (``NOTIFY_LOCAL_PG_PORT``,
    15432 by default) and yields its URL; drops it, with any connection still open, on the way out."""
    pg_port = os.environ.get("NOTIFY_LOCAL_PG_PORT", "15432")
    admin_url = f"postgresql+psycopg://notify@127.0.0.1:{pg_port}/postgres"
    name = f"{prefix}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
