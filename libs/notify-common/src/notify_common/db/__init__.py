"""PostgreSQL access: table definitions, engine creation and Alembic migrations."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from notify_common.db.bounded import BoundedEngine
from notify_common.settings import CommonSettings

# Each statement planned for the values it is run with (``custom_plans``).
CUSTOM_PLANS = "-c plan_cache_mode=force_custom_plan"


def create_engine(
    settings: CommonSettings,
    *,
    pool_size: int = 10,
    timeout: float | None = None,
    pre_ping: bool = True,
    custom_plans: bool = False,
) -> AsyncEngine:
    """An async engine (psycopg 3) for the configured database. With ``timeout`` (seconds), waiting
    for a connection, connecting and every statement are bounded by it (``bounded``).

    ``pre_ping`` has each connection taken from the pool tried with a round trip first, so one the
    server dropped (a restart) is replaced before use. Without it a dropped connection is found by
    the statement that fails on it: for a hot path whose failures are retried anyway (the senders'
    claims), a round trip per statement saved.

    ``custom_plans`` is for the engines of consumers whose statements each handle a batch (an array
    or a JSON list of rows): PostgreSQL then plans every statement for the batch it is given and
    the table as it is now, never with a plan it made earlier and kept. psycopg prepares a statement
    once it has run five times, and after five more PostgreSQL may keep one generic plan for it,
    made for no particular values and for the table as its statistics last described it. Made while
    a table was still new and nearly empty, that plan reads the whole table (cheaper then than its
    index), and it is kept until the table is next analysed: in a new deployment up to a minute of
    autovacuum's nap, during which each batch's look-up by primary key read every row. Measured on
    20,000 rows: 18 ms a statement with the kept plan, 0.25 ms planned each time (0.20 ms with a
    plan kept from after the table was analysed). Planning each statement costs tens of
    microseconds, a batch's, not a row's."""
    url = settings.database_url.get_secret_value()
    connect_args: dict[str, object] = {"options": _options(url, CUSTOM_PLANS)} if custom_plans else {}
    pool: dict[str, Any] = {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": pre_ping}
    if timeout is None:
        return create_async_engine(url, **pool, connect_args=connect_args)
    # libpq counts whole seconds and takes at least 2.
    connect_args["connect_timeout"] = max(2, math.ceil(timeout))
    engine = create_async_engine(url, **pool, pool_timeout=timeout, connect_args=connect_args)
    return BoundedEngine(engine.sync_engine)


def _options(url: str, extra: str) -> str:
    """libpq's ``options`` for ``url`` with ``extra`` added: the engine's connection arguments
    replace the URL's, so any the URL gives are kept."""
    given = make_url(url).query.get("options")
    if isinstance(given, tuple):
        given = " ".join(given)
    return f"{given} {extra}" if given else extra
