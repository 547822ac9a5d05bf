"""Going live: the team's checklist and request (manage_service), and the platform admins' list of
requests with an approval that makes the service live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from notify_admin_console.api import AdminApiError
from notify_admin_console.security import SIGNED_IN, member, rule
from notify_admin_console.web import api, flash, page, platform_admin_only, redirect, user

router = APIRouter()
REVIEWING = "Your request to go live is being reviewed"


@router.get("/services/{service_id}/go-live", response_class=HTMLResponse)
@rule(member("manage_service"))
async def go_live(request: Request, service_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/go-live")
    return await page(request, "go_live.html", go_live=found, error=None)


@router.post("/services/{service_id}/go-live", response_class=HTMLResponse)
@rule(member("manage_service"))
async def go_live_post(request: Request, service_id: str) -> Any:
    try:
        await api(request).post(
            f"/admin/console/services/{service_id}/go-live-request", {"requested_by": user(request)["id"]}
        )
    except AdminApiError as exc:
        if exc.status_code >= 500 or exc.status_code == 404:
            raise
        found = await api(request).get(f"/admin/console/services/{service_id}/go-live")
        return await page(request, "go_live.html", status_code=400, go_live=found, error=exc.message)
    flash(request, REVIEWING)
    return redirect(f"/services/{service_id}/go-live")


@router.get("/platform-admin/go-live-requests", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def requests(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    found = await api(request).get("/admin/console/go-live-requests")
    return await page(request, "go_live_requests.html", requests=found)


@router.post("/platform-admin/go-live-requests/{request_service_id}/approve", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def approve(request: Request, request_service_id: str) -> Any:
    platform_admin_only(request)
    client = api(request)
    service = await client.call("PATCH", f"/admin/services/{request_service_id}", json={"live": True})
    await client.post(
        f"/admin/console/services/{request_service_id}/go-live-request/approve",
        {"decided_by": user(request)["id"]},
    )
    flash(request, f"‘{service['name']}’ is now live")
    return redirect("/platform-admin/go-live-requests")
