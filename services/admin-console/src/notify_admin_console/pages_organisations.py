"""Organisations (docs/organisations.md): platform admins list and create them and change their
settings (name, type, domains, whether their team approves its own requests to go live) and archive
them; an
organisation's team and platform admins see its services with their usage, its usage and costs, its
team (and add people to it), its agreement (and accept it), and its services' requests to go live,
which platform admins (or its team, when the organisation allows) approve.

Every page here is ``SIGNED_IN`` and then checks the organisation in the path itself
(``organisation_of``): a platform admin, or a member of that organisation's team; anyone else 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from notify_admin_console.api import AdminApiError
from notify_admin_console.security import SIGNED_IN, Forbidden, rule
from notify_admin_console.web import api, flash, form, page, platform_admin_only, redirect, user

router = APIRouter()
TYPES = (
    ("central", "Central government"),
    ("local", "Local government"),
    ("nhs_central", "NHS – central government agency or public body"),
    ("nhs_local", "NHS Trust or Integrated Care Board"),
    ("nhs_gp", "GP surgery"),
    ("emergency_service", "Emergency service"),
    ("school_or_college", "School or college"),
    ("other", "Other"),
)
TYPE_OPTIONS = [(value, label, None) for value, label in TYPES]  # as the radios macro takes them


def financial_year(now: datetime | None = None) -> int:
    today = (now or datetime.now(UTC)).date()
    return today.year if today.month >= 4 else today.year - 1


async def organisation_of(request: Request, organisation_id: str) -> dict[str, Any]:
    """The organisation, for a platform admin or a member of its team (anyone else: 403)."""
    person = user(request)
    if not person.get("platform_admin"):
        mine = await api(request).get(f"/admin/console/users/{person['id']}/organisations")
        if organisation_id not in {o["id"] for o in mine}:
            raise Forbidden
    try:
        found: dict[str, Any] = await api(request).get(f"/admin/organisations/{organisation_id}")
    except AdminApiError as exc:
        if exc.status_code == 400:  # not an id at all
            raise HTTPException(404) from None
        raise
    return found


def may_approve(request: Request, organisation: dict[str, Any]) -> bool:
    return bool(user(request).get("platform_admin") or organisation["can_approve_own_go_live_requests"])


async def _page(request: Request, name: str, organisation: dict[str, Any], **context: Any) -> HTMLResponse:
    base = f"/organisations/{organisation['id']}"
    items = [("Services", base), ("Usage", f"{base}/usage"), ("Team members", f"{base}/users")]
    items.append(("Agreement", f"{base}/agreement"))
    if user(request).get("platform_admin"):
        items.append(("Settings", f"{base}/settings"))
    path = request.url.path
    nav = [{"label": label, "href": href, "active": path == href} for label, href in items]
    status_code = context.pop("status_code", 200)
    return await page(
        request, name, status_code=status_code, organisation=organisation, organisation_nav=nav, **context
    )


# ---- the list, and creating one ---------------------------------------------------------------


@router.get("/organisations", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def organisations(request: Request) -> HTMLResponse:
    person = user(request)
    if person.get("platform_admin"):
        listed = await api(request).get("/admin/organisations")
    else:
        listed = await api(request).get(f"/admin/console/users/{person['id']}/organisations")
    return await page(request, "organisations.html", organisations=listed)


@router.get("/organisations/add", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def add(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    return await page(request, "organisation_add.html", types=TYPE_OPTIONS, values={}, errors={})


@router.post("/organisations/add", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def add_post(request: Request) -> Any:
    platform_admin_only(request)
    values = await form(request)
    errors = {}
    if not values.get("name"):
        errors["name"] = "Enter the name of the organisation"
    if values.get("organisation_type") not in dict(TYPES):
        errors["organisation_type"] = "Select the type of organisation"
    if not errors:
        try:
            created = await api(request).post(
                "/admin/organisations",
                {"name": values["name"], "organisation_type": values["organisation_type"]},
            )
        except AdminApiError as exc:
            if exc.status_code != 409:
                raise
            errors["name"] = "An organisation with this name already exists"
        else:
            flash(request, f"‘{created['name']}’ added")
            return redirect(f"/organisations/{created['id']}")
    return await page(
        request, "organisation_add.html", status_code=400, types=TYPE_OPTIONS, values=values, errors=errors
    )


# ---- an organisation's services, with their requests to go live ------------------------------


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def overview(request: Request, organisation_id: str) -> HTMLResponse:
    organisation = await organisation_of(request, organisation_id)
    client = api(request)
    usage = await client.get(f"/admin/organisations/{organisation_id}/usage")
    requests = await client.get(f"/admin/organisations/{organisation_id}/go-live-requests")
    return await _page(
        request,
        "organisation.html",
        organisation,
        usage=usage,
        requests=requests,
        may_approve=may_approve(request, organisation),
    )


@router.post(
    "/organisations/{organisation_id}/go-live-requests/{request_service_id}/approve",
    response_class=HTMLResponse,
)
@rule(SIGNED_IN)
async def approve(request: Request, organisation_id: str, request_service_id: str) -> Any:
    organisation = await organisation_of(request, organisation_id)
    if not may_approve(request, organisation):
        raise Forbidden
    await api(request).post(
        f"/admin/organisations/{organisation_id}/go-live-requests/{request_service_id}/approve",
        {"decided_by": user(request)["id"]},
    )
    name = next((s["name"] for s in organisation["services"] if s["id"] == request_service_id), "The service")
    flash(request, f"‘{name}’ is now live")
    return redirect(f"/organisations/{organisation_id}")


@router.get("/organisations/{organisation_id}/usage", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def usage(request: Request, organisation_id: str, year: int | None = None) -> HTMLResponse:
    organisation = await organisation_of(request, organisation_id)
    current = financial_year()
    chosen = year if year is not None and 2016 <= year <= current else current
    found = await api(request).get(f"/admin/organisations/{organisation_id}/usage", year=chosen)
    years = list(range(current, max(current - 3, 2016) - 1, -1))
    return await _page(request, "organisation_usage.html", organisation, usage=found, years=years)


# ---- settings (platform admins) --------------------------------------------------------------


async def _settings_page(
    request: Request, organisation: dict[str, Any], status_code: int = 200, **context: Any
) -> HTMLResponse:
    context = {"errors": {}, "values": {}, **context}
    return await _page(
        request,
        "organisation_settings.html",
        organisation,
        status_code=status_code,
        types=TYPE_OPTIONS,
        **context,
    )


@router.get("/organisations/{organisation_id}/settings", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def settings(request: Request, organisation_id: str) -> HTMLResponse:
    platform_admin_only(request)
    return await _settings_page(request, await organisation_of(request, organisation_id))


@router.post("/organisations/{organisation_id}/settings", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def settings_post(request: Request, organisation_id: str) -> Any:
    platform_admin_only(request)
    organisation = await organisation_of(request, organisation_id)
    values = await form(request)
    errors = {}
    if not values.get("name"):
        errors["name"] = "Enter the name of the organisation"
    if values.get("organisation_type") not in dict(TYPES):
        errors["organisation_type"] = "Select the type of organisation"
    if not errors:
        changes = {
            "name": values["name"],
            "organisation_type": values["organisation_type"],
            "can_approve_own_go_live_requests": values.get("can_approve_own_go_live_requests") == "yes",
        }
        try:
            await api(request).call("PATCH", f"/admin/organisations/{organisation_id}", json=changes)
        except AdminApiError as exc:
            if exc.status_code != 409:
                raise
            errors["name"] = "An organisation with this name already exists"
        else:
            flash(request, "Settings saved")
            return redirect(f"/organisations/{organisation_id}/settings")
    return await _settings_page(request, organisation, 400, errors=errors, values=values)


@router.post("/organisations/{organisation_id}/settings/domains", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def add_domain(request: Request, organisation_id: str) -> Any:
    platform_admin_only(request)
    organisation = await organisation_of(request, organisation_id)
    values = await form(request)
    try:
        await api(request).post(
            f"/admin/organisations/{organisation_id}/domains", {"domain": values.get("domain", "")}
        )
    except AdminApiError as exc:
        if exc.status_code not in (400, 409):
            raise
        return await _settings_page(request, organisation, 400, errors={"domain": exc.message}, values=values)
    flash(request, f"Domain {values.get('domain', '').lower().lstrip('@')} added")
    return redirect(f"/organisations/{organisation_id}/settings")


@router.post("/organisations/{organisation_id}/settings/domains/{domain}/remove", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def remove_domain(request: Request, organisation_id: str, domain: str) -> Any:
    platform_admin_only(request)
    await organisation_of(request, organisation_id)
    await api(request).call("DELETE", f"/admin/organisations/{organisation_id}/domains/{quote(domain)}")
    flash(request, f"Domain {domain} removed")
    return redirect(f"/organisations/{organisation_id}/settings")


@router.post("/organisations/{organisation_id}/settings/archive", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def archive(request: Request, organisation_id: str) -> Any:
    """Archives the organisation: it leaves the lists and its domains place no new services."""
    platform_admin_only(request)
    organisation = await organisation_of(request, organisation_id)
    await api(request).call("PATCH", f"/admin/organisations/{organisation_id}", json={"archived": True})
    flash(request, f"‘{organisation['name']}’ archived")
    return redirect("/organisations")


# ---- the team ---------------------------------------------------------------------------------


async def _team_page(
    request: Request, organisation: dict[str, Any], status_code: int = 200, **context: Any
) -> HTMLResponse:
    members = await api(request).get(f"/admin/organisations/{organisation['id']}/users")
    context = {"errors": {}, "values": {}, **context}
    return await _page(
        request, "organisation_users.html", organisation, status_code=status_code, members=members, **context
    )


@router.get("/organisations/{organisation_id}/users", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def team(request: Request, organisation_id: str) -> HTMLResponse:
    return await _team_page(request, await organisation_of(request, organisation_id))


@router.post("/organisations/{organisation_id}/users", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def add_member(request: Request, organisation_id: str) -> Any:
    organisation = await organisation_of(request, organisation_id)
    values = await form(request)
    if not values.get("email_address"):
        errors = {"email_address": "Enter an email address"}
        return await _team_page(request, organisation, 400, errors=errors, values=values)
    try:
        await api(request).post(
            f"/admin/organisations/{organisation_id}/users", {"email_address": values["email_address"]}
        )
    except AdminApiError as exc:
        if exc.status_code not in (400, 404):
            raise
        return await _team_page(
            request, organisation, 400, errors={"email_address": exc.message}, values=values
        )
    flash(request, f"{values['email_address']} added to the team")
    return redirect(f"/organisations/{organisation_id}/users")


@router.post("/organisations/{organisation_id}/users/{user_id}/remove", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def remove_member(request: Request, organisation_id: str, user_id: str) -> Any:
    await organisation_of(request, organisation_id)
    await api(request).call("DELETE", f"/admin/organisations/{organisation_id}/users/{user_id}")
    flash(request, "Team member removed")
    return redirect(f"/organisations/{organisation_id}/users")


# ---- the agreement ----------------------------------------------------------------------------


def agreement_errors(values: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not values.get("version"):
        errors["version"] = "Enter the version number of the agreement"
    elif len(values["version"]) > 16:
        errors["version"] = "The version number must be 16 characters or fewer"
    if not values.get("name"):
        errors["name"] = "Enter your full name"
    if not values.get("role"):
        errors["role"] = "Enter your role"
    if values.get("confirm") != "yes":
        errors["confirm"] = "Confirm that you have the authority to accept the agreement"
    return errors


async def accept_agreement(request: Request, organisation_id: str, values: dict[str, str]) -> dict[str, str]:
    """Accepts the agreement for the organisation with the form's values; the errors, if any."""
    errors = agreement_errors(values)
    if not errors:
        await api(request).post(
            f"/admin/organisations/{organisation_id}/agreement",
            {
                "user_id": user(request)["id"],
                "version": values["version"],
                "name": values["name"],
                "role": values["role"],
            },
        )
    return errors


@router.get("/organisations/{organisation_id}/agreement", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def agreement(request: Request, organisation_id: str) -> HTMLResponse:
    organisation = await organisation_of(request, organisation_id)
    return await _page(
        request,
        "agreement.html",
        organisation,
        action=f"/organisations/{organisation_id}/agreement",
        errors={},
        values={},
    )


@router.post("/organisations/{organisation_id}/agreement", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def agreement_post(request: Request, organisation_id: str) -> Any:
    organisation = await organisation_of(request, organisation_id)
    values = await form(request)
    errors = await accept_agreement(request, organisation_id, values)
    if errors:
        return await _page(
            request,
            "agreement.html",
            organisation,
            status_code=400,
            action=f"/organisations/{organisation_id}/agreement",
            errors=errors,
            values=values,
        )
    flash(request, "You have accepted the agreement")
    return redirect(f"/organisations/{organisation_id}/agreement")
