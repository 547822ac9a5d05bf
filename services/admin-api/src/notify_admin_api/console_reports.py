"""Activity reads for the admin web console that are more than one query's worth, under
``/admin/console`` (the admin API's bearer token):

* ``GET /services/{id}/notifications.csv``: the report of sent messages, with the page's status and
  channel filters, **streamed**: rows come from a server-side cursor ``CHUNK_ROWS`` at a time and
  leave as CSV as they come, so a report of a million rows never sits in memory.
* ``GET /services/{id}/conversations/{inbound_id}``: the texts received from one number and the
  text messages sent to it, for the conversation page.

The report's columns are Notify's: Recipient, Reference, Template, Type, Sent by, Sent by email,
Job, Status, Time, API key name. *Sent by* is the console account that started a spreadsheet job
(or the name a CLI job recorded); one-off messages from the console travel the public API with the
console's key, so for them *API key name* says "Notify admin console" and *Sent by* is empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import text
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.console_reads import STATUS_FILTERS, ConsoleReads
from notify_admin_api.routes import Admin, run
from notify_common.api_errors import ApiError

router = APIRouter(prefix="/admin/console", tags=["Admin console"])
CHUNK_ROWS = 1000
LONDON = ZoneInfo("Europe/London")
COLUMNS = (
    "Recipient",
    "Reference",
    "Template",
    "Type",
    "Sent by",
    "Sent by email",
    "Job",
    "Status",
    "Time",
    "API key name",
)
TYPE_WORDS = {"sms": "sms", "email": "email", "letter": "letter"}
STATUS_WORDS = {
    "created": "Sending",
    "sending": "Sending",
    "pending": "Sending",
    "pending-virus-check": "Sending",
    "delivered": "Delivered",
    "sent": "Sent",
    "permanent-failure": "Permanent failure",
    "temporary-failure": "Temporary failure",
    "technical-failure": "Technical failure",
    "validation-failed": "Validation failed",
    "virus-scan-failed": "Virus scan failed",
    "returned-letter": "Returned letter",
    "cancelled": "Cancelled",
}
# Notify's wording where a channel says it better.
CHANNEL_STATUS_WORDS = {
    ("email", "permanent-failure"): "Email address does not exist",
    ("email", "temporary-failure"): "Inbox not accepting messages right now",
    ("sms", "permanent-failure"): "Phone number does not exist",
    ("sms", "temporary-failure"): "Phone not accepting messages right now",
    ("sms", "sent"): "Sent to an international number",
}
REPORT = """
SELECT coalesce(n.recipient_as_sent, n.recipient, n.address->>'address_line_1')
       AS recipient, n.client_reference,
       t.name AS template_name, n.notification_type, coalesce(cu.name, j.created_by) AS sent_by,
       cu.email_address AS sent_by_email, coalesce(j.original_file_name, u.original_file_name) AS job_name,
       n.status, n.created_at, k.name AS api_key_name
FROM projection_notifications n
LEFT JOIN templates t ON t.id = n.template_id
LEFT JOIN splitter_jobs j ON j.job_id = n.job_id
LEFT JOIN console_uploads u ON u.id = n.job_id
LEFT JOIN console_users cu ON cu.id::text = u.created_by
LEFT JOIN api_keys k ON k.id = n.api_key_id
WHERE {conditions}
ORDER BY n.created_at DESC
"""
SERVICE = text("SELECT name FROM services WHERE id = :service_id")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ or a control is quoted."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def report_row(row: Any) -> list[str]:
    created: datetime | None = row.created_at
    status = CHANNEL_STATUS_WORDS.get((row.notification_type, row.status)) or STATUS_WORDS.get(
        row.status, row.status
    )
    return [
        safe_cell(v)
        for v in (
            row.recipient,
            row.client_reference,
            row.template_name,
            TYPE_WORDS.get(row.notification_type or "", row.notification_type),
            row.sent_by,
            row.sent_by_email,
            row.job_name,
            status,
            created.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S") if created else "",
            row.api_key_name,
        )
    ]


def report_query(status: str, template_type: str | None) -> tuple[Any, dict[str, Any]]:
    where = ["n.service_id = :service_id", "n.created_at IS NOT NULL"]
    params: dict[str, Any] = {}
    statuses = STATUS_FILTERS[status]
    if statuses:
        where.append("n.status = ANY(:statuses)")
        params["statuses"] = list(statuses)
    if template_type:
        where.append("n.notification_type = :template_type")
        params["template_type"] = template_type
    # Only the fixed conditions above are joined in; every value is a bound parameter.
    return text(REPORT.format(conditions=" AND ".join(where))), params


async def report_lines(
    engine: AsyncEngine, service_id: str, query: Any, params: dict[str, Any]
) -> AsyncIterator[bytes]:
    """The CSV, header first, ``CHUNK_ROWS`` rows per piece, read through a server-side cursor."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield buffer.getvalue().encode()
    async with engine.connect() as conn:
        result = await conn.stream(
            query.execution_options(yield_per=CHUNK_ROWS), {"service_id": service_id, **params}
        )
        async for rows in result.partitions(CHUNK_ROWS):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(report_row(r) for r in rows)
            yield buffer.getvalue().encode()


@router.get("/services/{service_id}/notifications.csv")
async def notifications_report(
    service_id: str,
    admin: Admin,
    status: Annotated[Literal["all", "sending", "delivered", "failed"], Query()] = "all",
    template_type: Annotated[Literal["sms", "email", "letter"] | None, Query()] = None,
) -> StreamingResponse:
    try:
        async with admin.engine.connect() as conn:
            name = await conn.scalar(SERVICE, {"service_id": service_id})
    except DataError:
        raise ApiError(400, "AdminError", "Invalid identifier or value") from None
    if name is None:
        raise ApiError(404, "AdminError", "Service not found")
    query, params = report_query(status, template_type)
    return StreamingResponse(
        report_lines(admin.engine, service_id, query, params),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="notifications.csv"'},
    )


@router.get("/services/{service_id}/conversations/{inbound_id}")
async def conversation(service_id: str, inbound_id: str, admin: Admin) -> dict[str, Any]:
    return await run(ConsoleReads(admin.engine).conversation(service_id, inbound_id))
