"""bench/project/live.py: what the live projector costs per SMS notification, in its own process and
in PostgreSQL, with no Kafka and nothing else running in between.

Feeds ``projection.project`` (one transaction per batch, as the projector does) the three events of
N SMS notifications (requested, sent to the provider, delivered) in the order they reach the live
projector: batch ``i`` holds the requests of ``--per-batch`` notifications, the sends of a share
``--fold`` of them (the rest follow in the next batch: their send came after the batch closed) and
the deliveries of the notifications requested ``--delivered-after`` batches earlier. Prints, per
notification: the projector's CPU (``time.process_time``), the PostgreSQL backend's CPU (from
``/proc``; the database must run on this machine), transactions, rows written per table and WAL
bytes, into a fresh database of its own on ``NOTIFY_LOCAL_PG_PORT``.

    .venv/bin/python bench/project/live.py [--notifications 30000] [--per-batch 150] [--fold 0.8]
        [--schema-sql "ALTER TABLE notifications SET (fillfactor = 80)"]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.proc import cpu_seconds  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from notify_common.db import create_engine as create_async_engine  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.events import (  # noqa: E402
    Channel,
    Event,
    NotificationDelivered,
    NotificationSentToProvider,
    SmsRequested,
)
from notify_common.settings import CommonSettings  # noqa: E402
from notify_projector.projection import project  # noqa: E402

NIL = "00000000-0000-0000-0000-000000000000"


def lifecycle(i: int, t0: datetime, service_id: str, template_id: str, key_id: str) -> list[Event]:
    nid, at = str(uuid.uuid4()), t0 + timedelta(milliseconds=3 * i)
    sent_at = at + timedelta(milliseconds=120)
    done = at + timedelta(seconds=3)
    return [
        SmsRequested(
            notification_id=nid, service_id=service_id, occurred_at=at, template_id=template_id,
            template_version=1, key_type="normal", api_key_id=key_id, job_id=None,
            job_row_number=None, client_reference=f"ref-{i}", phone_number="447700900123",
            international=False, sender="GOVUK", body=f"Your code is {i:06d}. It expires in 10 minutes.",
            fragment_count=1, rate_multiplier=1, created_at=at,
        ),
        NotificationSentToProvider(
            notification_id=nid, service_id=service_id, occurred_at=sent_at, channel=Channel.SMS,
            provider="mmg", provider_reference=nid, sent_at=sent_at, billable_units=1, international=False,
        ),
        NotificationDelivered(
            notification_id=nid, service_id=NIL, occurred_at=done, provider="mmg",
            provider_reference=nid, delivered_at=done, detail=None,
        ),
    ]  # fmt: skip


def batches(
    events: list[list[Event]], per_batch: int, fold: float, delivered_after: int
) -> list[list[Event]]:
    windows = [events[i : i + per_batch] for i in range(0, len(events), per_batch)]
    out: list[list[Event]] = [[] for _ in range(len(windows) + delivered_after + 1)]
    for b, window in enumerate(windows):
        folded = round(len(window) * fold)
        for k, (requested, sent, delivered) in enumerate(window):
            out[b].append(requested)
            out[b if k < folded else b + 1].append(sent)
            out[b + delivered_after].append(delivered)
    return [batch for batch in out if batch]


def table_writes(conn: Any) -> dict[str, tuple[int, int, int]]:
    rows = conn.execute(
        text("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables")
    ).all()
    return {name: (ins, upd, hot) for name, ins, upd, hot in rows}


async def main(opts: argparse.Namespace) -> None:
    with scratch_database("notify_bench_live") as url:
        stats = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            upgrade(url)
            if opts.schema_sql:  # a variant of the schema to compare (indexes, storage options)
                with stats.begin() as conn:
                    conn.exec_driver_sql(opts.schema_sql)
            settings = CommonSettings(database_url=SecretStr(url), log_level="WARNING")
            engine = create_async_engine(settings, pool_size=1)
            ids = (str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
            t0 = datetime.now(UTC) - timedelta(hours=1)
            events = [lifecycle(i, t0, *ids) for i in range(opts.notifications)]
            plan = batches(events, opts.per_batch, opts.fold, opts.delivered_after)
            async with engine.connect() as conn:
                backend = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            with stats.connect() as conn:
                conn.execute(text("SELECT pg_stat_force_next_flush()"))
                before_tables = table_writes(conn)
                row = conn.execute(
                    text(
                        "SELECT xact_commit, pg_current_wal_lsn() FROM pg_stat_database "
                        "WHERE datname = current_database()"
                    )
                ).one()
            xacts, lsn = int(row[0]), str(row[1])
            pg_cpu, py_cpu, wall = cpu_seconds(backend), time.process_time(), time.monotonic()
            for batch in plan:
                await project(engine, batch)
            py_cpu, wall = time.process_time() - py_cpu, time.monotonic() - wall
            pg_cpu = cpu_seconds(backend) - pg_cpu
            await engine.dispose()
            await asyncio.sleep(1.5)  # table statistics are flushed at most once a second
            with stats.connect() as conn:
                after_tables = table_writes(conn)
                row = conn.execute(
                    text(
                        "SELECT xact_commit, pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:lsn AS pg_lsn)) "
                        "FROM pg_stat_database WHERE datname = current_database()"
                    ),
                    {"lsn": lsn},
                ).one()
            n = opts.notifications
            print(
                f"{n} notifications in {len(plan)} batches ({opts.per_batch} requests each, {opts.fold:.0%} "
                f"sent in the same batch) in {wall:.1f} s; load average {os.getloadavg()[0]:.1f}"
            )
            print(
                f"RESULT per notification: projector {py_cpu / n * 1e6:.0f} µs CPU, "
                f"PostgreSQL backend {pg_cpu / n * 1e6:.0f} µs CPU, {(int(row[0]) - xacts) / n:.3f} "
                f"transactions, {float(row[1]) / n:,.0f} WAL bytes"
            )
            for table in sorted(after_tables):
                old = before_tables.get(table, (0, 0, 0))
                ins, upd, hot = (a - b for a, b in zip(after_tables[table], old, strict=True))
                if ins or upd:
                    print(f"  {table:28} inserted {ins / n:.3f} updated {upd / n:.3f} (HOT {hot / n:.3f})")
        finally:
            stats.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=30_000)
    parser.add_argument("--per-batch", type=int, default=150)
    parser.add_argument("--fold", type=float, default=0.8)
    parser.add_argument("--delivered-after", type=int, default=6)
    parser.add_argument("--schema-sql", default="", help="SQL run after the migrations, before the load")
    asyncio.run(main(parser.parse_args()))
