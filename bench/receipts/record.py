"""bench/receipts/record.py: the consumer's write of ``receipt_notifications``, in process.

Records ``--batches`` batches of ``--size`` send events with ``notify_receipts.sent.record_sent``
(whichever ``notify_receipts`` is first on the path: put an older one ahead with ``PYTHONPATH`` for
a before/after pair) on a scratch database of deploy/local's PostgreSQL, and prints the CPU per row
of this process and of its PostgreSQL backend (both from ``/proc``; the backend's is readable when
PostgreSQL runs as the same user, as deploy/local's does), and the load average.

    .venv/bin/python bench/receipts/record.py [--batches 400] [--size 50] [--no-pre-ping]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.proc import cpu_seconds  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.events import Channel, NotificationSentToProvider  # noqa: E402
from notify_common.settings import CommonSettings  # noqa: E402


def sent_event(service_id: str, row: int) -> NotificationSentToProvider:
    at, nid = datetime.now(UTC), str(uuid.uuid4())
    return NotificationSentToProvider(
        notification_id=nid, service_id=service_id, channel=Channel.SMS, provider="mmg",
        provider_reference=nid, sent_at=at, billable_units=1, notification_type="sms",
        client_reference="bench", recipient="07700900123", template_id=str(uuid.uuid4()),
        template_version=1, created_at=at, job_row_number=row,
    )  # fmt: skip


async def run(batches: int, size: int, pre_ping: bool) -> None:
    from notify_common.db import create_engine
    from notify_receipts.sent import record_sent

    with scratch_database("notify_bench_record") as db_url:
        upgrade(db_url)
        # As the service's consumer has it: bounded by its wait, and pinged or not.
        settings = CommonSettings(database_url=SecretStr(db_url))
        engine = create_engine(settings, pool_size=2, timeout=5.0, pre_ping=pre_ping)
        service_id = str(uuid.uuid4())
        work = [[sent_event(service_id, i) for i in range(size)] for _ in range(batches)]
        async with engine.connect() as conn:
            backend = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await record_sent(engine, work.pop())  # the statement prepared, the connection warm
        ours, theirs, wall = time.process_time(), cpu_seconds(backend), time.monotonic()
        for batch in work:
            await record_sent(engine, batch)
        ours, theirs = time.process_time() - ours, cpu_seconds(backend) - theirs
        wall = time.monotonic() - wall
        rows = len(work) * size
        await engine.dispose()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    pinged = "" if pre_ping else " (no pre-ping)"
    print(
        f"RESULT record_sent {len(work)} x {size}{pinged}: {ours / rows * 1e6:.1f} µs CPU per row here, "
        f"{theirs / rows * 1e6:.1f} µs in PostgreSQL, wall {wall:.1f} s (load {load})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--no-pre-ping", action="store_true", help="the engine without pre-ping")
    args = parser.parse_args()
    asyncio.run(run(args.batches, args.size, not args.no_pre_ping))


if __name__ == "__main__":
    main()
