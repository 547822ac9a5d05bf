"""The dashboard and templates: list (with folders, see ``pages_folders``), add (at the top or in a
folder), copy one from any service the person belongs to, edit with a live preview, versions, and
delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from notify_admin_console import analytics, folders
from notify_admin_console.api import AdminApiError
from notify_admin_console.pages_folders import folder_listing, folder_url, listing_page
from notify_admin_console.preview import preview
from notify_admin_console.security import Forbidden, has_permission, member, rule
from notify_admin_console.template_languages import (
    LETTER_LANGUAGES,
    api_fields,
    form_errors,
    form_values,
    shown_variants,
)
from notify_admin_console.web import api, flash, form, page, redirect, service_of, templates, user

router = APIRouter(prefix="/services/{service_id}")
TYPES = {"sms": "Text message", "email": "Email", "letter": "Letter"}
templates.env.globals["LETTER_LANGUAGES"] = LETTER_LANGUAGES
templates.env.globals["shown_variants"] = shown_variants


@router.get("", response_class=HTMLResponse)
@rule(member("view_activity"))
async def dashboard(request: Request, service_id: str) -> HTMLResponse:
    figures = await api(request).get(f"/admin/console/services/{service_id}/dashboard")
    most = max((t["count"] for t in figures["templates"]), default=0)
    # The counts per channel are analytics' live figures when it answers, else the admin API's.
    live = await analytics.live_counts(request.app.state.analytics, service_id, figures["days"])
    if live.available:
        figures = {**figures, "channels": live.channels}
    return await page(request, "dashboard.html", figures=figures, most=most, live=live)


@router.get("/templates", response_class=HTMLResponse)
@rule(member())
async def templates_list(request: Request, service_id: str) -> HTMLResponse:
    return await listing_page(request, service_id, None)


@router.get("/templates/add", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def add_template(
    request: Request, service_id: str, type: str | None = None, folder_id: str = ""
) -> Any:
    if type == "copy":
        return redirect(
            f"/services/{service_id}/templates/copy" + (f"?folder_id={folder_id}" if folder_id else "")
        )
    if type not in TYPES:
        return await page(request, "template_type.html", types=TYPES, errors={}, folder_id=folder_id)
    values = {"template_type": type, "name": "", "subject": "", "content": "", "folder_id": folder_id}
    values.update(form_values({}))
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
    errors.update(form_errors(values))
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
            **_unsubscribe_choice(values),
            **api_fields(values),
        }
        try:
            created = await api(request).post(f"/admin/services/{service_id}/templates", body)
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["content"] = exc.message
        else:
            if values.get("folder_id"):
                await _place(request, service_id, created["id"], values["folder_id"])
            flash(request, f"‘{values['name']}’ was created")
            return redirect(f"/services/{service_id}/templates/{created['id']}")
    return await _form_again(request, service_id, values, errors, None)


async def _place(request: Request, service_id: str, template_id: str, folder_id: str) -> None:
    """Puts a new template in the folder it was made in; a folder deleted meanwhile leaves it at the top."""
    try:
        await api(request).post(
            f"/admin/console/services/{service_id}/template-folders/contents",
            {"target_folder_id": folder_id, "templates": [template_id]},
        )
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise


@router.get("/templates/copy", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def copy_choose(request: Request, service_id: str, folder_id: str = "") -> HTMLResponse:
    """Templates of every service the person belongs to, to copy one into this service."""
    me = user(request)
    sources = sorted(me.get("services", []), key=lambda s: (s["id"] != service_id, s["name"].lower()))
    groups = []
    for source in sources:
        found = await api(request).get(f"/admin/console/services/{source['id']}/templates")
        if found:
            groups.append({"service": source, "templates": found})
    return await page(request, "template_copy.html", groups=groups, folder_id=folder_id, types=TYPES)


@router.get("/templates/copy/{template_id}", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def copy_template(
    request: Request, service_id: str, template_id: str, from_service: str = "", folder_id: str = ""
) -> HTMLResponse:
    source_id = from_service or service_id
    if not has_permission(user(request), source_id, ()):
        raise Forbidden  # only templates of a service the person belongs to
    found = await api(request).get(f"/admin/console/services/{source_id}/templates/{template_id}")
    taken = {t["name"] for t in await api(request).get(f"/admin/console/services/{service_id}/templates")}
    values = {
        "template_type": found["template_type"],
        "name": folders.copy_name(found["name"], taken),
        "subject": found.get("subject") or "",
        "content": found["content"],
        "folder_id": folder_id,
        **form_values(found),
    }
    service = await service_of(request, service_id)
    return await page(
        request,
        "template_form.html",
        values=values,
        errors={},
        editing=None,
        copying=found,
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
    return await page(
        request,
        "template.html",
        template=found,
        preview=preview(found, service),
        path=await _path(request, service_id, template_id),
    )


async def _path(request: Request, service_id: str, template_id: str) -> list[dict[str, Any]]:
    listing = await folder_listing(request, service_id)
    return folders.path_to(listing, folders.folder_of(listing, template_id))


@router.get("/templates/{template_id}/edit", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def edit_template(request: Request, service_id: str, template_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates/{template_id}")
    service = await service_of(request, service_id)
    values = {k: found.get(k) or "" for k in ("template_type", "name", "subject", "content")}
    values["has_unsubscribe_link"] = "y" if found.get("has_unsubscribe_link") else ""
    values.update(form_values(found))
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
            **_unsubscribe_choice(values),
            **api_fields(values),
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
    return await _form_again(request, service_id, values, errors, found)


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
        request,
        "template.html",
        template=found,
        preview=preview(found, service),
        path=await _path(request, service_id, template_id),
        confirm_delete=True,
    )


@router.post("/templates/{template_id}/delete", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def delete_template_post(request: Request, service_id: str, template_id: str) -> Any:
    found = await api(request).get(f"/admin/console/services/{service_id}/templates/{template_id}")
    path = await _path(request, service_id, template_id)
    await api(request).post(f"/admin/services/{service_id}/templates/{template_id}/archive")
    flash(request, f"‘{found['name']}’ was deleted")
    return redirect(folder_url(service_id, path[-1]["id"] if path else None))


def _unsubscribe_choice(values: dict[str, str]) -> dict[str, bool]:
    """ "Add an unsubscribe link", asked of email templates only (an unticked box sends nothing)."""
    if values.get("template_type") != "email":
        return {}
    return {"has_unsubscribe_link": values.get("has_unsubscribe_link") == "y"}


async def _form_again(
    request: Request,
    service_id: str,
    values: dict[str, Any],
    errors: dict[str, str],
    editing: dict[str, Any] | None,
) -> HTMLResponse:
    """The template form shown again with what was typed and why it was refused."""
    service = await service_of(request, service_id)
    return await page(
        request,
        "template_form.html",
        status_code=400,
        values=values,
        errors=errors,
        editing=editing,
        preview=preview(values, service),
    )
