"""Reports of sent messages too big to stream (docs/reports.md): asking the admin-api to build one
in the background, the page that shows how far it has got (it refreshes itself) and then offers the
download, and the download itself, streamed from the admin-api (which reads it from S3) for as
long as the report is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from notify_admin_console.downloads import stream_file
from notify_admin_console.security import member, rule
from notify_admin_console.web import api, form, page, redirect, user

router = APIRouter(prefix="/services/{service_id}")
STATUSES = ("all", "sending", "delivered", "failed")
TYPES = ("sms", "email", "letter")


def _path(service_id: str, rest: str = "") -> str:
    return f"/admin/console/services/{service_id}/report-requests{rest}"


@router.post("/report-requests", response_class=HTMLResponse)
@rule(member("view_activity"))
async def request_report(request: Request, service_id: str) -> Any:
    values = await form(request)
    body = {
        "status": values.get("status") if values.get("status") in STATUSES else "all",
        "template_type": values.get("template_type") if values.get("template_type") in TYPES else None,
        "user_id": user(request)["id"],
    }
    asked = await api(request).post(_path(service_id), body)
    return redirect(f"/services/{service_id}/download-report/{asked['id']}")


@router.get("/download-report/{report_id}", response_class=HTMLResponse)
@rule(member("view_activity"))
async def report_status(request: Request, service_id: str, report_id: str) -> HTMLResponse:
    found = await api(request).get(_path(service_id, f"/{report_id}"))
    return await page(request, "report_request.html", report=found)


@router.get("/report-request/{report_id}.csv", response_class=StreamingResponse)
@rule(member("view_activity"))
async def download_report(request: Request, service_id: str, report_id: str) -> StreamingResponse:
    day = datetime.now(UTC).date().isoformat()
    return await stream_file(
        request,
        _path(service_id, f"/{report_id}.csv"),
        {},
        f"sent-messages-{day}.csv",
        "text/csv; charset=utf-8",
    )
