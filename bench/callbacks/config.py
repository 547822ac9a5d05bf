"""bench/callbacks/config.py: CPU per reload of the callback configuration
(``CallbackStore.destinations``, which the service runs every half refresh interval, once a second
by default, whatever the traffic), with N services' delivery-status callbacks configured, against
the real PostgreSQL (``NOTIFY_LOCAL_PG_PORT``, a database of its own).

    .venv/bin/python bench/callbacks/config.py [N, default 20] [RELOADS, default 500]
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.callbacks.run import add_callback, add_service  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from notify_callbacks.__main__ import CONNECTIONS  # noqa: E402
from notify_callbacks.settings import CallbacksSettings  # noqa: E402
from notify_callbacks.store import CallbackStore  # noqa: E402
from notify_common.db import create_engine as create_async_engine  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.runtime import run_on_uvloop  # noqa: E402
from notify_common.secrets import SecretBox  # noqa: E402


async def reloads(settings: CallbacksSettings, count: int) -> float:
    """CPU seconds per reload, over ``count`` of them after one to warm the pool."""
    engine = create_async_engine(settings, pool_size=CONNECTIONS)
    store = CallbackStore(engine, SecretBox(settings.secret_key.get_secret_value()), CONNECTIONS)
    try:
        await store.destinations()
        started = time.process_time()
        for _ in range(count):
            await store.destinations()
        return (time.process_time() - started) / count
    finally:
        await engine.dispose()


def main(services: int, count: int) -> None:
    with scratch_database("notify_bench_callbacks") as url:
        settings = CallbacksSettings(database_url=SecretStr(url))
        upgrade(url)
        sync = create_engine(url)
        with sync.begin() as conn:
            for _ in range(services):
                service = str(uuid.uuid4())
                add_service(conn, service)
                add_callback(conn, settings, service, "https://receiver.example/callback")
        sync.dispose()
        spent = run_on_uvloop(reloads(settings, count))
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"RESULT config reload: {services} callbacks, {spent * 1e6:,.0f} µs CPU a reload (load {load})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, int(sys.argv[2]) if len(sys.argv) > 2 else 500)
