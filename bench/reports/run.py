"""Benchmark: a report of sent messages built in the background (docs/reports.md), at the largest
size Notify offers (800,000 rows by default).

1. A database of its own (migrated), one service, and ``--rows`` sent messages (a mix of channels,
   statuses, templates, API keys and jobs, so the report's joins have work to do), written with
   ``COPY``.
2. A report request for every message, built by the admin-api's ``ReportBuilder`` in a child
   process of its own (as a replica's background loop builds it), into moto's S3.
3. Reported: rows, wall seconds, rows/s, the builder's CPU seconds and its peak RSS (the child's
   ``ru_maxrss``), the stored file's size, and that it has every row. The builder holds one page of
   rows and one part of CSV at a time, so its peak RSS should not grow with the report.

Run: ``.venv/bin/python bench/reports/run.py [--rows 800000]`` with the local infrastructure up
(``bash deploy/local/infra.sh start``). Figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support import env  # noqa: E402

BUCKET = "notify-bench-reports"
CHUNK = 50_000


def seed(database_url: str, rows: int) -> str:
    """A service with ``rows`` sent messages; its id."""
    engine = create_engine(database_url)
    service_id = str(uuid.uuid4())
    templates = [str(uuid.uuid4()) for _ in range(5)]
    keys = [str(uuid.uuid4()) for _ in range(2)]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO services (id, name, email_from) VALUES (:id, 'Bench reports', 'bench.reports')"
            ),
            {"id": service_id},
        )
        for i, template_id in enumerate(templates):
            conn.execute(
                text(
                    "INSERT INTO templates (id, service_id, name, template_type, content, version) "
                    "VALUES (:id, :service_id, :name, 'sms', 'Hello ((name))', 1)"
                ),
                {"id": template_id, "service_id": service_id, "name": f"Template {i}"},
            )
        for i, key_id in enumerate(keys):
            conn.execute(
                text(
                    "INSERT INTO api_keys (id, service_id, name, secret, key_type) "
                    "VALUES (:id, :service_id, :name, 'x', 'normal')"
                ),
                {"id": key_id, "service_id": service_id, "name": f"key {i}"},
            )
    statuses = ("delivered", "permanent-failure", "temporary-failure", "sending", "delivered")
    start = datetime(2026, 7, 1, tzinfo=UTC)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        columns = (
            "id, service_id, template_id, template_version, notification_type, key_type, recipient, status, "
            "created_at, api_key_id, client_reference"
        )
        with cursor.copy(f"COPY notifications ({columns}) FROM STDIN") as copy:
            for first in range(0, rows, CHUNK):
                buffer = io.StringIO()
                for i in range(first, min(first + CHUNK, rows)):
                    channel = "email" if i % 4 == 0 else "sms"
                    email = f"person{i}@example.gov.uk"
                    recipient = email if channel == "email" else f"4477009{i % 10**5:05d}"
                    created = (start + timedelta(milliseconds=i * 100)).isoformat()
                    cells = (
                        uuid.uuid4(),
                        service_id,
                        templates[i % 5],
                        1,
                        channel,
                        "normal",
                        recipient,
                        statuses[i % 5],
                        created,
                        keys[i % 2],
                        f"ref-{i}",
                    )
                    buffer.write("\t".join(map(str, cells)) + "\n")
                copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return service_id


async def build(database_url: str, report_id: str) -> None:
    """The child: claim the request and build it, as the admin-api's background loop does."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from notify_admin_api.report_requests import ReportBuilder, ReportFiles
    from notify_common.settings import CommonSettings

    settings = CommonSettings(
        database_url=database_url, aws_endpoint_url=env.MOTO_URL, aws_region="eu-west-2"
    )
    engine = create_async_engine(database_url)
    builder = ReportBuilder(
        engine, ReportFiles(settings, BUCKET), keep=timedelta(hours=1), stale_after=timedelta(minutes=5)
    )
    built = await builder.build_next()
    assert built == report_id, built
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=800_000)
    parser.add_argument("--build", nargs=2, metavar=("DATABASE_URL", "REPORT_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    if args.build:
        asyncio.run(build(*args.build))
        return

    from notify_common.db.migrate import upgrade

    db_name = f"notify_bench_reports_{uuid.uuid4().hex[:8]}"
    admin = create_engine(env.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    database_url = env.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}"
    try:
        upgrade(database_url)
        began = time.monotonic()
        service_id = seed(database_url, args.rows)
        print(f"seeded {args.rows:,} messages in {time.monotonic() - began:.1f} s", flush=True)
        engine = create_engine(database_url)
        report_id = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(text("ANALYZE notifications"))
            conn.execute(
                text(
                    "INSERT INTO report_requests (id, service_id, filters) "
                    "VALUES (:id, :service_id, CAST(:filters AS jsonb))"
                ),
                {"id": report_id, "service_id": service_id, "filters": json.dumps({"status": "all"})},
            )
        began = time.monotonic()
        child = [sys.executable, __file__, "--build", database_url, report_id]
        subprocess.run(child, check=True, cwd=ROOT, env=os.environ)
        wall = time.monotonic() - began
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        with engine.connect() as conn:
            done, key = conn.execute(
                text("SELECT rows_done, object_key FROM report_requests WHERE id = :id"), {"id": report_id}
            ).one()
        engine.dispose()
        s3 = boto3.client("s3", region_name="eu-west-2", endpoint_url=env.MOTO_URL)
        size = s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
        s3.delete_object(Bucket=BUCKET, Key=key)
        result = {
            "rows": done,
            "complete": done == args.rows,
            "wall_seconds": round(wall, 1),
            "rows_per_second": round(done / wall),
            "builder_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "builder_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "file_mb": round(size / 1024 / 1024, 1),
            "load_average": os.getloadavg()[0],
        }
        print(json.dumps(result, indent=2))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
