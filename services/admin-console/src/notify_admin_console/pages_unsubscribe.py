"""Unsubscribe requests, as in GOV.UK Notify's console: the reports page (the requests in no report
yet first, then each report), making a report of the waiting requests, one report with its
downloads (CSV and Excel spreadsheet, streamed from the admin API) and marking it completed. The
dashboard shows how many requests wait (``dashboard.html``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from notify_admin_console.downloads import stream_file
from notify_admin_console.security import member, rule
from notify_admin_console.web import api, flash, form, page, redirect

router = APIRouter(prefix="/services/{service_id}/unsubscribe-requests")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _api_path(service_id: str, rest: str = "") -> str:
    return f"/admin/console/services/{service_id}/unsubscribe-requests{rest}"


@router.get("", response_class=HTMLResponse)
@rule(member("view_activity"))
async def reports(request: Request, service_id: str) -> HTMLResponse:
    summary = await api(request).get(_api_path(service_id, "/reports"))
    return await page(request, "unsubscribe_reports.html", reports=summary)


@router.post("/reports", response_class=HTMLResponse)
@rule(member("view_activity"))
async def create_report(request: Request, service_id: str) -> Any:
    created = await api(request).post(_api_path(service_id, "/reports"))
    return redirect(f"/services/{service_id}/unsubscribe-requests/reports/{created['report_id']}")


@router.get("/reports/{report_id}.{kind}", response_class=StreamingResponse)
@rule(member("view_activity"))
async def download(request: Request, service_id: str, report_id: str, kind: str) -> Any:
    if kind not in MEDIA:
        return redirect(f"/services/{service_id}/unsubscribe-requests/reports/{report_id}")
    report = await api(request).get(_api_path(service_id, f"/reports/{report_id}"))
    name = (
        f"Email unsubscribe requests {report['earliest_timestamp'][:10]} to {report['latest_timestamp'][:10]}"
    )
    return await stream_file(
        request, _api_path(service_id, f"/reports/{report_id}.{kind}"), {}, f"{name}.{kind}", MEDIA[kind]
    )


@router.get("/reports/{report_id}", response_class=HTMLResponse)
@rule(member("view_activity"))
async def report(request: Request, service_id: str, report_id: str) -> HTMLResponse:
    found = await api(request).get(_api_path(service_id, f"/reports/{report_id}"))
    return await page(request, "unsubscribe_report.html", report=found)


@router.post("/reports/{report_id}", response_class=HTMLResponse)
@rule(member("view_activity"))
async def mark_report(request: Request, service_id: str, report_id: str) -> Any:
    values = await form(request)
    done = values.get("report_has_been_processed") == "y"
    await api(request).post(
        _api_path(service_id, f"/reports/{report_id}/processed"), {"report_has_been_processed": done}
    )
    flash(request, "Report marked as completed" if done else "Report marked as not completed")
    return redirect(f"/services/{service_id}/unsubscribe-requests")
