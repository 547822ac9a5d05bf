"""The platform admins' tools (``/platform-admin``): an index of them, finding a notification by id,
reference or recipient, live services with this financial year's volumes, complaints, the SMS
providers' shares with their history, and messages per channel by day and by month. Read only,
from the admin API's ``/admin/platform-admin`` routes; the other tools (requests to go live,
branding, platform health) have pages of their own. A search is a POST answered in place: it never
reaches a URL or an access log."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from notify_admin_console.api import AdminApiError
from notify_admin_console.security import SIGNED_IN, rule
from notify_admin_console.web import api, form, page, platform_admin_only, templates

router = APIRouter()
TOOLS = (
    ("Find a notification", "/platform-admin/find-notification", "By its ID, its reference or its recipient"),
    ("Live services", "/platform-admin/live-services", "With what each sent this financial year"),
    ("Platform usage", "/platform-admin/usage", "Messages sent by channel, by day and by month"),
    ("Complaints", "/platform-admin/complaints", "Recipients who marked an email as spam"),
    ("SMS providers", "/platform-admin/providers", "Each provider’s share of text messages and its history"),
    ("Email and letter branding", "/platform-admin/branding", "The branding pools services choose from"),
    ("Requests to go live", "/platform-admin/go-live-requests", "Services waiting to be made live"),
    ("Platform health", "/platform-admin/health", "Live charts of the platform’s own metrics"),
)
REASONS = {
    "errors": "Provider errors",
    "slow-receipts": "Slow delivery receipts",
    "recovery": "Back towards the usual shares",
    "manual": "Changed by hand",
}


def day(value: str, pattern: str) -> str:
    """An ISO date as people read it (``pattern`` is a ``strftime`` pattern)."""
    return date.fromisoformat(value).strftime(pattern)


templates.env.filters["day"] = day


@router.get("/platform-admin", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def index(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    return await page(request, "platform_admin.html", tools=TOOLS)


@router.get("/platform-admin/find-notification", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def find(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    return await page(request, "platform_find.html", search="", found=None, errors={})


@router.post("/platform-admin/find-notification", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def find_post(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    search = (await form(request)).get("search", "")
    if not search:
        errors = {"search": "Enter a notification ID, reference or recipient"}
        return await page(
            request, "platform_find.html", status_code=400, search="", found=None, errors=errors
        )
    try:
        found = await api(request).post("/admin/platform-admin/find-notifications", {"search": search})
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise
        errors = {"search": exc.message}
        return await page(
            request, "platform_find.html", status_code=400, search=search, found=None, errors=errors
        )
    return await page(request, "platform_find.html", search=search, found=found, errors={})


@router.get("/platform-admin/live-services", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def live_services(request: Request, year: int | None = None) -> HTMLResponse:
    platform_admin_only(request)
    found = await api(request).get("/admin/platform-admin/live-services", year=year)
    totals = {c: sum(s[c] for s in found["services"]) for c in ("sms", "email", "letter")}
    return await page(request, "platform_live_services.html", live=found, totals=totals)


@router.get("/platform-admin/complaints", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def complaints(request: Request, page_number: int = 1) -> HTMLResponse:
    platform_admin_only(request)
    found = await api(request).get("/admin/platform-admin/complaints", page=max(page_number, 1))
    return await page(request, "platform_complaints.html", found=found)


@router.get("/platform-admin/providers", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def providers(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    found: dict[str, Any] = await api(request).get("/admin/platform-admin/sms-providers")
    return await page(request, "platform_providers.html", found=found, reasons=REASONS)


@router.get("/platform-admin/usage", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def usage(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    found = await api(request).get("/admin/platform-admin/usage", days=30)
    return await page(request, "platform_usage.html", usage=found)
