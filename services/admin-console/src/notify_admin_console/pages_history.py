"""A service's history of configuration changes (who changed what, and when), its sending limits
(the daily ones and, per financial year, the annual ones with what is left), the platform admins'
form to change the annual limits, and the public page that explains both kinds of limit."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from notify_admin_console.security import PUBLIC, SIGNED_IN, member, rule
from notify_admin_console.web import api, flash, form, page, platform_admin_only, redirect

router = APIRouter()
SERVICE = "/services/{service_id}"
# Platform admins only: they change a service's annual limits.
LIMITS_FORM = "/platform-admin/services/{service_id}/annual-limits"
CHANNELS = ("email", "sms", "letter")
KINDS = {
    "service": "Service settings",
    "api_key": "API keys",
    "template": "Templates",
    "team_member": "Team members",
    "callback": "Callbacks",
    "annual_limit": "Annual limits",
}
KIND_WORDS = {
    "service.created": "Service created",
    "service.updated": "Settings changed",
    "api_key.created": "API key created",
    "api_key.revoked": "API key revoked",
    "template.created": "Template created",
    "template.updated": "Template changed",
    "template.archived": "Template deleted",
    "team_member.added": "Team member added",
    "team_member.joined": "Team member joined",
    "team_member.permissions_changed": "Team member’s permissions changed",
    "team_member.removed": "Team member removed",
    "callback.set": "Callback changed",
    "callback.removed": "Callback removed",
    "callback.signing_secret_set": "Callback signing secret changed",
    "callback.signing_secret_removed": "Callback signing secret removed",
    "annual_limits.updated": "Annual limits changed",
    "annual_limit.warning": "Annual limit nearly reached",
}


def kind_words(kind: str) -> str:
    """How people read a kind of change; a change without words of its own reads as what it
    changed (``PUT /services/{service_id}/guest-list`` is "Changed: guest list")."""
    if kind in KIND_WORDS:
        return KIND_WORDS[kind]
    path = kind.split(" ", 1)[-1]
    tail = path.split("{service_id}", 1)[-1]
    parts = [p for p in tail.split("/") if p and not p.startswith("{")]
    return "Changed: " + " ".join(parts).replace("-", " ")


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


@router.get(SERVICE + "/history", response_class=HTMLResponse)
@rule(member("manage_service"))
async def history(
    request: Request,
    service_id: str,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page_number: int = 1,
) -> HTMLResponse:
    chosen = kind if kind in KINDS else None
    start, end = _date(since), _date(until)
    found = await api(request).get(
        f"/admin/services/{service_id}/history",
        kind=chosen,
        since=start,
        until=end,
        page=max(1, page_number),
    )
    team = await api(request).get(f"/admin/console/services/{service_id}/users")
    names = {u["id"]: u["name"] for u in team["users"]}
    pages = max(1, -(-found["total"] // found["page_size"]))
    return await page(
        request,
        "history.html",
        found=found,
        names=names,
        kinds=KINDS,
        kind_words=kind_words,
        chosen=chosen,
        since=start or "",
        until=end or "",
        pages=pages,
    )


@router.get(LIMITS_FORM, response_class=HTMLResponse)
@rule(SIGNED_IN)
async def annual_limits_form(request: Request, service_id: str) -> HTMLResponse:
    platform_admin_only(request)
    limits = await api(request).get(f"/admin/services/{service_id}/annual-limits")
    return await page(request, "annual_limits_form.html", limits=limits, errors={}, values={})


@router.post(LIMITS_FORM, response_class=HTMLResponse)
@rule(SIGNED_IN)
async def change_annual_limits(request: Request, service_id: str) -> Response:
    platform_admin_only(request)
    values = await form(request)
    errors: dict[str, str] = {}
    changes: dict[str, int] = {}
    for channel in CHANNELS:
        raw = values.get(channel, "").replace(",", "")
        if not raw.isdigit():
            errors[channel] = "Enter a whole number of messages, 0 or more"
        else:
            changes[channel] = int(raw)
    if errors:
        limits = await api(request).get(f"/admin/services/{service_id}/annual-limits")
        return await page(
            request, "annual_limits_form.html", status_code=400, limits=limits, errors=errors, values=values
        )
    await api(request).call("PUT", f"/admin/services/{service_id}/annual-limits", json=changes)
    flash(request, "Annual limits changed")
    return redirect(f"/services/{service_id}/usage")


@router.get("/using-notify/limits", response_class=HTMLResponse)
@rule(PUBLIC)
async def limits_guidance(request: Request) -> HTMLResponse:
    return await page(request, "limits_guidance.html")
