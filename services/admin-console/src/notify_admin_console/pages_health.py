"""The platform health page, for platform admins: live charts of the platform's series read from
Prometheus (``NOTIFY_PROMETHEUS_URL``) by the console itself, and the same report as JSON for the
page's script to redraw every 15 seconds. When Prometheus cannot answer, both say so and still
answer 200."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from notify_admin_console import platform_health
from notify_admin_console.prometheus import PrometheusClient
from notify_admin_console.security import SIGNED_IN, rule
from notify_admin_console.web import page, platform_admin_only

router = APIRouter()


def _prometheus(request: Request) -> PrometheusClient:
    found = request.app.state.prometheus
    assert isinstance(found, PrometheusClient)
    return found


@router.get("/platform-admin/health", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def health(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    found = await platform_health.report(_prometheus(request))
    return await page(request, "health.html", report=found)


@router.get("/platform-admin/health/data")
@rule(SIGNED_IN)
async def health_data(request: Request) -> JSONResponse:
    platform_admin_only(request)
    return JSONResponse(await platform_health.report(_prometheus(request)))
