"""The dashboard and templates: list, add, edit with a live preview, versions, and delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from notify_admin_console.api import AdminApiError
from notify_admin_console.preview import preview
from notify_admin_console.security import member, rule
from notify_admin_console.web import api, flash, form, page, redirect, service_of, user

router = APIRouter(prefix="/services/{service_id}")
TYPES = {"sms": "Text message", "email": "Email", "letter": "Letter"}


@router.get("", response_class=HTMLResponse)
@rule(member("view_activity"))
async def dashboard(request: Request, service_id: str) -> HTMLResponse:
    figures = await api(request).get(f"/admin/console/services/{service_id}/dashboard")
    most = max((t["count"] for t in figures["templates"]), default=0)
    return await page(request, "dashboard.html", figures=figures, most=most)


@router.get("/templates", response_class=HTMLResponse)
@rule(member())
async def templates_list(request: Request, service_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates")
    return await page(request, "templates.html", templates=found, types=TYPES)


@router.get("/templates/add", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def add_template(request: Request, service_id: str, type: str | None = None) -> HTMLResponse:
    if type not in TYPES:
        return await page(request, "template_type.html", types=TYPES, errors={})
    values = {"template_type": type, "name": "", "subject": "", "content": ""}
    return await page(request, "template_form.html", values=values, errors={}, editing=None, preview=None)


async def _template_values(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    values = await form(request)
    errors: dict[str, str] = {}
    if not values.get("name"):
        errors["name"] = "Enter a template name"
    if values.get("template_type") != "sms" and not values.get("subject"):
        errors["subject"] = "Enter a subject"
    if not values.get("content"):
        errors["content"] = "Enter a message"
    return values, errors


@router.post("/templates/add", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def add_template_post(request: Request, service_id: str) -> Any:
    values, errors = await _template_values(request)
    if values.get("template_type") not in TYPES:
        return redirect(f"/services/{service_id}/templates/add")
    if not errors:
        body = {
            "name": values["name"],
            "template_type": values["template_type"],
            "content": values["content"],
            "subject": values.get("subject") or None,
            "created_by": user(request)["email_address"],
        }
        try:
            created = await api(request).post(f"/admin/services/{service_id}/templates", body)
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["content"] = exc.message
        else:
            flash(request, f"‘{values['name']}’ was created")
            return redirect(f"/services/{service_id}/templates/{created['id']}")
    service = await service_of(request, service_id)
    return await page(
        request,
        "template_form.html",
        status_code=400,
        values=values,
        errors=errors,
        editing=None,
        preview=preview(values, service),
    )


@router.post("/templates/preview", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def live_preview(request: Request, service_id: str) -> HTMLResponse:
    """The preview pane, re-rendered as someone types (fetched by console.js)."""
    values = await form(request)
    service = await service_of(request, service_id)
    return await page(request, "partials/preview.html", preview=preview(values, service))


@router.get("/templates/{template_id}", response_class=HTMLResponse)
@rule(member())
async def template_page(request: Request, service_id: str, template_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates/{template_id}")
    service = await service_of(request, service_id)
    return await page(request, "template.html", template=found, preview=preview(found, service))


@router.get("/templates/{template_id}/edit", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def edit_template(request: Request, service_id: str, template_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates/{template_id}")
    service = await service_of(request, service_id)
    values = {k: found.get(k) or "" for k in ("template_type", "name", "subject", "content")}
    return await page(
        request,
        "template_form.html",
        values=values,
        errors={},
        editing=found,
        preview=preview(values, service),
    )


@router.post("/templates/{template_id}/edit", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def edit_template_post(request: Request, service_id: str, template_id: str) -> Any:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates/{template_id}")
    values, errors = await _template_values(request)
    values["template_type"] = found["template_type"]
    if not errors:
        body = {
            "name": values["name"],
            "content": values["content"],
            "subject": values.get("subject") or None,
            "created_by": user(request)["email_address"],
        }
        try:
            await api(request).call(
                "PATCH", f"/admin/services/{service_id}/templates/{template_id}", json=body
            )
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["content"] = exc.message
        else:
            flash(request, "Your changes were saved")
            return redirect(f"/services/{service_id}/templates/{template_id}")
    service = await service_of(request, service_id)
    return await page(
        request,
        "template_form.html",
        status_code=400,
        values=values,
        errors=errors,
        editing=found,
        preview=preview(values, service),
    )


@router.get("/templates/{template_id}/versions", response_class=HTMLResponse)
@rule(member())
async def versions(request: Request, service_id: str, template_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates/{template_id}")
    history = await api(request).get(f"/admin/services/{service_id}/templates/{template_id}/versions")
    service = await service_of(request, service_id)
    shown = [{**v, "preview": preview(v, service)} for v in reversed(history)]
    return await page(request, "template_versions.html", template=found, versions=shown)


@router.get("/templates/{template_id}/delete", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def delete_template(request: Request, service_id: str, template_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates/{template_id}")
    service = await service_of(request, service_id)
    return await page(
        request, "template.html", template=found, preview=preview(found, service), confirm_delete=True
    )


@router.post("/templates/{template_id}/delete", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def delete_template_post(request: Request, service_id: str, template_id: str) -> Any:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates/{template_id}")
    await api(request).post(f"/admin/services/{service_id}/templates/{template_id}/archive")
    flash(request, f"‘{found['name']}’ was deleted")
    return redirect(f"/services/{service_id}/templates")
