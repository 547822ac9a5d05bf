"""Branding: the platform admins' pool of email and letter brandings (``/platform-admin/branding``:
list, add with a logo), and a service's branding in its settings, where those who manage the
service see its preview and choose its email and letter branding from the pool.

The preview is the email the email-sender would send (``notify_common.templates.email_branding``)
in a frame of its own, whose answer allows the inline styles email needs and nothing else; logos
are shown through the console (``/branding-logos/...``), which reads them from the admin API.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from notify_admin_console.api import AdminApiError
from notify_admin_console.security import SIGNED_IN, member, rule
from notify_admin_console.web import api, flash, page, platform_admin_only, redirect
from notify_common.templates import render_email
from notify_common.templates.email_branding import EmailBranding, branded_html

router = APIRouter()
BRAND_TYPES = (
    ("org", "Your organisation’s logo", "The logo, with a bar of the colour beside it if you give one"),
    ("both", "GOV.UK and your organisation’s logo", "The GOV.UK banner above the organisation’s logo"),
    ("org_banner", "Your organisation’s banner", "The logo and text on a banner of the colour"),
    ("govuk", "GOV.UK", "The GOV.UK banner only"),
)
BRAND_TYPE_WORDS = {value: words for value, words, _ in BRAND_TYPES}
LOGO_KINDS = ("email", "letter")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
PREVIEW_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
PREVIEW_TEXT = "Dear Ada,\n\nThis is how your emails look with this branding.\n\nSee https://www.gov.uk"


async def _pool(request: Request) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    client = api(request)
    return await client.get("/admin/email-branding"), await client.get("/admin/letter-branding")


async def _pool_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    email, letter = await _pool(request)
    context = {"errors": {}, "values": {}, **context}
    return await page(
        request,
        "branding_pool.html",
        status_code=status_code,
        email_brandings=email,
        letter_brandings=letter,
        brand_types=BRAND_TYPES,
        **context,
    )


@router.get("/platform-admin/branding", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def pool(request: Request) -> HTMLResponse:
    platform_admin_only(request)
    return await _pool_page(request)


async def _upload(request: Request, kind: str, upload: Any) -> str | None:
    """The uploaded logo's key, or None when no file was chosen."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    stored = await api(request).call("POST", f"/admin/branding-logos/{kind}", content=await upload.read())
    return str(stored["logo"])


def _text(data: Any, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/platform-admin/branding/email", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def add_email_branding(request: Request) -> Any:
    platform_admin_only(request)
    data = await request.form()
    values = {k: _text(data, k) for k in ("name", "brand_type", "colour", "text")}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Enter a name for the branding"
    if values["brand_type"] not in {t[0] for t in BRAND_TYPES}:
        errors["brand_type"] = "Choose what the branding shows"
    if values["colour"] and not COLOUR.fullmatch(values["colour"]):
        errors["colour"] = "Enter the colour as a hex colour code, like #1d70b8"
    if not errors:
        try:
            logo = await _upload(request, "email", data.get("logo"))
            body = {k: v or None for k, v in values.items()} | {"logo": logo}
            await api(request).post("/admin/email-branding", body)
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["logo" if "logo" in exc.message.lower() else "name"] = exc.message
    if errors:
        return await _pool_page(request, status_code=400, errors=errors, values=values)
    flash(request, f"Email branding ‘{values['name']}’ added")
    return redirect("/platform-admin/branding")


@router.post("/platform-admin/branding/letter", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def add_letter_branding(request: Request) -> Any:
    platform_admin_only(request)
    data = await request.form()
    name = _text(data, "letter_name")
    errors: dict[str, str] = {}
    if not name:
        errors["letter_name"] = "Enter a name for the branding"
    else:
        try:
            logo = await _upload(request, "letter", data.get("letter_logo"))
            if logo is None:
                errors["letter_logo"] = "Choose a logo file"
            else:
                await api(request).post("/admin/letter-branding", {"name": name, "logo": logo})
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["letter_logo" if "logo" in exc.message.lower() else "letter_name"] = exc.message
    if errors:
        return await _pool_page(request, status_code=400, errors=errors, values={"letter_name": name})
    flash(request, f"Letter branding ‘{name}’ added")
    return redirect("/platform-admin/branding")


@router.get("/branding-logos/{kind}/{name}")
@rule(SIGNED_IN)
async def logo(request: Request, kind: str, name: str) -> Response:
    if kind not in LOGO_KINDS:
        raise AdminApiError(404, "Logo not found")
    data, content_type = await api(request).file(f"/admin/branding-logos/{kind}/{name}")
    return Response(
        data,
        media_type=content_type,
        headers={"Content-Security-Policy": "default-src 'none'", "Cache-Control": "private, max-age=3600"},
    )


def _choice(current: dict[str, Any]) -> str:
    return str(current["email"]["id"]) if current["email"] else str(current["email_branding"])


@router.get("/services/{service_id}/settings/branding", response_class=HTMLResponse)
@rule(member("manage_service"))
async def service_branding(request: Request, service_id: str) -> HTMLResponse:
    current = await api(request).get(f"/admin/services/{service_id}/branding")
    email, letter = await _pool(request)
    options: list[tuple[str, str, str | None]] = [("govuk", "GOV.UK", None), ("none", "No branding", None)]
    options += [(b["id"], b["name"], BRAND_TYPE_WORDS.get(b["brand_type"])) for b in email]
    letter_options: list[tuple[str, str, str | None]] = [("none", "No logo", None)]
    letter_options += [(b["id"], b["name"], None) for b in letter]
    chosen_letter = current["letter_branding"]["id"] if current["letter_branding"] else "none"
    return await page(
        request,
        "branding_settings.html",
        current=current,
        email_options=options,
        letter_options=letter_options,
        email_choice=_choice(current),
        letter_choice=chosen_letter,
    )


@router.post("/services/{service_id}/settings/branding", response_class=HTMLResponse)
@rule(member("manage_service"))
async def service_branding_post(request: Request, service_id: str) -> Any:
    data = await request.form()
    email, letter = _text(data, "email_branding"), _text(data, "letter_branding")
    body: dict[str, Any] = {}
    if email:
        body["email_branding"] = email
    if letter:
        body["letter_branding"] = None if letter == "none" else letter
    await api(request).call("PATCH", f"/admin/services/{service_id}/branding", json=body)
    flash(request, "Branding changed")
    return redirect(f"/services/{service_id}/settings/branding")


@router.get("/services/{service_id}/settings/branding/preview", response_class=HTMLResponse)
@rule(member("manage_service"))
async def preview(request: Request, service_id: str) -> HTMLResponse:
    """The service's current email branding around a sample email, as the email-sender sends it."""
    current = await api(request).get(f"/admin/services/{service_id}/branding")
    chosen = current["email"]
    if chosen is None:
        branding = EmailBranding(brand_type=current["email_branding"])
    else:
        branding = EmailBranding(
            brand_type=chosen["brand_type"],
            name=chosen["name"],
            colour=chosen["colour"],
            text=chosen["text"],
            logo_url=f"/branding-logos/{chosen['logo']}" if chosen["logo"] else None,
        )
    body = render_email("Preview", PREVIEW_TEXT, {}, check_limits=False).html
    return HTMLResponse(
        branded_html(body, branding).replace("<head>", "<head><title>Email branding preview</title>", 1),
        headers={"Content-Security-Policy": PREVIEW_CSP},
    )
