"""The public performance page (as GOV.UK Notify's /performance): messages sent per day by
channel, the share sent within 10 seconds per day and live services, from the analytics
service; and the same report as JSON for the page's charts. Anyone may read it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from notify_admin_console import analytics
from notify_admin_console.security import PUBLIC, rule
from notify_admin_console.web import page

router = APIRouter()


def _client(request: Request) -> analytics.AnalyticsClient:
    found = request.app.state.analytics
    assert isinstance(found, analytics.AnalyticsClient)
    return found


@router.get("/performance", response_class=HTMLResponse)
@rule(PUBLIC)
async def performance(request: Request) -> HTMLResponse:
    return await page(request, "performance.html", report=await analytics.report(_client(request)))


@router.get("/performance/data")
@rule(PUBLIC)
async def performance_data(request: Request) -> JSONResponse:
    return JSONResponse(await analytics.report(_client(request)))
