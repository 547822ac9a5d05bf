"""Admin API routes for reports of sent messages built in the background (docs/reports.md), under
``/admin/console``:

* ``GET /services/{id}/report-size?status=&template_type=``: how many rows the report of
  those filters has, and whether it is big enough to be built in the background
  (``NOTIFY_REPORT_STREAM_MAX_ROWS``); smaller ones are streamed (``notifications.csv``).
* ``POST /services/{id}/report-requests`` ``{"status", "template_type", "user_id"}``: 201 with the
  request (the one already being built for the same filters, if there is one).
* ``GET …/report-requests/{report_id}``: its status and progress (``rows_done`` of ``row_count``).
* ``GET …/report-requests/{report_id}.csv``: the stored report, streamed from S3; 400 before it is
  ready, 410 once its download time has passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError

from notify_admin_api.console_routes import Stores
from notify_admin_api.report_csv import count_query
from notify_admin_api.routes import answered, run
from notify_admin_api.state import State
from notify_common.api_errors import ApiError

router = APIRouter(prefix="/admin/console", tags=["Admin console"])
CHUNK_BYTES = 256 * 1024
Status = Literal["all", "sending", "delivered", "failed"]
TemplateType = Literal["sms", "email", "letter"]


class NewReport(BaseModel):
    status: Status = "all"
    template_type: TemplateType | None = None
    user_id: str | None = Field(default=None, max_length=255)


@router.get("/services/{service_id}/report-size")
async def report_size(
    service_id: str,
    console: Stores,
    state: State,
    status: Annotated[Status, Query()] = "all",
    template_type: Annotated[TemplateType | None, Query()] = None,
) -> dict[str, Any]:
    query, params = count_query(status, template_type)
    try:
        async with console.reads.engine.connect() as conn:
            count = int(await conn.scalar(query, {**params, "service_id": service_id}) or 0)
    except DataError:
        raise ApiError(400, "AdminError", "Invalid identifier or value") from None
    return {"data": {"count": count, "background": count > state.settings.report_stream_max_rows}}


@router.post("/services/{service_id}/report-requests", status_code=201)
async def request_report(service_id: str, body: NewReport, console: Stores) -> dict[str, Any]:
    filters = {"status": body.status, "template_type": body.template_type}
    return await run(console.reports.create(service_id, filters, body.user_id))


@router.get("/services/{service_id}/report-requests/{report_id}.csv")
async def download_report(service_id: str, report_id: str, console: Stores) -> StreamingResponse:
    return await csv_download(console.reports.open(service_id, report_id), "notifications.csv")


async def csv_download(opening: Awaitable[BinaryIO], filename: str) -> StreamingResponse:
    """A stored CSV file (an S3 object ``opening`` opens) streamed as a download called ``filename``."""
    stream = await answered(opening)
    return StreamingResponse(
        file_chunks(stream),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def file_chunks(stream: BinaryIO) -> AsyncIterator[bytes]:
    """A blocking stream (an S3 object's) read in a thread, piece by piece, then closed."""
    try:
        while chunk := await asyncio.to_thread(stream.read, CHUNK_BYTES):
            yield chunk
    finally:
        stream.close()


@router.get("/services/{service_id}/report-requests/{report_id}")
async def report_request(service_id: str, report_id: str, console: Stores) -> dict[str, Any]:
    return await run(console.reports.get(service_id, report_id))
