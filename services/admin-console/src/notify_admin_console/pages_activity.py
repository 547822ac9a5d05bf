"""Activity: sent messages with filters and a recipient search (sent by POST and answered in the
same response, so a phone number or email address never appears in a URL), the report of sent
messages as a CSV streamed from the admin API (or, when it is big, built in the background:
pages_reports.py), one notification, received text messages, and the
conversation with one number (received texts and messages sent to it) with a reply."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from notify_admin_console.api import AdminApiError
from notify_admin_console.downloads import stream_file
from notify_admin_console.security import member, rule
from notify_admin_console.web import api, form, page

router = APIRouter(prefix="/services/{service_id}")
JUST_SENT_ATTEMPTS = 60
STATUSES = {"all": "All", "sending": "Sending", "delivered": "Delivered", "failed": "Failed"}
TYPES = {"": "All", "sms": "Text messages", "email": "Emails", "letter": "Letters"}
STATUS_WORDS = {
    "created": "Sending",
    "sending": "Sending",
    "pending": "Sending",
    "sent": "Sent to an international number",
    "delivered": "Delivered",
    "permanent-failure": "Not delivered: the address or number does not exist",
    "temporary-failure": "Not delivered: the phone or inbox was not accepting messages",
    "technical-failure": "Technical failure",
    "validation-failed": "Validation failed",
    "cancelled": "Cancelled",
}


async def _list(request: Request, service_id: str, filters: dict[str, Any]) -> HTMLResponse:
    found = await api(request).post(f"/admin/console/services/{service_id}/notifications/search", filters)
    return await page(
        request,
        "notifications.html",
        found=found,
        filters=filters,
        statuses=STATUSES,
        types=TYPES,
        status_words=STATUS_WORDS,
    )


@router.get("/notifications", response_class=HTMLResponse)
@rule(member())
async def notifications(
    request: Request, service_id: str, status: str = "all", template_type: str = "", page: int = 1
) -> HTMLResponse:
    filters: dict[str, Any] = {
        "status": status if status in STATUSES else "all",
        "template_type": template_type if template_type in TYPES and template_type else None,
        "page": max(page, 1),
    }
    return await _list(request, service_id, filters)


@router.post("/notifications", response_class=HTMLResponse)
@rule(member())
async def search_notifications(request: Request, service_id: str) -> HTMLResponse:
    values = await form(request)
    filters: dict[str, Any] = {
        "status": values.get("status") if values.get("status") in STATUSES else "all",
        "template_type": values.get("template_type") or None,
        "to": values.get("to") or None,
        "page": int(values["page"]) if values.get("page", "").isdigit() else 1,
    }
    return await _list(request, service_id, filters)


@router.get("/notifications.csv", response_class=StreamingResponse)
@rule(member("view_activity"))
async def report(request: Request, service_id: str, status: str = "all", template_type: str = "") -> Response:
    """Every sent message the page's filters select, as Notify's CSV report: streamed when it is
    small enough, or else a page offering to build it in the background (pages_reports.py)."""
    params = {
        "status": status if status in STATUSES else "all",
        "template_type": template_type if template_type in TYPES and template_type else None,
    }
    size = await api(request).get(f"/admin/console/services/{service_id}/report-size", **params)
    if size["background"]:
        return await page(request, "report_large.html", size=size, filters=params)
    day = datetime.now(UTC).date().isoformat()
    return await stream_file(
        request,
        f"/admin/console/services/{service_id}/notifications.csv",
        params,
        f"sent-messages-{day}.csv",
        "text/csv; charset=utf-8",
    )


@router.get("/notifications/{notification_id}", response_class=HTMLResponse)
@rule(member())
async def notification(
    request: Request, service_id: str, notification_id: str, just_sent: bool = False
) -> HTMLResponse:
    path = f"/admin/console/services/{service_id}/notifications/{notification_id}"
    # A message sent a moment ago is accepted (in Kafka) before the projection shows it.
    attempts = JUST_SENT_ATTEMPTS if just_sent else 1
    for attempt in range(attempts):
        try:
            found = await api(request).get(path)
            break
        except AdminApiError as exc:
            if exc.status_code != 404 or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.25)
    return await page(request, "notification.html", notification=found, status_words=STATUS_WORDS)


@router.get("/inbox", response_class=HTMLResponse)
@rule(member("view_activity"))
async def inbox(request: Request, service_id: str, page_number: int = 1) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/inbound-sms", page=page_number)
    return await page(request, "inbox.html", found=found)


@router.get("/conversation/{inbound_id}", response_class=HTMLResponse)
@rule(member("view_activity"))
async def conversation(request: Request, service_id: str, inbound_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/conversations/{inbound_id}")
    return await page(request, "conversation.html", found=found, status_words=STATUS_WORDS)


@router.get("/conversation/{inbound_id}/reply", response_class=HTMLResponse)
@rule(member("send_messages"))
async def reply(request: Request, service_id: str, inbound_id: str) -> HTMLResponse:
    """Choose a text message template; the one-off page then has the number filled in."""
    found = await api(request).get(f"/admin/console/services/{service_id}/conversations/{inbound_id}")
    templates = await api(request).get(f"/admin/console/services/{service_id}/templates")
    texts = [t for t in templates if t["template_type"] == "sms"]
    return await page(request, "conversation_reply.html", found=found, templates=texts)
