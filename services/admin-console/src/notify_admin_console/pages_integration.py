"""API integration: the message log of what the service's own API keys sent, callbacks (delivery
receipts and received text messages) and the guest list. Recipients in the log are masked and
shown in full only when someone opens a message's details; they never reach a URL."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from notify_admin_console.api import AdminApiError
from notify_admin_console.pages_activity import STATUS_WORDS
from notify_admin_console.security import member, rule
from notify_admin_console.web import api, flash, form, page, redirect
from notify_common.recipients import (
    InvalidPhoneError,
    InvalidRecipientError,
    validate_email_address,
    validate_phone_number,
)

router = APIRouter(prefix="/services/{service_id}/api")
GUEST_LIST_SIZE = 5
MIN_BEARER_TOKEN = 10
CANNOT_BE_EMPTY = "Cannot be empty"
# Stands in for a saved bearer token, which is never shown back (as Notify does).
TOKEN_PLACEHOLDER = "••••••••••"  # noqa: S105 - a placeholder, not a secret
CALLBACKS = {
    "delivery-status": {
        "type": "delivery_status",
        "title": "Callbacks for delivery receipts",
        "hint": "Notify sends a POST request to this URL when a message you sent is delivered or fails.",
    },
    "received-text-messages": {
        "type": "inbound_sms",
        "title": "Callbacks for received text messages",
        "hint": "Notify sends a POST request to this URL when someone texts your service’s number.",
    },
}


CallbackKind = Literal["delivery-status", "received-text-messages"]


def mask(recipient: str | None) -> str:
    """Enough of a recipient to recognise it, not to read it: ``ad•••@example.gov.uk``, ``•••••••0123``."""
    if not recipient:
        return "Letter"
    if "@" in recipient:
        local, _, domain = recipient.rpartition("@")
        return f"{local[:2]}•••@{domain}"
    return "•" * max(len(recipient) - 4, 3) + recipient[-4:]


@router.get("", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def integration(request: Request, service_id: str) -> HTMLResponse:
    log = await api(request).get(f"/admin/console/services/{service_id}/api-message-log")
    for entry in log:
        entry["masked"] = mask(entry.get("recipient"))
    return await page(request, "api_integration.html", log=log, status_words=STATUS_WORDS)


# ---- callbacks ------------------------------------------------------------------------------


async def _callbacks(request: Request, service_id: str) -> dict[str, dict[str, Any]]:
    found = await api(request).get(f"/admin/services/{service_id}/callbacks")
    return {c["callback_type"]: c for c in found}


@router.get("/callbacks", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def callbacks(request: Request, service_id: str) -> HTMLResponse:
    saved = await _callbacks(request, service_id)
    return await page(request, "api_callbacks.html", callbacks=CALLBACKS, saved=saved)


async def _callback_form(request: Request, service_id: str, kind: str) -> HTMLResponse:
    saved = (await _callbacks(request, service_id)).get(CALLBACKS[kind]["type"])
    values = {"url": saved["url"], "bearer_token": TOKEN_PLACEHOLDER} if saved else {}
    return await page(
        request,
        "api_callback_form.html",
        kind=kind,
        spec=CALLBACKS[kind],
        saved=saved,
        values=values,
        errors={},
    )


def check_callback(url: str, token: str, *, saved: bool) -> dict[str, str]:
    """Notify's rules: an https URL and a bearer token of at least 10 characters (the placeholder
    keeps a saved token). An empty URL removes a saved callback."""
    errors: dict[str, str] = {}
    if not url:
        if not saved:
            errors["url"] = CANNOT_BE_EMPTY
        return errors
    if not url.startswith("https://") or len(url) <= len("https://"):
        errors["url"] = "Must be a valid https URL"
    if not token or (token == TOKEN_PLACEHOLDER and not saved):
        errors["bearer_token"] = CANNOT_BE_EMPTY
    elif token != TOKEN_PLACEHOLDER and len(token) < MIN_BEARER_TOKEN:
        errors["bearer_token"] = f"Must be at least {MIN_BEARER_TOKEN} characters"
    return errors


async def _callback_post(request: Request, service_id: str, kind: str) -> Any:
    spec = CALLBACKS[kind]
    saved = (await _callbacks(request, service_id)).get(spec["type"])
    values = await form(request)
    url, token = values.get("url", ""), values.get("bearer_token", "")
    errors = check_callback(url, token, saved=saved is not None)
    path = f"/admin/services/{service_id}/callbacks/{spec['type']}"
    if not errors:
        try:
            if not url:
                await api(request).call("DELETE", path)
                flash(request, "Callback removed")
            elif token == TOKEN_PLACEHOLDER:
                await api(request).call(
                    "PATCH",
                    f"/admin/console/services/{service_id}/callbacks/{spec['type']}",
                    json={"url": url},
                )
                flash(request, "Callback saved")
            else:
                await api(request).call("PUT", path, json={"url": url, "bearer_token": token})
                flash(request, "Callback saved")
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["url"] = exc.message
        else:
            return redirect(f"/services/{service_id}/api/callbacks")
    shown = {"url": url, "bearer_token": TOKEN_PLACEHOLDER if token == TOKEN_PLACEHOLDER else ""}
    return await page(
        request,
        "api_callback_form.html",
        status_code=400,
        kind=kind,
        spec=spec,
        saved=saved,
        values=shown,
        errors=errors,
    )


async def _signing_secret_page(request: Request, service_id: str, kind: str) -> Any:
    saved = (await _callbacks(request, service_id)).get(CALLBACKS[kind]["type"])
    if saved is None:
        return redirect(f"/services/{service_id}/api/callbacks/{kind}")
    return await page(
        request,
        "api_callback_signing_secret.html",
        kind=kind,
        spec=CALLBACKS[kind],
        signed=bool(saved.get("signed")),
        secret=None,
    )


async def _signing_secret_post(request: Request, service_id: str, kind: str) -> Any:
    """Create (or replace) the secret, shown this once, or remove it."""
    spec = CALLBACKS[kind]
    path = f"/admin/services/{service_id}/callbacks/{spec['type']}/signing-secret"
    if (await form(request)).get("action") == "remove":
        await api(request).call("DELETE", path)
        flash(request, "Signing secret removed")
        return redirect(f"/services/{service_id}/api/callbacks/{kind}")
    created = await api(request).call("PUT", path, json={})
    return await page(
        request,
        "api_callback_signing_secret.html",
        kind=kind,
        spec=spec,
        signed=True,
        secret=created["signing_secret"],
    )


@router.get("/callbacks/{kind}/signing-secret", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def callback_signing_secret(request: Request, service_id: str, kind: CallbackKind) -> Any:
    return await _signing_secret_page(request, service_id, kind)


@router.post("/callbacks/{kind}/signing-secret", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def callback_signing_secret_post(request: Request, service_id: str, kind: CallbackKind) -> Any:
    return await _signing_secret_post(request, service_id, kind)


@router.get("/callbacks/delivery-status", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def delivery_status_callback(request: Request, service_id: str) -> HTMLResponse:
    return await _callback_form(request, service_id, "delivery-status")


@router.post("/callbacks/delivery-status", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def delivery_status_callback_post(request: Request, service_id: str) -> Any:
    return await _callback_post(request, service_id, "delivery-status")


@router.get("/callbacks/received-text-messages", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def received_text_messages_callback(request: Request, service_id: str) -> HTMLResponse:
    return await _callback_form(request, service_id, "received-text-messages")


@router.post("/callbacks/received-text-messages", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def received_text_messages_callback_post(request: Request, service_id: str) -> Any:
    return await _callback_post(request, service_id, "received-text-messages")


# ---- guest list -----------------------------------------------------------------------------


def check_guest_list(emails: list[str], phones: list[str]) -> tuple[list[str], list[str], dict[str, str]]:
    """The entries as the platform normalises them, and an error per bad field (``email-3``)."""
    good_emails, good_phones, errors = [], [], {}
    for i, value in enumerate(emails, start=1):
        if value:
            try:
                good_emails.append(validate_email_address(value))
            except InvalidRecipientError:
                errors[f"email-{i}"] = (
                    "Enter an email address in the correct format, like name@example.gov.uk"
                )
    for i, value in enumerate(phones, start=1):
        if value:
            try:
                good_phones.append(validate_phone_number(value, allow_international=True).normalised)
            except InvalidPhoneError as exc:
                errors[f"phone-{i}"] = exc.ui_message
            except InvalidRecipientError as exc:
                errors[f"phone-{i}"] = exc.message
    return good_emails, good_phones, errors


def _padded(values: list[str]) -> list[str]:
    return (values + [""] * GUEST_LIST_SIZE)[:GUEST_LIST_SIZE]


@router.get("/guest-list", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def guest_list(request: Request, service_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/services/{service_id}/guest-list")
    emails = [g["recipient"] for g in found if g["recipient_type"] == "email"]
    phones = [g["recipient"] for g in found if g["recipient_type"] == "mobile"]
    return await page(
        request, "api_guest_list.html", emails=_padded(emails), phones=_padded(phones), errors={}
    )


@router.post("/guest-list", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def guest_list_post(request: Request, service_id: str) -> Any:
    values = await form(request)
    emails = [values.get(f"email-{i}", "") for i in range(1, GUEST_LIST_SIZE + 1)]
    phones = [values.get(f"phone-{i}", "") for i in range(1, GUEST_LIST_SIZE + 1)]
    good_emails, good_phones, errors = check_guest_list(emails, phones)
    if not errors:
        try:
            await api(request).call(
                "PUT",
                f"/admin/services/{service_id}/guest-list",
                json={"email_addresses": good_emails, "phone_numbers": good_phones},
            )
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["email-1"] = exc.message
        else:
            flash(request, "Guest list updated")
            return redirect(f"/services/{service_id}/api")
    return await page(
        request, "api_guest_list.html", status_code=400, emails=emails, phones=phones, errors=errors
    )
