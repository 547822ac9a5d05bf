"""Creating a service (``/add-service``, anyone signed in): its name and the organisation it belongs
to, chosen from those the person may use, the one their email domain belongs to first (Notify
places a new service there). It starts in trial mode and its creator holds every permission.

And the agreement from a service's side (``/services/{id}/agreement``, manage_service): a team
member who can manage a service in an organisation accepts the organisation's agreement on the way
to going live (docs/organisations.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from notify_admin_console.api import AdminApiError
from notify_admin_console.pages_organisations import accept_agreement
from notify_admin_console.security import SIGNED_IN, member, rule
from notify_admin_console.web import api, flash, form, page, redirect, service_of, user

router = APIRouter()
NO_ORGANISATION = "none"


async def _add_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    choices = await api(request).get(f"/admin/console/users/{user(request)['id']}/add-service-choices")
    options = [(o["id"], o["name"], None) for o in choices["organisations"]]
    if options:
        options.append((NO_ORGANISATION, "None of these", None))
    context = {"errors": {}, "values": {}, **context}
    checked = context["values"].get("organisation_id") or choices["default"]
    return await page(
        request, "add_service.html", status_code=status_code, options=options, checked=checked, **context
    )


@router.get("/add-service", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def add_service(request: Request) -> HTMLResponse:
    return await _add_page(request)


@router.post("/add-service", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def add_service_post(request: Request) -> Any:
    values = await form(request)
    name = values.get("name", "")
    errors = {}
    if not name:
        errors["name"] = "Enter a service name"
    elif len(name) > 255:
        errors["name"] = "Service name must be 255 characters or fewer"
    elif not any(c.isalnum() for c in name):
        errors["name"] = "Service name must include at least one letter or number"
    if errors:
        return await _add_page(request, 400, errors=errors, values=values)
    chosen = values.get("organisation_id") or None
    try:
        made = await api(request).post(
            "/admin/console/add-service",
            {
                "name": name,
                "user_id": user(request)["id"],
                "organisation_id": None if chosen == NO_ORGANISATION else chosen,
                "no_organisation": chosen == NO_ORGANISATION,
            },
        )
    except AdminApiError as exc:
        if exc.status_code == 409:
            errors["name"] = "This service name is already in use – enter a unique name"
        elif exc.status_code in (400, 403):
            errors["organisation_id"] = exc.message
        else:
            raise
        return await _add_page(request, 400, errors=errors, values=values)
    flash(request, f"‘{name}’ created in trial mode")
    return redirect(f"/services/{made['service_id']}")


async def _service_organisation(request: Request, service_id: str) -> dict[str, Any]:
    service = await service_of(request, service_id)
    if not service.get("organisation_id"):
        raise HTTPException(404)
    found: dict[str, Any] = await api(request).get(f"/admin/organisations/{service['organisation_id']}")
    return found


@router.get("/services/{service_id}/agreement", response_class=HTMLResponse)
@rule(member("manage_service"))
async def service_agreement(request: Request, service_id: str) -> HTMLResponse:
    organisation = await _service_organisation(request, service_id)
    return await page(
        request,
        "agreement.html",
        organisation=organisation,
        action=f"/services/{service_id}/agreement",
        errors={},
        values={},
    )


@router.post("/services/{service_id}/agreement", response_class=HTMLResponse)
@rule(member("manage_service"))
async def service_agreement_post(request: Request, service_id: str) -> Any:
    organisation = await _service_organisation(request, service_id)
    values = await form(request)
    errors = await accept_agreement(request, organisation["id"], values)
    if errors:
        return await page(
            request,
            "agreement.html",
            status_code=400,
            organisation=organisation,
            action=f"/services/{service_id}/agreement",
            errors=errors,
            values=values,
        )
    flash(request, "You have accepted the agreement")
    return redirect(f"/services/{service_id}/go-live")
