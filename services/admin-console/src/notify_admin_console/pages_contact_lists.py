"""Contact lists (docs/contact-lists.md): upload a recipients file once (a spreadsheet of email
addresses or phone numbers, checked as it is uploaded), see the lists that can still be sent to,
send one with a template of its channel (the usual check page, then "Send"), and delete one."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.datastructures import UploadFile

from notify_admin_console.api import AdminApiError
from notify_admin_console.downloads import stream_file
from notify_admin_console.security import member, rule
from notify_admin_console.spreadsheets import ACCEPT_ATTRIBUTE, SpreadsheetError, to_csv
from notify_admin_console.web import api, flash, form, page, redirect, user

router = APIRouter(prefix="/services/{service_id}")


def _path(service_id: str, rest: str = "") -> str:
    return f"/admin/console/services/{service_id}/contact-lists{rest}"


async def _lists_page(
    request: Request, service_id: str, errors: dict[str, str], status_code: int = 200
) -> HTMLResponse:
    found = await api(request).get(_path(service_id))
    return await page(
        request,
        "contact_lists.html",
        status_code=status_code,
        lists=found,
        errors=errors,
        accept=ACCEPT_ATTRIBUTE,
    )


@router.get("/contact-lists", response_class=HTMLResponse)
@rule(member())
async def contact_lists(request: Request, service_id: str) -> HTMLResponse:
    return await _lists_page(request, service_id, {})


@router.post("/contact-lists", response_class=HTMLResponse)
@rule(member("send_messages"))
async def upload_contact_list(request: Request, service_id: str) -> Any:
    data = await request.form()
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _lists_page(request, service_id, {"file": "Choose a file to upload"}, 400)
    try:
        content = await asyncio.to_thread(to_csv, upload.filename, await upload.read())
    except SpreadsheetError as exc:
        return await _lists_page(request, service_id, {"file": str(exc)}, 400)
    try:
        saved = await api(request).call(
            "POST",
            _path(service_id),
            params={"file_name": upload.filename, "created_by": user(request)["name"]},
            content=content,
        )
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise
        return await _lists_page(request, service_id, {"file": exc.message}, 400)
    flash(request, f"‘{saved['original_file_name']}’ was saved as a contact list")
    return redirect(f"/services/{service_id}/contact-lists/{saved['id']}")


async def _list_page(
    request: Request, service_id: str, list_id: str, *, confirm_delete: bool = False, error: str | None = None
) -> HTMLResponse:
    found = await api(request).get(_path(service_id, f"/{list_id}"))
    templates = await api(request).get(f"/admin/console/services/{service_id}/templates")
    usable = [t for t in templates if t["template_type"] == found["template_type"]]
    return await page(
        request,
        "contact_list.html",
        status_code=400 if error else 200,
        contact_list=found,
        templates=usable,
        confirm_delete=confirm_delete,
        error=error,
    )


@router.get("/contact-lists/{list_id}.csv", response_class=StreamingResponse)
@rule(member())
async def contact_list_file(request: Request, service_id: str, list_id: str) -> StreamingResponse:
    found = await api(request).get(_path(service_id, f"/{list_id}"))
    name = found["original_file_name"].rsplit(".", 1)[0] + ".csv"
    return await stream_file(
        request, _path(service_id, f"/{list_id}.csv"), {}, name, "text/csv; charset=utf-8"
    )


@router.get("/contact-lists/{list_id}", response_class=HTMLResponse)
@rule(member())
async def contact_list(request: Request, service_id: str, list_id: str) -> HTMLResponse:
    return await _list_page(request, service_id, list_id)


@router.post("/contact-lists/{list_id}/send", response_class=HTMLResponse)
@rule(member("send_messages"))
async def send_to_list(request: Request, service_id: str, list_id: str) -> Any:
    """The list checked for the chosen template: the usual check page, which sends it."""
    values = await form(request)
    if not values.get("template_id"):
        return await _list_page(request, service_id, list_id, error="Choose a template")
    checked = await api(request).post(
        _path(service_id, f"/{list_id}/uploads"),
        {"template_id": values["template_id"], "created_by": user(request)["id"]},
    )
    return redirect(f"/services/{service_id}/check/{checked['id']}")


@router.get("/contact-lists/{list_id}/delete", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def delete_list_confirm(request: Request, service_id: str, list_id: str) -> HTMLResponse:
    return await _list_page(request, service_id, list_id, confirm_delete=True)


@router.post("/contact-lists/{list_id}/delete", response_class=HTMLResponse)
@rule(member("manage_templates"))
async def delete_list(request: Request, service_id: str, list_id: str) -> Any:
    found = await api(request).get(_path(service_id, f"/{list_id}"))
    await api(request).call("DELETE", _path(service_id, f"/{list_id}"))
    flash(request, f"‘{found['original_file_name']}’ was deleted")
    return redirect(f"/services/{service_id}/contact-lists")
