"""bench/callbacks/ledger.py: CPU of this process per ledger read and per ledger write of a batch
of 200 callbacks (``notify_callbacks.store.CallbackStore.ledgers`` and ``record``), against the
PostgreSQL of deploy/local (``NOTIFY_LOCAL_PG_PORT``) in a database of its own, on uvloop as the
service runs. Each figure is the mean of 20 calls, three rounds of fresh keys. BATCH (200 unless
given) is the callbacks per statement; on a platform at a few hundred a second a batch holds
fewer, so a statement's fixed cost weighs more there.

    .venv/bin/python bench/callbacks/ledger.py [BATCH]
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database  # noqa: E402
from notify_callbacks.settings import CallbacksSettings  # noqa: E402
from notify_callbacks.store import CallbackStore, Entry  # noqa: E402
from notify_common.db import create_engine as create_async_engine  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.runtime import run_on_uvloop  # noqa: E402
from notify_common.secrets import SecretBox  # noqa: E402

BATCH = int(sys.argv[1]) if len(sys.argv) > 1 else 200
CALLS = 20


async def measure(url: str) -> None:
    settings = CallbacksSettings(database_url=SecretStr(url), secret_key=SecretStr("bench-" + "0" * 40))
    engine = create_async_engine(settings, pool_size=10)
    store = CallbackStore(engine, SecretBox(settings.secret_key.get_secret_value()))
    service = str(uuid.uuid4())
    try:
        for _ in range(3):
            keys = [f"delivery_status:{uuid.uuid4()}:final" for _ in range(BATCH)]
            entries = [Entry(key, service, "delivery_status", 1, 0, "succeeded", 200, 30) for key in keys]
            started = time.process_time()
            for _ in range(CALLS):
                await store.record(entries)
            written = (time.process_time() - started) / CALLS
            started = time.process_time()
            for _ in range(CALLS):
                assert len(await store.ledgers(keys)) == BATCH
            read = (time.process_time() - started) / CALLS
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"RESULT ledger of {BATCH}: read {read * 1e3:.2f} ms, write {written * 1e3:.2f} ms CPU per "
                f"statement ({(read + written) / BATCH * 1e6:.1f} µs per callback) (load {load})"
            )
    finally:
        await engine.dispose()


def main() -> None:
    with scratch_database("notify_bench_ledger") as url:
        upgrade(url)
        run_on_uvloop(measure(url))


if __name__ == "__main__":
    main()
