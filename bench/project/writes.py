"""bench/project/writes.py: which PostgreSQL rows, and how much WAL, a command's notifications cost.

Snapshots ``pg_stat_user_tables`` (rows inserted, updated, of which HOT, deleted, per table) and
the WAL position of the local platform's database, runs the command given after ``--`` (typically
``bench/platform/run.py --no-up ...``), waits for the statistics to be flushed, snapshots again and
prints each table's writes per notification (notifications: rows added to the ``notifications``
projection meanwhile). With ``--wal`` it also breaks the WAL written meanwhile down by record type
and by relation (``pg_walinspect``, created in the database if missing; needs a superuser, which
the local platform's ``notify`` role is).

    .venv/bin/python bench/project/writes.py [--wal] -- .venv/bin/python bench/platform/run.py \\
        --no-up --channel sms --rates 300 --seconds 20

The database is ``NOTIFY_BENCH_DATABASE_URL`` or ``notify`` on ``NOTIFY_LOCAL_PG_PORT``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

import psycopg

TABLES = """
SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del
FROM pg_stat_user_tables WHERE schemaname = 'public'
"""
Counts = dict[str, tuple[int, int, int, int]]


def database_url() -> str:
    port = os.environ.get("NOTIFY_LOCAL_PG_PORT", "15432")
    return os.environ.get("NOTIFY_BENCH_DATABASE_URL", f"postgresql://notify@127.0.0.1:{port}/notify")


def snapshot(conn: psycopg.Connection[Any]) -> tuple[Counts, int, str]:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    counts = {row[0]: (row[1], row[2], row[3], row[4]) for row in conn.execute(TABLES).fetchall()}
    row = conn.execute("SELECT count(*), pg_current_wal_lsn()::text FROM notifications").fetchone()
    assert row is not None
    return counts, int(row[0]), str(row[1])


def wal_breakdown(conn: psycopg.Connection[Any], start: str, end: str, per: int) -> None:
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    print("\nWAL by record type (bytes per notification, records per notification):")
    rows = conn.execute(
        'SELECT "resource_manager/record_type", count, combined_size, fpi_size '
        "FROM pg_get_wal_stats(%s::pg_lsn, %s::pg_lsn, true) WHERE count > 0 "
        "ORDER BY combined_size DESC LIMIT 15",
        (start, end),
    ).fetchall()
    for kind, count, size, fpi in rows:
        print(f"  {kind:40} {size / per:8.0f} B  ({fpi / per:6.0f} B full pages)  {count / per:6.2f}")
    print("\nWAL by relation (bytes per notification of the records touching it):")
    rows = conn.execute(
        """
        WITH r AS (
            SELECT record_length,
                   (regexp_match(block_ref, 'rel \\d+/\\d+/(\\d+)'))[1]::oid AS node
            FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn)
        )
        SELECT COALESCE(c.relname, r.node::text, '(no relation)'), sum(record_length), count(*)
        FROM r LEFT JOIN pg_class c ON c.relfilenode = r.node
        GROUP BY 1 ORDER BY 2 DESC LIMIT 20
        """,
        (start, end),
    ).fetchall()
    for name, size, count in rows:
        print(f"  {name:40} {int(size) / per:8.0f} B  {count / per:6.2f} records")


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--wal", action="store_true", help="break the WAL down by record type and relation")
    args.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to measure")
    opts = args.parse_args()
    command = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    with psycopg.connect(database_url(), autocommit=True) as conn:
        before, before_n, start = snapshot(conn)
        status = subprocess.call(command) if command else 0
        time.sleep(3)  # backends flush their table statistics at most once a second
        after, after_n, end = snapshot(conn)
        per = max(after_n - before_n, 1)
        print(f"\n{per} notifications projected; rows written per notification, by table:")
        print(f"  {'table':32} {'inserted':>9} {'updated':>9} {'of which HOT':>13} {'deleted':>9}")
        total = [0.0, 0.0, 0.0, 0.0]
        for name in sorted(after):
            old = before.get(name, (0, 0, 0, 0))
            diff = [a - b for a, b in zip(after[name], old, strict=True)]
            if not any(diff):
                continue
            total = [t + d / per for t, d in zip(total, diff, strict=True)]
            ins, upd, hot, dele = (d / per for d in diff)
            print(f"  {name:32} {ins:9.3f} {upd:9.3f} {hot:13.3f} {dele:9.3f}")
        print(f"  {'total':32} {total[0]:9.3f} {total[1]:9.3f} {total[2]:13.3f} {total[3]:9.3f}")
        if opts.wal:
            wal_breakdown(conn, start, end, per)
    return status


if __name__ == "__main__":
    sys.exit(main())
