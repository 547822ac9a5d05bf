"""Activity reads for the admin web console that are more than one query's worth, under
``/admin/console`` (the admin API's bearer token):

* ``GET /services/{id}/notifications.csv``: the report of sent messages, with the page's status and
  channel filters, **streamed**: rows come from a server-side cursor ``CHUNK_ROWS`` at a time and
  leave as CSV as they come, so a report of a million rows never sits in memory.
* ``GET /services/{id}/conversations/{inbound_id}``: the texts received from one number and the
  text messages sent to it, for the conversation page.

The report's columns and rows are ``report_csv``'s; a report too big to stream is built in the
background instead (``report_requests``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import text
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.console_reads import ConsoleReads
from notify_admin_api.report_csv import COLUMNS, report_query, report_row
from notify_admin_api.routes import Admin, run
from notify_common.api_errors import ApiError

router = APIRouter(prefix="/admin/console", tags=["Admin console"])
CHUNK_ROWS = 1000
SERVICE = text("SELECT name FROM services WHERE id = :service_id")


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
