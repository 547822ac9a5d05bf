"""bench/project/indexes.py: which index of ``notifications`` each reader's query uses, on a table of
N rows (250,000 by default) in a fresh database of its own on ``NOTIFY_LOCAL_PG_PORT``.

The rows look like a week of a busy platform: 20 services, created evenly over 7 days, 1 % with a
test key, 10 % from CSV jobs, nearly all delivered and a few still sending or pending (the timeout
task's). Each query is one a service runs (the projector's writes, the timeout and retention tasks,
the api-gateway's and admin-api's reads through ``projection_notifications``); the plan printed is
PostgreSQL's, after ``ANALYZE``, with the indexes each one scans, and the index writes a status
change costs:

    .venv/bin/python bench/project/indexes.py [--rows 250000]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402

SERVICE = "00000000-0000-0000-0000-000000000007"
FILL = """
INSERT INTO notifications (id, service_id, template_id, template_version, notification_type, key_type,
    api_key_id, job_id, job_row_number, recipient, client_reference, status, body, created_at, sent_at,
    updated_at, completed_at, status_at, last_event_at, billable_units, sent_by)
SELECT gen_random_uuid(), ('00000000-0000-0000-0000-0000000000' || lpad((i % 20)::text, 2, '0'))::uuid,
    gen_random_uuid(), 1, CASE WHEN i % 10 = 0 THEN 'email' ELSE 'sms' END,
    CASE WHEN i % 100 = 0 THEN 'test' ELSE 'normal' END, gen_random_uuid(),
    CASE WHEN i % 10 = 3 THEN ('10000000-0000-0000-0000-0000000000' || lpad((i % 7)::text, 2, '0'))::uuid END,
    CASE WHEN i % 10 = 3 THEN i END, '4477009' || lpad((i % 100000)::text, 5, '0'), 'ref-' || i,
    CASE WHEN i % 400 = 0 THEN 'sending' WHEN i % 401 = 0 THEN 'pending' ELSE 'delivered' END,
    'Your code is ' || i, at, at + interval '1 second', at + interval '3 seconds',
    at + interval '3 seconds', at + interval '3 seconds', at + interval '3 seconds', 1, 'mmg'
FROM generate_series(1, :rows) AS i,
    LATERAL (SELECT now() - (i::float / :rows) * interval '7 days' AS at) AS t
"""
# (who, query): the readers of the projection and the projector's own statements.
QUERIES: tuple[tuple[str, str], ...] = (
    (
        "projector: lock the batch's rows",
        "SELECT id, status FROM notifications WHERE id = ANY(:ids) FOR UPDATE",
    ),
    (
        "projector: timeouts (sending/pending 72 h after sent)",
        "SELECT id FROM notifications WHERE status IN ('sending', 'pending') "
        "AND notification_type IN ('sms', 'email') AND sent_at < now() - interval '72 hours' "
        "ORDER BY sent_at LIMIT 5000",
    ),
    (
        "projector: retention (older than 7 days)",
        "SELECT n.id FROM notifications n LEFT JOIN config_service_data_retention r "
        "ON r.service_id = n.service_id AND r.notification_type = n.notification_type "
        "WHERE n.created_at < now() - make_interval(days => COALESCE(r.days_of_retention, 7)) LIMIT 50000",
    ),
    (
        "projector: retention of rows with no request",
        "SELECT id FROM notifications WHERE created_at IS NULL "
        "AND last_event_at < now() - interval '90 days' LIMIT 50000",
    ),
    (
        "api-gateway: GET one notification",
        "SELECT * FROM projection_notifications WHERE id = :one AND service_id = :service "
        "AND created_at IS NOT NULL AND (key_type <> 'test' OR key_type IS NULL)",
    ),
    (
        "api-gateway: GET the newest page",
        "SELECT * FROM projection_notifications WHERE service_id = :service AND created_at IS NOT NULL "
        "AND created_at >= now() - interval '7 days' AND (key_type <> 'test' OR key_type IS NULL) "
        "AND job_id IS NULL ORDER BY created_at DESC, id DESC LIMIT 250",
    ),
    (
        "api-gateway: GET the newest page, test key",
        "SELECT * FROM projection_notifications WHERE service_id = :service AND created_at IS NOT NULL "
        "AND created_at >= now() - interval '7 days' AND key_type = 'test' "
        "ORDER BY created_at DESC, id DESC LIMIT 250",
    ),
    (
        "api-gateway: GET by reference",
        "SELECT * FROM projection_notifications WHERE service_id = :service AND created_at IS NOT NULL "
        "AND created_at >= now() - interval '7 days' AND (key_type <> 'test' OR key_type IS NULL) "
        "AND client_reference = 'ref-20007' ORDER BY created_at DESC, id DESC LIMIT 250",
    ),
    (
        "api-gateway: GET by status",
        "SELECT * FROM projection_notifications WHERE service_id = :service AND created_at IS NOT NULL "
        "AND created_at >= now() - interval '7 days' AND (key_type <> 'test' OR key_type IS NULL) "
        "AND status IN ('sending', 'pending') ORDER BY created_at DESC, id DESC LIMIT 250",
    ),
    (
        "admin-api: dashboard, last 7 days",
        "SELECT notification_type, status, template_id, count(*) FROM projection_notifications "
        "WHERE service_id = :service AND created_at >= now() - interval '7 days' AND key_type <> 'test' "
        "AND status <> 'cancelled' GROUP BY notification_type, status, template_id",
    ),
    (
        "admin-api: a job's counts",
        "SELECT job_id, status, count(*) FROM projection_notifications WHERE service_id = :service "
        "AND job_id = ANY(CAST(ARRAY['10000000-0000-0000-0000-000000000003'] AS uuid[])) "
        "AND created_at IS NOT NULL GROUP BY job_id, status",
    ),
    (
        "admin-api: report page (keyset)",
        "SELECT id FROM projection_notifications n WHERE n.service_id = :service "
        "AND n.created_at IS NOT NULL AND n.created_at <= now() "
        "AND (n.created_at, n.id) < (now() - interval '1 day', :one) "
        "ORDER BY n.created_at DESC, n.id DESC LIMIT 1000",
    ),
    (
        "admin-api: platform search by recipient",
        "SELECT id FROM projection_notifications n WHERE n.created_at IS NOT NULL "
        "AND (n.recipient = '447700900042' OR n.client_reference = '447700900042') "
        "ORDER BY n.created_at DESC LIMIT 51",
    ),
    (
        "document-download: unsubscribe",
        "SELECT service_id FROM projection_notifications WHERE id = :one AND notification_type = 'email'",
    ),
)
INDEX = re.compile(r"(?:Index|Index Only|Bitmap Index) Scan(?: Backward)? (?:using|on) (\w+)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--plans", action="store_true", help="print each whole plan")
    args = parser.parse_args()
    with scratch_database("bench_indexes") as url:
        upgrade(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(FILL), {"rows": args.rows})
            conn.execute(text("ANALYZE notifications"))
        with engine.connect() as conn:
            first = text("SELECT id FROM notifications WHERE service_id = :s LIMIT 1")
            params = {"service": SERVICE, "one": conn.execute(first, {"s": SERVICE}).scalar_one()}
            ids = [r[0] for r in conn.execute(text("SELECT id FROM notifications LIMIT 500"))]
            indexes = conn.execute(
                text(
                    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                    "WHERE indrelid = 'notifications'::regclass ORDER BY 1"
                )
            ).all()
            print(f"notifications: {args.rows:,} rows; indexes:")
            for name, definition in indexes:
                print(f"  {name}: {definition.split(' USING ', 1)[1]}")
            print()
            for who, query in QUERIES:
                plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {query}"), {**params, "ids": ids}))
                used = sorted(set(INDEX.findall(plan))) or ["none (sequential scan)"]
                print(f"{who:55} {', '.join(used)}")
                if args.plans:
                    print(plan, "\n")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
