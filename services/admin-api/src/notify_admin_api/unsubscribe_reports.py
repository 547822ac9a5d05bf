"""The unsubscribe requests of a service, grouped into reports as in GOV.UK Notify's console.

The requests are the projector's (``unsubscribe_requests``, read here); the reports are this
service's own (``unsubscribe_request_reports`` and ``unsubscribe_request_report_items``):

* the requests not yet in a report show as one "unbatched" report; making a report takes exactly
  those (a request belongs to at most one report, so two people making one at once cannot put a
  request in both);
* a report's download lists the email address, template name, uploaded spreadsheet file name,
  when the email was sent and when the request was received, as CSV or as an Excel spreadsheet;
* a report is marked processed (or not) by the service; the dashboard counts the requests not in
  a processed report.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.store import AdminError

# The download's columns: Notify's names, in its order.
COLUMNS = {
    "email_address": "Email address",
    "template_name": "Template name",
    "original_file_name": "Uploaded spreadsheet file name",
    "template_sent_at": "Template sent at",
    "unsubscribe_request_received_at": "Unsubscribe request received at",
}
_UNREPORTED = """
FROM projection_unsubscribe_requests r
WHERE r.service_id = CAST(:service_id AS uuid)
  AND NOT EXISTS (
    SELECT 1 FROM unsubscribe_request_report_items i WHERE i.notification_id = r.notification_id
  )
"""
UNBATCHED = text(
    "SELECT count(*) AS count, min(r.requested_at) AS earliest, max(r.requested_at) AS latest" + _UNREPORTED
)
REPORTS = text("""
SELECT id, count, earliest_timestamp, latest_timestamp, created_at, processed_by_service_at
FROM unsubscribe_request_reports WHERE service_id = CAST(:service_id AS uuid)
ORDER BY latest_timestamp DESC, created_at DESC
""")
NEW_REPORT = text("""
INSERT INTO unsubscribe_request_reports (id, service_id, count, earliest_timestamp, latest_timestamp)
VALUES (CAST(:id AS uuid), CAST(:service_id AS uuid), 0, now(), now())
""")
TAKE = text(
    "INSERT INTO unsubscribe_request_report_items (notification_id, report_id) "
    "SELECT r.notification_id, CAST(:id AS uuid)" + _UNREPORTED + "ON CONFLICT DO NOTHING"
)
SETTLE = text("""
UPDATE unsubscribe_request_reports rep
SET count = s.n, earliest_timestamp = s.earliest, latest_timestamp = s.latest
FROM (SELECT count(*) AS n, min(r.requested_at) AS earliest, max(r.requested_at) AS latest
      FROM unsubscribe_request_report_items i JOIN projection_unsubscribe_requests r USING (notification_id)
      WHERE i.report_id = CAST(:id AS uuid)) s
WHERE rep.id = CAST(:id AS uuid)
RETURNING rep.count
""")
PROCESSED = text("""
UPDATE unsubscribe_request_reports
SET processed_by_service_at = CASE WHEN :done THEN coalesce(processed_by_service_at, now()) END
WHERE id = CAST(:id AS uuid) AND service_id = CAST(:service_id AS uuid)
RETURNING id
""")
ROWS = text("""
SELECT r.notification_id, r.email_address, coalesce(t.name, 'Deleted template') AS template_name,
       coalesce(j.original_file_name, 'N/A') AS original_file_name,
       r.notification_sent_at AS template_sent_at,
       r.requested_at AS unsubscribe_request_received_at
FROM unsubscribe_request_report_items i
JOIN projection_unsubscribe_requests r ON r.notification_id = i.notification_id
LEFT JOIN templates t ON t.id = r.template_id
LEFT JOIN projection_jobs j ON j.id = r.job_id
WHERE i.report_id = CAST(:id AS uuid) AND r.service_id = CAST(:service_id AS uuid)
ORDER BY template_name, original_file_name, template_sent_at DESC
""")
REPORT = text("""
SELECT id, count, earliest_timestamp, latest_timestamp, created_at, processed_by_service_at
FROM unsubscribe_request_reports WHERE id = CAST(:id AS uuid) AND service_id = CAST(:service_id AS uuid)
""")
STATISTICS = text("""
SELECT count(*) FILTER (WHERE rep.processed_by_service_at IS NULL) AS count,
       max(r.requested_at) AS latest
FROM projection_unsubscribe_requests r
LEFT JOIN unsubscribe_request_report_items i ON i.notification_id = r.notification_id
LEFT JOIN unsubscribe_request_reports rep ON rep.id = i.report_id
WHERE r.service_id = CAST(:service_id AS uuid)
""")
LIST = text("""
SELECT r.notification_id, r.email_address, r.template_id, r.template_version, r.requested_at,
       i.report_id
FROM projection_unsubscribe_requests r
LEFT JOIN unsubscribe_request_report_items i ON i.notification_id = r.notification_id
WHERE r.service_id = CAST(:service_id AS uuid)
ORDER BY r.requested_at DESC
LIMIT :limit
""")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _report(row: Any) -> dict[str, Any]:
    return {
        "batch_id": str(row["id"]),
        "count": row["count"],
        "earliest_timestamp": _iso(row["earliest_timestamp"]),
        "latest_timestamp": _iso(row["latest_timestamp"]),
        "created_at": _iso(row["created_at"]),
        "processed_by_service_at": _iso(row["processed_by_service_at"]),
        "is_a_batched_report": True,
    }


def _check_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise AdminError("Report not found", 404) from None


class UnsubscribeReports:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def statistics(self, service_id: str) -> dict[str, Any]:
        """Requests not in a processed report, and when the latest arrived (the dashboard's)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(STATISTICS, {"service_id": service_id})).mappings().one()
        return {"count": row["count"], "latest": _iso(row["latest"])}

    async def summary(self, service_id: str) -> list[dict[str, Any]]:
        """The requests in no report yet as one unbatched report (if any), then the reports."""
        async with self.engine.connect() as conn:
            pending = (await conn.execute(UNBATCHED, {"service_id": service_id})).mappings().one()
            reports = [
                _report(r) for r in (await conn.execute(REPORTS, {"service_id": service_id})).mappings()
            ]
        if not pending["count"]:
            return reports
        unbatched = {
            "batch_id": None,
            "count": pending["count"],
            "earliest_timestamp": _iso(pending["earliest"]),
            "latest_timestamp": _iso(pending["latest"]),
            "created_at": None,
            "processed_by_service_at": None,
            "is_a_batched_report": False,
        }
        return [unbatched, *reports]

    async def create(self, service_id: str) -> dict[str, Any]:
        """A report of every request in no report yet."""
        report_id = str(uuid.uuid4())
        params = {"id": report_id, "service_id": service_id}
        async with self.engine.begin() as conn:
            await conn.execute(NEW_REPORT, params)
            if not (await conn.execute(TAKE, params)).rowcount:
                # Raised inside the transaction, so the empty report is rolled back with it.
                raise AdminError("There are no unsubscribe requests to report")
            count = (await conn.execute(SETTLE, params)).scalar_one()
        return {"report_id": report_id, "count": count}

    async def report(self, service_id: str, report_id: str) -> dict[str, Any]:
        params = {"id": _check_id(report_id), "service_id": service_id}
        async with self.engine.connect() as conn:
            found = (await conn.execute(REPORT, params)).mappings().first()
            if found is None:
                raise AdminError("Report not found", 404)
            rows = [dict(r) for r in (await conn.execute(ROWS, params)).mappings()]
        return {
            **_report(found),
            "unsubscribe_requests": [
                {k: (str(v) if k == "notification_id" else _iso(v) if isinstance(v, datetime) else v)
                 for k, v in row.items()}
                for row in rows
            ],
        }  # fmt: skip

    async def mark(self, service_id: str, report_id: str, processed: bool) -> None:
        params = {"id": _check_id(report_id), "service_id": service_id, "done": processed}
        async with self.engine.begin() as conn:
            if (await conn.execute(PROCESSED, params)).first() is None:
                raise AdminError("Report not found", 404)

    async def requests(self, service_id: str, limit: int) -> list[dict[str, Any]]:
        """The newest requests, each with the report it is in (None if in none yet)."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(LIST, {"service_id": service_id, "limit": limit})).mappings()
            return [
                {k: (_iso(v) if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v)
                 for k, v in row.items()}
                for row in rows
            ]  # fmt: skip
