"""Signing in (email and password, then a code by text message or email, or from an authenticator
app, or a security key: ``pages_security_keys``), a forgotten password (an emailed single-use
link), signing out, invitations, and the person's own account and services."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.background import BackgroundTask

from notify_admin_console.api import AdminApiError
from notify_admin_console.security import PUBLIC, SIGNED_IN, changed_since, rule, start_session
from notify_admin_console.web import api, flash, form, page, redirect, user

log = logging.getLogger(__name__)

router = APIRouter()
CODE_TYPES = {"sms_auth": "sms", "email_auth": "email", "totp": "totp"}
SECURITY_KEY = "webauthn_auth"  # signs in with a security key: no code is sent or taken


async def platform(request: Request) -> dict[str, Any]:
    """The platform's own service that sends codes and invitations (asked for once per process)."""
    found = getattr(request.app.state, "platform", None)
    if not isinstance(found, dict):
        found = await api(request).post("/admin/console/platform")
        request.app.state.platform = found
    return found


async def send_code(request: Request, person: dict[str, Any]) -> None:
    code_type = CODE_TYPES.get(person["auth_type"], "totp")
    if code_type == "totp":
        return
    issued = await api(request).post(f"/admin/console/users/{person['id']}/codes", {"code_type": code_type})
    notify = await platform(request)
    if code_type == "sms":
        body = {"phone_number": issued["to"], "template_id": notify["templates"]["sms_code"]}
    else:
        body = {"email_address": issued["to"], "template_id": notify["templates"]["email_code"]}
    body["personalisation"] = {"code": issued["code"]}
    await api(request).send(notify["key"], code_type, body)


def safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/your-services"


@router.get("/", response_class=HTMLResponse)
@rule(PUBLIC)
async def index(request: Request) -> RedirectResponse:
    return redirect("/your-services" if request.session.get("user_id") else "/sign-in")


@router.get("/sign-in", response_class=HTMLResponse)
@rule(PUBLIC)
async def sign_in(request: Request, next: str | None = None) -> HTMLResponse:
    expired = bool(request.session.pop("expired", False))
    return await page(request, "sign_in.html", next=next or "", expired=expired, errors={}, values={})


@router.post("/sign-in", response_class=HTMLResponse)
@rule(PUBLIC)
async def sign_in_post(request: Request) -> Any:
    values = await form(request)
    errors: dict[str, str] = {}
    if not values.get("email_address"):
        errors["email_address"] = "Enter your email address"
    if not values.get("password"):
        errors["password"] = "Enter your password"  # noqa: S105 - a message, not a password
    if not errors:
        try:
            person = await api(request).post(
                "/admin/console/users/verify-password",
                {"email_address": values["email_address"], "password": values["password"]},
            )
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["email_address"] = "The email address or password you entered is incorrect"
        else:
            request.session.clear()
            request.session["pending_user_id"] = person["id"]
            request.session["pending_at"] = time.time()
            request.session["next"] = safe_next(values.get("next"))
            try:
                await send_code(request, person)
            except AdminApiError as exc:
                if exc.status_code >= 500:
                    raise
                errors["email_address"] = f"We could not send your code: {exc.message}"
            else:
                return redirect("/two-factor")
    values.pop("password", None)
    return await page(
        request,
        "sign_in.html",
        status_code=400,
        next=values.get("next", ""),
        expired=False,
        errors=errors,
        values=values,
    )


async def pending_person(request: Request) -> dict[str, Any] | None:
    pending = request.session.get("pending_user_id")
    if not isinstance(pending, str):
        return None
    try:
        found: dict[str, Any] = await api(request).get(f"/admin/console/users/{pending}")
    except AdminApiError:
        return None
    if changed_since(found, float(request.session.get("pending_at", 0))):
        request.session.clear()  # the password changed since it was given: give it again
        return None
    return found


@router.get("/two-factor", response_class=HTMLResponse)
@rule(PUBLIC)
async def two_factor(request: Request) -> Any:
    person = await pending_person(request)
    if person is None:
        return redirect("/sign-in")
    if person["auth_type"] == SECURITY_KEY:
        return await page(request, "two_factor_security_key.html")
    return await page(request, "two_factor.html", auth_type=person["auth_type"], errors={})


@router.post("/two-factor", response_class=HTMLResponse)
@rule(PUBLIC)
async def two_factor_post(request: Request) -> Any:
    person = await pending_person(request)
    if person is None:
        return redirect("/sign-in")
    if person["auth_type"] == SECURITY_KEY:  # no code stands in for the key, as in Notify
        return redirect("/two-factor")
    values = await form(request)
    code = values.get("code", "").replace(" ", "")
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = "Enter the code"
    elif not code.isdigit():
        errors["code"] = "The code must only include numbers"
    else:
        try:
            await api(request).post(
                f"/admin/console/users/{person['id']}/verify-code",
                {"code": code, "code_type": CODE_TYPES[person["auth_type"]]},
            )
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["code"] = "Code not found or expired" if exc.status_code == 400 else exc.message
        else:
            target = safe_next(request.session.get("next"))
            start_session(request, person["id"])
            return redirect(target)
    return await page(
        request, "two_factor.html", status_code=400, auth_type=person["auth_type"], errors=errors
    )


@router.post("/two-factor/resend", response_class=HTMLResponse)
@rule(PUBLIC)
async def resend_code(request: Request) -> Any:
    person = await pending_person(request)
    if person is None:
        return redirect("/sign-in")
    if person["auth_type"] == SECURITY_KEY:
        return redirect("/two-factor")
    try:
        await send_code(request, person)
    except AdminApiError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "We have sent you a new code")
    return redirect("/two-factor")


@router.post("/sign-out", response_class=HTMLResponse)
@rule(PUBLIC)
async def sign_out(request: Request) -> RedirectResponse:
    """Ends the session server-side too: a copy of the cookie is worth nothing afterwards (and the
    person's sessions on other devices end with it)."""
    user_id = request.session.get("user_id")
    if isinstance(user_id, str):
        await api(request).post(f"/admin/console/users/{user_id}/end-sessions")
    request.session.clear()
    return redirect("/sign-in")


@router.get("/your-services", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def your_services(request: Request) -> HTMLResponse:
    person = user(request)
    services = person["services"]
    if person["platform_admin"]:  # platform admins see every service, with every permission
        everything = await api(request).get("/admin/services")
        services = [{**s, "permissions": ["view_activity"]} for s in everything if s["active"]]
    return await page(request, "your_services.html", services=services)


@router.get("/your-account", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def your_account(request: Request) -> HTMLResponse:
    return await page(request, "your_account.html")


@router.get("/your-account/authenticator-app", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def authenticator_app(request: Request) -> HTMLResponse:
    started = await api(request).post(f"/admin/console/users/{user(request)['id']}/totp")
    return await page(request, "authenticator_app.html", totp=started, errors={})


@router.post("/your-account/authenticator-app", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def authenticator_app_post(request: Request) -> Any:
    values = await form(request)
    try:
        await api(request).post(
            f"/admin/console/users/{user(request)['id']}/totp/confirm", {"code": values.get("code", "")}
        )
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise
        return await page(
            request,
            "authenticator_app.html",
            status_code=400,
            totp={"secret": values.get("secret", ""), "provisioning_uri": values.get("uri", "")},
            errors={"code": exc.message},
        )
    flash(request, "You now sign in with a code from your authenticator app")
    return redirect("/your-account")


@router.get("/invitation/{token}", response_class=HTMLResponse)
@rule(PUBLIC)
async def invitation(request: Request, token: str) -> HTMLResponse:
    try:
        invite = await api(request).get(f"/admin/console/invites/{token}")
    except AdminApiError as exc:
        if exc.status_code != 404:
            raise
        invite = {"status": "not found"}
    return await page(request, "invitation.html", invite=invite, token=token, errors={}, values={})


@router.post("/invitation/{token}", response_class=HTMLResponse)
@rule(PUBLIC)
async def accept_invitation(request: Request, token: str) -> Any:
    invite = await api(request).get(f"/admin/console/invites/{token}")
    values = await form(request)
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    if invite.get("existing_user_id") is None:
        for field, message in (
            ("name", "Enter your full name"),
            ("mobile_number", "Enter your mobile number"),
            ("password", "Enter a password"),
        ):
            if not values.get(field):
                errors[field] = message
        if values.get("password") and len(values["password"]) < 8:
            errors["password"] = "Password must be at least 8 characters"  # noqa: S105 - a message
        body = {k: values.get(k) for k in ("name", "mobile_number", "password")}
    if not errors:
        try:
            await api(request).post(f"/admin/console/invites/{token}/accept", body)
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            errors["mobile_number" if "phone" in exc.message.lower() else "name"] = exc.message
        else:
            flash(request, f"You have joined {invite['service_name']}. Sign in to continue.")
            return redirect("/sign-in")
    values.pop("password", None)
    return await page(
        request, "invitation.html", status_code=400, invite=invite, token=token, errors=errors, values=values
    )


# ---- forgotten password ---------------------------------------------------------------------


@router.get("/forgot-password", response_class=HTMLResponse)
@rule(PUBLIC)
async def forgot_password(request: Request) -> HTMLResponse:
    return await page(request, "forgot_password.html", errors={}, values={})


@router.post("/forgot-password", response_class=HTMLResponse)
@rule(PUBLIC)
async def forgot_password_post(request: Request) -> HTMLResponse:
    """The same "Check your email" whether or not the address has an account; the email (if any)
    is sent after the answer, so how long the answer takes does not tell either."""
    values = await form(request)
    email = values.get("email_address", "")
    if not email:
        errors = {"email_address": "Enter your email address"}
        return await page(request, "forgot_password.html", status_code=400, errors=errors, values=values)
    if len(email) > 255 or "@" not in email:
        errors = {"email_address": "Enter a valid email address"}
        return await page(request, "forgot_password.html", status_code=400, errors=errors, values=values)
    response = await page(request, "forgot_password_sent.html")
    response.background = BackgroundTask(_send_reset_link, request, email)
    return response


async def _send_reset_link(request: Request, email: str) -> None:
    try:
        issued = await api(request).post("/admin/console/password-resets", {"email_address": email})
        if issued is None:  # no such account, or too many links asked for: nothing is sent
            return
        notify = await platform(request)
        url = f"{request.app.state.settings.console_url.rstrip('/')}/new-password/{issued['token']}"
        await api(request).send(
            notify["key"],
            "email",
            {
                "email_address": issued["email_address"],
                "template_id": notify["templates"]["password_reset"],
                "personalisation": {"name": issued["name"], "url": url},
            },
        )
    except AdminApiError as exc:  # after the answer: nobody to tell but the log (no address in it)
        log.warning("password reset email not sent", extra={"status": exc.status_code})


async def _reset_usable(request: Request, token: str) -> bool:
    try:
        await api(request).post("/admin/console/password-resets/check", {"token": token})
    except AdminApiError as exc:
        if exc.status_code >= 500:
            raise
        return False
    return True


def _expired_link(request: Request) -> RedirectResponse:
    flash(
        request,
        "The link in the email we sent you has expired or has already been used. "
        "Enter your email address and we’ll send you a new one.",
        "error",
    )
    return redirect("/forgot-password")


@router.get("/new-password/{token}", response_class=HTMLResponse)
@rule(PUBLIC)
async def new_password(request: Request, token: str) -> Any:
    """Shows the form only: opening the link (as a mail scanner might) never uses it up."""
    if not await _reset_usable(request, token):
        return _expired_link(request)
    return await page(request, "new_password.html", token=token, errors={})


@router.post("/new-password/{token}", response_class=HTMLResponse)
@rule(PUBLIC)
async def new_password_post(request: Request, token: str) -> Any:
    password = (await request.form()).get("password")
    password = password if isinstance(password, str) else ""
    error = None
    if not password:
        error = "Enter a new password"
    elif len(password) < 8:
        error = "Password must be at least 8 characters"
    elif len(password) > 255:
        error = "Password must be 255 characters or fewer"
    if error is None:
        try:
            await api(request).post(
                "/admin/console/password-resets/complete", {"token": token, "password": password}
            )
        except AdminApiError as exc:
            if exc.status_code >= 500:
                raise
            if exc.status_code == 404:
                return _expired_link(request)
            error = exc.message
        else:
            # Every session of the account started before now has ended (security.changed_since).
            request.session.clear()
            flash(request, "Your password has been changed. Sign in with your new password.")
            return redirect("/sign-in")
    return await page(request, "new_password.html", status_code=400, token=token, errors={"password": error})
