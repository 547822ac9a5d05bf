"""Sending: a one-off message (or a reply to someone who texted the service), a spreadsheet upload
(CSV, TSV, Excel or OpenDocument, sent on as CSV) with its check page and the "Send N messages"
confirmation (now or scheduled up to 7 days ahead), jobs with live progress, and cancelling."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from notify_admin_console.api import AdminApiError
from notify_admin_console.preview import placeholder_names, preview
from notify_admin_console.security import member, rule
from notify_admin_console.spreadsheets import ACCEPT_ATTRIBUTE, SpreadsheetError, to_csv
from notify_admin_console.web import LONDON, api, flash, form, page, redirect, service_of, user

router = APIRouter(prefix="/services/{service_id}")
RECIPIENT = {"sms": ("phone_number", "phone number"), "email": ("email_address", "email address")}


async def _template(request: Request, service_id: str, template_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await api(request).get(
        f"/admin/console/services/{service_id}/templates/{template_id}"
    )
    return found


@router.get("/send/{template_id}/one-off", response_class=HTMLResponse)
@rule(member("send_messages"))
async def one_off(
    request: Request, service_id: str, template_id: str, myself: bool = False, reply_to: str = ""
) -> HTMLResponse:
    template = await _template(request, service_id, template_id)
    values: dict[str, str] = {}
    if reply_to and template["template_type"] == "sms":
        # The number comes from the received text, so it never appears in a URL.
        found = await api(request).get(f"/admin/console/services/{service_id}/conversations/{reply_to}")
        values["to"] = found["user_number"]
    elif myself:
        me = user(request)
        values["to"] = (
            (me.get("mobile_number") or "") if template["template_type"] == "sms" else me["email_address"]
        )
    return await page(
        request,
        "send_one_off.html",
        template=template,
        names=placeholder_names(template),
        values=values,
        errors={},
    )


@router.post("/send/{template_id}/one-off", response_class=HTMLResponse)
@rule(member("send_messages"))
async def one_off_post(request: Request, service_id: str, template_id: str) -> Any:
    template = await _template(request, service_id, template_id)
    values = await form(request)
    names = placeholder_names(template)
    kind = template["template_type"]
    errors: dict[str, str] = {}
    if kind not in RECIPIENT:
        errors["to"] = "Letters cannot be sent one at a time from here yet"
    elif not values.get("to"):
        errors["to"] = f"Enter a {RECIPIENT[kind][1]}"
    for index, name in enumerate(names):
        if not values.get(f"placeholder-{index}"):
            errors[f"placeholder-{index}"] = f"Enter {name}"
    if not errors:
        key = (await api(request).post(f"/admin/console/services/{service_id}/console-key"))["key"]
        body = {
            RECIPIENT[kind][0]: values["to"],
            "template_id": template_id,
            "personalisation": {name: values[f"placeholder-{i}"] for i, name in enumerate(names)},
        }
        try:
            sent = await api(request).send(key, kind, body)
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["to"] = exc.message
        else:
            flash(request, f"Your {'text message' if kind == 'sms' else 'email'} is being sent")
            return redirect(f"/services/{service_id}/notifications/{sent['id']}?just_sent=true")
    return await page(
        request,
        "send_one_off.html",
        status_code=400,
        template=template,
        names=names,
        values=values,
        errors=errors,
    )


@router.get("/send/{template_id}/csv", response_class=HTMLResponse)
@rule(member("send_messages"))
async def upload_csv(request: Request, service_id: str, template_id: str) -> HTMLResponse:
    template = await _template(request, service_id, template_id)
    return await page(
        request,
        "send_csv.html",
        template=template,
        columns=_columns(template),
        errors={},
        accept=ACCEPT_ATTRIBUTE,
    )


def _columns(template: dict[str, Any]) -> list[str]:
    first = RECIPIENT.get(template["template_type"], ("", "address line 1"))[1]
    return [first, *placeholder_names(template)]


@router.post("/send/{template_id}/csv", response_class=HTMLResponse)
@rule(member("send_messages"))
async def upload_csv_post(request: Request, service_id: str, template_id: str) -> Any:
    template = await _template(request, service_id, template_id)
    data = await request.form()
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        problem = "Choose a file to upload"
    else:
        try:
            content = await asyncio.to_thread(to_csv, upload.filename, await upload.read())
        except SpreadsheetError as exc:
            problem = str(exc)
        else:
            checked = await _upload(request, service_id, template_id, upload.filename, content)
            return redirect(f"/services/{service_id}/check/{checked['id']}")
    return await page(
        request,
        "send_csv.html",
        status_code=400,
        template=template,
        columns=_columns(template),
        errors={"file": problem},
        accept=ACCEPT_ATTRIBUTE,
    )


async def _upload(request: Request, service_id: str, template_id: str, name: str, content: bytes) -> Any:
    return await api(request).call(
        "POST",
        f"/admin/console/services/{service_id}/uploads",
        params={"template_id": template_id, "file_name": name, "created_by": user(request)["id"]},
        content=content,
    )


def schedule_choices(now: datetime | None = None) -> list[dict[str, str]]:
    """'Now', then every hour on the hour (London time) for the next 7 days, as Notify offers."""
    start = (now or datetime.now(UTC)).astimezone(LONDON).replace(minute=0, second=0, microsecond=0)
    choices = [{"value": "", "label": "Now"}]
    for hours in range(1, 7 * 24):
        slot = start + timedelta(hours=hours)
        hour = slot.strftime("%I").lstrip("0")
        label = f"{slot:%A} {slot.day} {slot:%B} at {hour}{slot:%p}".replace("AM", "am").replace("PM", "pm")
        choices.append({"value": slot.astimezone(UTC).isoformat(), "label": label})
    return choices


@router.get("/check/{upload_id}", response_class=HTMLResponse)
@rule(member("send_messages"))
async def check(request: Request, service_id: str, upload_id: str) -> Any:
    upload = await api(request).get(f"/admin/console/services/{service_id}/uploads/{upload_id}")
    if upload["job_id"]:
        return redirect(f"/services/{service_id}/jobs/{upload['job_id']}")
    template = await _template(request, service_id, upload["template_id"])
    service = await service_of(request, service_id)
    first = upload["report"]["preview"][0] if upload["report"]["preview"] else {}
    shown = preview(template, service, {k.lower(): v for k, v in first.items()}) if upload["valid"] else None
    return await page(
        request,
        "check_csv.html",
        status_code=200 if upload["valid"] else 400,
        upload=upload,
        template=template,
        report=upload["report"],
        preview=shown,
        accept=ACCEPT_ATTRIBUTE,
        choices=schedule_choices(),
        errors={},
    )


@router.post("/check/{upload_id}", response_class=HTMLResponse)
@rule(member("send_messages"))
async def start(request: Request, service_id: str, upload_id: str) -> Any:
    values = await form(request)
    started = await api(request).post(
        f"/admin/console/services/{service_id}/uploads/{upload_id}/start",
        {"scheduled_for": values.get("scheduled_for") or None, "created_by": user(request)["name"]},
    )
    return redirect(f"/services/{service_id}/jobs/{started['job_id']}")


@router.get("/jobs", response_class=HTMLResponse)
@rule(member())
async def jobs(request: Request, service_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/jobs")
    return await page(request, "jobs.html", jobs=found)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
@rule(member())
async def job(request: Request, service_id: str, job_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/jobs/{job_id}")
    listed = await api(request).post(
        f"/admin/console/services/{service_id}/notifications/search", {"job_id": job_id}
    )
    return await page(
        request, "job.html", job=found, notifications=listed["notifications"], confirm_cancel=False
    )


@router.get("/jobs/{job_id}/cancel", response_class=HTMLResponse)
@rule(member("send_messages"))
async def cancel_job(request: Request, service_id: str, job_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/jobs/{job_id}")
    return await page(request, "job.html", job=found, notifications=[], confirm_cancel=True)


@router.post("/jobs/{job_id}/cancel", response_class=HTMLResponse)
@rule(member("send_messages"))
async def cancel_job_post(request: Request, service_id: str, job_id: str) -> Any:
    try:
        await api(request).post(f"/admin/console/services/{service_id}/jobs/{job_id}/cancel")
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise
        flash(request, exc.message, "error")
    else:
        flash(request, "Sending cancelled: nothing from this file will be sent")
    return redirect(f"/services/{service_id}/jobs/{job_id}")
