"""Admin API routes for recipients' unsubscribe requests, under ``/admin/console`` (the admin API's
bearer token), as GOV.UK Notify's console has them (``unsubscribe_reports``):

* ``GET /services/{id}/unsubscribe-requests``: the newest requests (``limit``, at most 1000);
* ``GET /services/{id}/unsubscribe-requests/statistics``: how many are waiting, and the latest;
* ``GET /services/{id}/unsubscribe-requests/reports``: the summary (unbatched first);
* ``POST /services/{id}/unsubscribe-requests/reports``: a report of the requests in none yet;
* ``GET /services/{id}/unsubscribe-requests/reports/{report_id}``: one report with its requests;
* ``GET .../reports/{report_id}.csv`` and ``.xlsx``: its download, CSV or an Excel spreadsheet;
* ``POST .../reports/{report_id}/processed``: ``{"report_has_been_processed": true|false}``.

The downloads carry recipients' addresses: they are answered, never logged.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import xlsxwriter
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from notify_admin_api.report_csv import safe_cell
from notify_admin_api.routes import Admin, run
from notify_admin_api.unsubscribe_reports import COLUMNS, UnsubscribeReports

router = APIRouter(prefix="/admin/console/services/{service_id}/unsubscribe-requests", tags=["Admin console"])
LONDON = ZoneInfo("Europe/London")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Processed(BaseModel):
    report_has_been_processed: bool


def _reports(admin: Admin) -> UnsubscribeReports:
    return UnsubscribeReports(admin.engine)


def _cell(key: str, value: Any) -> str:
    if value and key in ("template_sent_at", "unsubscribe_request_received_at"):
        return datetime.fromisoformat(value).astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")
    return safe_cell(value)


def _table(report: dict[str, Any]) -> list[list[str]]:
    rows = [[_cell(k, row[k]) for k in COLUMNS] for row in report["unsubscribe_requests"]]
    return [list(COLUMNS.values()), *rows]


def _file_name(report: dict[str, Any], suffix: str) -> str:
    def day(value: str) -> str:
        return datetime.fromisoformat(value).astimezone(LONDON).strftime("%d-%m-%Y")

    earliest, latest = day(report["earliest_timestamp"]), day(report["latest_timestamp"])
    return f"Email unsubscribe requests {earliest} to {latest}.{suffix}"


def _download(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("")
async def requests(
    service_id: str, admin: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    return await run(_reports(admin).requests(service_id, limit))


@router.get("/statistics")
async def statistics(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(_reports(admin).statistics(service_id))


@router.get("/reports")
async def summary(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(_reports(admin).summary(service_id))


@router.post("/reports", status_code=201)
async def create(service_id: str, admin: Admin) -> dict[str, Any]:
    return await run(_reports(admin).create(service_id))


@router.get("/reports/{report_id}.csv")
async def report_csv(service_id: str, report_id: str, admin: Admin) -> Response:
    report = (await run(_reports(admin).report(service_id, report_id)))["data"]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(_table(report))
    return _download(buffer.getvalue().encode(), "text/csv; charset=utf-8", _file_name(report, "csv"))


@router.get("/reports/{report_id}.xlsx")
async def report_xlsx(service_id: str, report_id: str, admin: Admin) -> Response:
    report = (await run(_reports(admin).report(service_id, report_id)))["data"]
    buffer = io.BytesIO()
    # Every cell is written as text, so a spreadsheet never reads a value as a formula.
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("Unsubscribe requests")
    for r, row in enumerate(_table(report)):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    workbook.close()
    return _download(buffer.getvalue(), XLSX, _file_name(report, "xlsx"))


@router.get("/reports/{report_id}")
async def report(service_id: str, report_id: str, admin: Admin) -> dict[str, Any]:
    return await run(_reports(admin).report(service_id, report_id))


@router.post("/reports/{report_id}/processed")
async def processed(service_id: str, report_id: str, body: Processed, admin: Admin) -> dict[str, Any]:
    return await run(_reports(admin).mark(service_id, report_id, body.report_has_been_processed))
