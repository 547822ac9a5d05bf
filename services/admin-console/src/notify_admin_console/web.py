"""Rendering pages: the Jinja2 environment, the context every page gets (the person, the service,
its navigation, the CSRF token, flash banners), and small helpers the pages share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from notify_admin_console.api import AdminApi
from notify_admin_console.security import PERMISSIONS, Forbidden, csrf_token, has_permission

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
LONDON = ZoneInfo("Europe/London")
CHANNEL_WORDS = {"sms": "text message", "email": "email", "letter": "letter"}
CHANNEL_PLURALS = {"sms": "text messages", "email": "emails", "letter": "letters"}


def when(value: str | None) -> str:
    """An ISO time as people read it, in London time: '22 November 2026 at 9:05am'."""
    if not value:
        return ""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(LONDON)
    hour = parsed.strftime("%I").lstrip("0")
    return f"{parsed.day} {parsed:%B %Y} at {hour}:{parsed:%M}{parsed:%p}".replace("AM", "am").replace(
        "PM", "pm"
    )


def plural(count: int, channel: str) -> str:
    return f"{count:,} {CHANNEL_WORDS[channel] if count == 1 else CHANNEL_PLURALS[channel]}"


templates.env.filters["when"] = when
templates.env.globals["plural"] = plural
templates.env.globals["CHANNEL_WORDS"] = CHANNEL_WORDS
templates.env.globals["CHANNEL_PLURALS"] = CHANNEL_PLURALS
templates.env.globals["PERMISSIONS"] = PERMISSIONS


def api(request: Request) -> AdminApi:
    found = request.app.state.api
    assert isinstance(found, AdminApi)
    return found


def user(request: Request) -> dict[str, Any]:
    found: dict[str, Any] = request.state.user
    return found


def platform_admin_only(request: Request) -> None:
    """Refuses (403) anyone but a platform admin; pages for the whole platform call it first."""
    if not user(request).get("platform_admin"):
        raise Forbidden


def can(request: Request, service_id: str, *permissions: str) -> bool:
    current = getattr(request.state, "user", None)
    return current is not None and has_permission(current, service_id, permissions)


def flash(request: Request, message: str, kind: str = "success") -> None:
    request.session.setdefault("flash", []).append({"message": message, "kind": kind})


def navigation(request: Request, service_id: str) -> list[dict[str, Any]]:
    base = f"/services/{service_id}"
    items = [
        ("Dashboard", base, ("view_activity",)),
        ("Templates", f"{base}/templates", ()),
        ("Sent messages", f"{base}/notifications", ()),
        ("Uploads", f"{base}/jobs", ()),
        ("Received texts", f"{base}/inbox", ("view_activity",)),
        ("Team members", f"{base}/users", ()),
        ("Usage", f"{base}/usage", ("manage_service",)),
        ("Settings", f"{base}/settings", ("manage_service", "manage_api_keys")),
        ("API integration", f"{base}/api-keys", ("manage_api_keys",)),
    ]
    path = request.url.path
    out = []
    for label, href, needs in items:
        if needs and not can(request, service_id, *needs):
            continue
        active = path == href if href == base else path.startswith(href)
        out.append({"label": label, "href": href, "active": active})
    return out


async def service_of(request: Request, service_id: str) -> dict[str, Any]:
    cached = getattr(request.state, "service", None)
    if isinstance(cached, dict) and cached.get("id") == service_id:
        return cached
    found: dict[str, Any] = await api(request).get(f"/admin/services/{service_id}")
    request.state.service = found
    return found


async def page(request: Request, page_name: str, /, status_code: int = 200, **context: Any) -> HTMLResponse:
    service_id = request.path_params.get("service_id")
    current = getattr(request.state, "user", None)
    service = None
    if service_id and current is not None:
        service = await service_of(request, service_id)
    messages = request.session.pop("flash", [])
    return templates.TemplateResponse(
        request,
        page_name,
        {
            "user": current,
            "service": service,
            "nav": navigation(request, service_id) if service and service_id else [],
            "csrf_token": csrf_token(request),
            "flash_messages": messages,
            "can": (lambda *p: can(request, service_id or "", *p)),
            **context,
        },
        status_code=status_code,
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v.strip() for k, v in data.items() if isinstance(v, str) and k != "csrf_token"}
