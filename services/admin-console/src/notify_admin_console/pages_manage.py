"""API keys (the secret shown once), team members with permissions and invitations, service
settings (name, text message prefix and sender IDs, reply-to addresses, letter sender addresses,
retention) and usage with costs for a financial year.

A reply-to address is added only once it is verified: the console emails it a link from the
platform's own service, shows "Check your email", and adds the address when a person who can manage
the service follows the link and confirms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from notify_admin_console.api import AdminApiError
from notify_admin_console.pages_auth import platform
from notify_admin_console.security import PERMISSIONS, member, rule
from notify_admin_console.web import api, flash, form, page, redirect, service_of, user

router = APIRouter(prefix="/services/{service_id}")
CONSOLE_KEY_NAME = "Notify admin console"
KEY_TYPES = {
    "normal": ("Live", "sends to anyone"),
    "team": ("Team and guest list", "limits who you can send to"),
    "test": ("Test", "pretends to send messages"),
}


# ---- API keys ---------------------------------------------------------------------------------


async def _keys(request: Request, service_id: str) -> list[dict[str, Any]]:
    keys = await api(request).get(f"/admin/services/{service_id}/api-keys")
    return [k for k in keys if k["name"] != CONSOLE_KEY_NAME]


@router.get("/api-keys", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def api_keys(request: Request, service_id: str) -> HTMLResponse:
    return await page(request, "api_keys.html", keys=await _keys(request, service_id), key_types=KEY_TYPES)


@router.get("/api-keys/create", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def create_key(request: Request, service_id: str) -> HTMLResponse:
    return await page(request, "api_key_create.html", key_types=KEY_TYPES, values={}, errors={})


@router.post("/api-keys/create", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def create_key_post(request: Request, service_id: str) -> HTMLResponse:
    values = await form(request)
    errors: dict[str, str] = {}
    if not values.get("name"):
        errors["name"] = "Enter a name for this key"
    elif values["name"] == CONSOLE_KEY_NAME:
        errors["name"] = "That name is kept for the console’s own key"
    if values.get("key_type") not in KEY_TYPES:
        errors["key_type"] = "Select a type of key"
    if not errors:
        try:
            created = await api(request).post(
                f"/admin/services/{service_id}/api-keys",
                {"name": values["name"], "key_type": values["key_type"]},
            )
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["key_type" if "trial" in exc.message else "name"] = exc.message
        else:
            # Shown in this answer only: never stored by the console, never in a URL or session.
            return await page(request, "api_key_show.html", name=values["name"], key=created["key"])
    return await page(
        request, "api_key_create.html", status_code=400, key_types=KEY_TYPES, values=values, errors=errors
    )


@router.get("/api-keys/{key_id}/revoke", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def revoke_key(request: Request, service_id: str, key_id: str) -> HTMLResponse:
    keys = await _keys(request, service_id)
    chosen = next((k for k in keys if k["id"] == key_id), None)
    return await page(request, "api_keys.html", keys=keys, key_types=KEY_TYPES, revoking=chosen)


@router.post("/api-keys/{key_id}/revoke", response_class=HTMLResponse)
@rule(member("manage_api_keys"))
async def revoke_key_post(request: Request, service_id: str, key_id: str) -> Any:
    keys = await _keys(request, service_id)
    chosen = next((k for k in keys if k["id"] == key_id), None)
    if chosen is not None:
        await api(request).post(f"/admin/services/{service_id}/api-keys/{key_id}/revoke")
        flash(request, f"‘{chosen['name']}’ was revoked")
    return redirect(f"/services/{service_id}/api-keys")


# ---- team ---------------------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
@rule(member())
async def team(request: Request, service_id: str) -> HTMLResponse:
    found = await api(request).get(f"/admin/console/services/{service_id}/users")
    return await page(request, "team.html", team=found)


@router.get("/users/invite", response_class=HTMLResponse)
@rule(member("manage_service"))
async def invite(request: Request, service_id: str) -> HTMLResponse:
    return await page(request, "invite.html", values={}, chosen=[], errors={})


@router.post("/users/invite", response_class=HTMLResponse)
@rule(member("manage_service"))
async def invite_post(request: Request, service_id: str) -> Any:
    data = await request.form()
    email = str(data.get("email_address") or "").strip()
    chosen = [p for p in data.getlist("permissions") if isinstance(p, str) and p in PERMISSIONS]
    errors: dict[str, str] = {}
    if not email:
        errors["email_address"] = "Enter an email address"
    if not errors:
        try:
            invited = await api(request).post(
                f"/admin/console/services/{service_id}/invites",
                {"email_address": email, "permissions": chosen, "invited_by": user(request)["id"]},
            )
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["email_address"] = exc.message
        else:
            await _send_invitation(request, service_id, invited)
            flash(request, f"Invite sent to {invited['email_address']}")
            return redirect(f"/services/{service_id}/users")
    return await page(
        request, "invite.html", status_code=400, values={"email_address": email}, chosen=chosen, errors=errors
    )


async def _send_invitation(request: Request, service_id: str, invited: dict[str, Any]) -> None:
    notify = await platform(request)
    service = await service_of(request, service_id)
    url = f"{request.app.state.settings.console_url.rstrip('/')}/invitation/{invited['token']}"
    await api(request).send(
        notify["key"],
        "email",
        {
            "email_address": invited["email_address"],
            "template_id": notify["templates"]["invitation"],
            "personalisation": {
                "inviter": user(request)["name"],
                "service_name": service["name"],
                "url": url,
            },
        },
    )


@router.post("/invites/{invite_id}/cancel", response_class=HTMLResponse)
@rule(member("manage_service"))
async def cancel_invite(request: Request, service_id: str, invite_id: str) -> Any:
    await api(request).post(f"/admin/console/services/{service_id}/invites/{invite_id}/cancel")
    flash(request, "Invitation cancelled")
    return redirect(f"/services/{service_id}/users")


async def _member(request: Request, service_id: str, user_id: str) -> dict[str, Any] | None:
    found = await api(request).get(f"/admin/console/services/{service_id}/users")
    return next((u for u in found["users"] if u["id"] == user_id), None)


@router.get("/users/{user_id}", response_class=HTMLResponse)
@rule(member("manage_service"))
async def edit_member(request: Request, service_id: str, user_id: str) -> HTMLResponse:
    chosen = await _member(request, service_id, user_id)
    return await page(request, "member.html", member=chosen, confirm_remove=False)


@router.post("/users/{user_id}", response_class=HTMLResponse)
@rule(member("manage_service"))
async def edit_member_post(request: Request, service_id: str, user_id: str) -> Any:
    data = await request.form()
    chosen = [p for p in data.getlist("permissions") if isinstance(p, str) and p in PERMISSIONS]
    await api(request).call(
        "PUT", f"/admin/console/services/{service_id}/users/{user_id}", json={"permissions": chosen}
    )
    flash(request, "Permissions saved")
    return redirect(f"/services/{service_id}/users")


@router.get("/users/{user_id}/remove", response_class=HTMLResponse)
@rule(member("manage_service"))
async def remove_member(request: Request, service_id: str, user_id: str) -> HTMLResponse:
    chosen = await _member(request, service_id, user_id)
    return await page(request, "member.html", member=chosen, confirm_remove=True)


@router.post("/users/{user_id}/remove", response_class=HTMLResponse)
@rule(member("manage_service"))
async def remove_member_post(request: Request, service_id: str, user_id: str) -> Any:
    await api(request).call("DELETE", f"/admin/console/services/{service_id}/users/{user_id}")
    flash(request, "Team member removed")
    return redirect(f"/services/{service_id}/users")


# ---- settings and usage -----------------------------------------------------------------------


@router.get("/settings", response_class=HTMLResponse)
@rule(member("manage_service", "manage_api_keys"))
async def settings(request: Request, service_id: str) -> HTMLResponse:
    client = api(request)
    senders = {
        kind: await client.get(f"/admin/services/{service_id}/senders/{kind}")
        for kind in ("sms-senders", "email-reply-to", "letter-contacts")
    }
    verifications = await client.get(f"/admin/console/services/{service_id}/reply-to-verifications")
    added = {r["email_address"].lower() for r in senders["email-reply-to"]}
    pending = sorted(
        {
            v["email_address"]
            for v in verifications
            if v["status"] == "pending" and v["email_address"].lower() not in added
        }
    )
    return await page(request, "settings.html", senders=senders, pending_reply_to=pending)


SETTINGS_FORMS: dict[str, dict[str, Any]] = {
    "name": {"label": "Service name", "field": "name"},
    "sms-prefix": {"label": "Start text messages with service name", "field": "prefix_sms"},
    "retention": {"label": "Data retention period", "field": "days_of_retention"},
    "reply-to": {"label": "Add a reply-to email address", "field": "value"},
    "sms-sender": {"label": "Add a text message sender ID", "field": "value"},
    "letter-contact": {"label": "Add a sender address", "field": "value"},
}
SENDER_KINDS = {
    "reply-to": "email-reply-to",
    "sms-sender": "sms-senders",
    "letter-contact": "letter-contacts",
}
MAX_CONTACT_BLOCK_LINES = 10


@router.get("/settings/{setting}", response_class=HTMLResponse)
@rule(member("manage_service"))
async def change_setting(request: Request, service_id: str, setting: str) -> Any:
    if setting not in SETTINGS_FORMS:
        return redirect(f"/services/{service_id}/settings")
    return await page(
        request, "setting_form.html", setting=setting, spec=SETTINGS_FORMS[setting], errors={}, value=""
    )


@router.post("/settings/{setting}", response_class=HTMLResponse)
@rule(member("manage_service"))
async def change_setting_post(request: Request, service_id: str, setting: str) -> Any:
    if setting not in SETTINGS_FORMS:
        return redirect(f"/services/{service_id}/settings")
    value = (await form(request)).get("value", "").replace("\r\n", "\n")
    client = api(request)
    error = None
    try:
        if setting == "name":
            if not value:
                error = "Enter a service name"
            else:
                await client.call("PATCH", f"/admin/services/{service_id}", json={"name": value})
        elif setting == "sms-prefix":
            await client.call("PATCH", f"/admin/services/{service_id}", json={"prefix_sms": value == "yes"})
        elif setting == "retention":
            if not value.isdigit() or not 3 <= int(value) <= 90:
                error = "Enter a number of days between 3 and 90"
            else:
                for channel in ("sms", "email", "letter"):
                    await client.call(
                        "PUT",
                        f"/admin/services/{service_id}/data-retention/{channel}",
                        json={"days_of_retention": int(value)},
                    )
        elif setting == "letter-contact" and len(value.splitlines()) > MAX_CONTACT_BLOCK_LINES:
            error = f"Contains {len(value.splitlines())} lines, maximum is {MAX_CONTACT_BLOCK_LINES}"
        elif not value:
            error = "Cannot be empty" if setting == "letter-contact" else "Enter a value"
        elif setting == "reply-to":
            started = await client.post(
                f"/admin/console/services/{service_id}/reply-to-verifications",
                {"email_address": value, "created_by": user(request)["id"]},
            )
            await _send_reply_to_link(request, service_id, started)
            return redirect(
                f"/services/{service_id}/settings/email-reply-to/{started['id']}/check-your-email"
            )
        else:
            await client.post(
                f"/admin/services/{service_id}/senders/{SENDER_KINDS[setting]}", {"value": value}
            )
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise
        error = exc.message
    if error is None:
        flash(request, "Settings saved")
        return redirect(f"/services/{service_id}/settings")
    return await page(
        request,
        "setting_form.html",
        status_code=400,
        setting=setting,
        spec=SETTINGS_FORMS[setting],
        errors={"value": error},
        value=value,
    )


async def _send_reply_to_link(request: Request, service_id: str, started: dict[str, Any]) -> None:
    notify = await platform(request)
    service = await service_of(request, service_id)
    base = request.app.state.settings.console_url.rstrip("/")
    url = f"{base}/services/{service_id}/settings/email-reply-to/verify/{started['token']}"
    await api(request).send(
        notify["key"],
        "email",
        {
            "email_address": started["email_address"],
            "template_id": notify["templates"]["reply_to_verification"],
            "personalisation": {"service_name": service["name"], "url": url},
        },
    )


@router.get("/settings/email-reply-to/{verification_id}/check-your-email", response_class=HTMLResponse)
@rule(member("manage_service"))
async def reply_to_check_email(request: Request, service_id: str, verification_id: str) -> Any:
    """The pending state of one reply-to address: "Check your email" until the link is followed."""
    found = await api(request).get(f"/admin/console/services/{service_id}/reply-to-verifications")
    chosen = next((v for v in found if v["id"] == verification_id), None)
    if chosen is None:
        raise HTTPException(404)
    if chosen["status"] == "verified":
        flash(request, f"‘{chosen['email_address']}’ has been added as a reply-to email address")
        return redirect(f"/services/{service_id}/settings")
    return await page(request, "reply_to_check_email.html", verification=chosen)


@router.get("/settings/email-reply-to/verify/{token}", response_class=HTMLResponse)
@rule(member("manage_service"))
async def reply_to_verify(request: Request, service_id: str, token: str) -> HTMLResponse:
    """Asks for a button press: opening the link (as a mail scanner might) never adds the address."""
    return await page(request, "reply_to_verify.html", token=token)


@router.post("/settings/email-reply-to/verify/{token}", response_class=HTMLResponse)
@rule(member("manage_service"))
async def reply_to_verify_post(request: Request, service_id: str, token: str) -> Any:
    try:
        added = await api(request).post(
            f"/admin/console/services/{service_id}/reply-to-verifications/confirm", {"token": token}
        )
    except AdminApiError as exc:
        if exc.status_code != 404:
            raise
        flash(request, f"{exc.message}. Add the address again to get a new link.", "error")
        return redirect(f"/services/{service_id}/settings")
    flash(request, f"‘{added['email_address']}’ has been added as a reply-to email address")
    return redirect(f"/services/{service_id}/settings")


@router.get("/usage", response_class=HTMLResponse)
@rule(member("manage_service"))
async def usage(request: Request, service_id: str, year: int | None = None) -> HTMLResponse:
    now = datetime.now(UTC)
    current = now.year if now.month >= 4 else now.year - 1
    chosen = year if year in (current, current - 1, current - 2) else current
    found = await api(request).get(f"/admin/console/services/{service_id}/billing", year=chosen)
    limits = await api(request).get(f"/admin/services/{service_id}/annual-limits")
    return await page(
        request, "usage.html", usage=found, years=[current, current - 1, current - 2], limits=limits
    )
