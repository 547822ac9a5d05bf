"""Security keys (WebAuthn): the person's keys on *Your account* (register, rename, delete with a
confirmation) and signing in with one. The admin API makes the options and verifies the browser's
answers (docs/security-keys.md); this module carries them, keeping each ceremony's id in the
session, so an answer is taken only from the session that asked. The browser's part is
``public/security-keys.js``: its requests are JSON POSTs carrying the session's CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from notify_admin_console.api import AdminApiError
from notify_admin_console.pages_auth import pending_person, safe_next
from notify_admin_console.security import PUBLIC, SIGNED_IN, rule, start_session
from notify_admin_console.web import api, flash, form, page, redirect, user

router = APIRouter()
KEYS = "/your-account/security-keys"
REGISTERED = (
    "Registration complete. Next time you sign in to Notify you’ll be asked to use your security key."
)
LAST_KEY = "Cannot delete last remaining webauthn credential for user"


def _origin(request: Request) -> str:
    origin: str = request.app.state.settings.webauthn_origin
    return origin


def _refused(exc: AdminApiError) -> JSONResponse:
    if exc.status_code >= 500:
        raise exc
    return JSONResponse({"error": exc.message}, status_code=400 if exc.status_code != 403 else 403)


async def _credential(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    found = body.get("credential") if isinstance(body, dict) else None
    return found if isinstance(found, dict) else None


# ---- the person's keys ------------------------------------------------------------------------


@router.get("/user-profile/security-keys", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def user_profile_keys(request: Request) -> RedirectResponse:
    return redirect(KEYS)


@router.get(KEYS, response_class=HTMLResponse)
@rule(SIGNED_IN)
async def security_keys(request: Request) -> HTMLResponse:
    keys = await api(request).get(f"/admin/console/users/{user(request)['id']}/webauthn")
    return await page(request, "security_keys.html", keys=keys)


async def _begin(request: Request, user_id: str, ceremony: str, session_key: str) -> JSONResponse:
    """Start a ``ceremony`` (registration or authentication) for ``user_id`` at the admin API: the
    session keeps the ceremony's id and the browser gets its options."""
    try:
        begun = await api(request).post(
            f"/admin/console/users/{user_id}/webauthn/{ceremony}-options", {"origin": _origin(request)}
        )
    except AdminApiError as exc:
        return _refused(exc)
    request.session[session_key] = begun["ceremony"]
    return JSONResponse(begun["options"])


@router.post("/webauthn/register/options")
@rule(SIGNED_IN)
async def register_options(request: Request) -> JSONResponse:
    return await _begin(request, str(user(request)["id"]), "registration", "webauthn_register")


@router.post("/webauthn/register")
@rule(SIGNED_IN)
async def register(request: Request) -> JSONResponse:
    ceremony = request.session.pop("webauthn_register", None)
    credential = await _credential(request)
    if not isinstance(ceremony, str) or credential is None:
        return JSONResponse({"error": "No registration in progress"}, status_code=400)
    try:
        await api(request).post(
            f"/admin/console/users/{user(request)['id']}/webauthn",
            {"ceremony": ceremony, "credential": credential},
        )
    except AdminApiError as exc:
        return _refused(exc)
    flash(request, REGISTERED)
    return JSONResponse({"redirect_url": KEYS})


async def _key(request: Request, key_id: str) -> dict[str, Any]:
    keys = await api(request).get(f"/admin/console/users/{user(request)['id']}/webauthn")
    for key in keys:
        if key["id"] == key_id:
            found: dict[str, Any] = key
            return found
    raise AdminApiError(404, "Security key not found")


@router.get(KEYS + "/{key_id}/manage", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def manage_key(request: Request, key_id: str) -> HTMLResponse:
    key = await _key(request, key_id)
    return await page(
        request, "security_key_manage.html", key=key, name=key["name"], errors={}, confirm=False
    )


@router.get(KEYS + "/{key_id}/delete", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def confirm_delete_key(request: Request, key_id: str) -> HTMLResponse:
    key = await _key(request, key_id)
    return await page(request, "security_key_manage.html", key=key, name=key["name"], errors={}, confirm=True)


@router.post(KEYS + "/{key_id}/manage", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def rename_key(request: Request, key_id: str) -> Any:
    key = await _key(request, key_id)
    name = (await form(request)).get("security_key_name", "")
    error = None
    if not name:
        error = "Cannot be empty"
    elif len(name) > 255:
        error = "Name must be 255 characters or fewer"
    else:
        try:
            await api(request).call(
                "PATCH", f"/admin/console/users/{user(request)['id']}/webauthn/{key_id}", json={"name": name}
            )
        except AdminApiError as exc:
            if exc.status_code >= 500 or exc.status_code == 404:
                raise
            error = exc.message
        else:
            return redirect(KEYS)
    errors = {"security_key_name": error}
    return await page(
        request, "security_key_manage.html", status_code=400, key=key, name=name, errors=errors, confirm=False
    )


@router.post(KEYS + "/{key_id}/delete", response_class=HTMLResponse)
@rule(SIGNED_IN)
async def delete_key(request: Request, key_id: str) -> RedirectResponse:
    try:
        await api(request).call("DELETE", f"/admin/console/users/{user(request)['id']}/webauthn/{key_id}")
    except AdminApiError as exc:
        if exc.status_code != 400 or exc.message != LAST_KEY:
            raise
        flash(request, "You cannot delete your last security key.", "error")
        return redirect(f"{KEYS}/{key_id}/manage")
    flash(request, "Security key deleted")
    return redirect(KEYS)


# ---- signing in with a key ----------------------------------------------------------------------


@router.post("/two-factor/security-key/options")
@rule(PUBLIC)
async def authenticate_options(request: Request) -> JSONResponse:
    person = await pending_person(request)
    if person is None:
        return JSONResponse({"error": "Sign in again", "redirect_url": "/sign-in"}, status_code=401)
    return await _begin(request, str(person["id"]), "authentication", "webauthn_authenticate")


@router.post("/two-factor/security-key")
@rule(PUBLIC)
async def authenticate(request: Request) -> JSONResponse:
    person = await pending_person(request)
    if person is None:
        return JSONResponse({"error": "Sign in again", "redirect_url": "/sign-in"}, status_code=401)
    ceremony = request.session.pop("webauthn_authenticate", None)
    credential = await _credential(request)
    if not isinstance(ceremony, str) or credential is None:
        return JSONResponse({"error": "No sign-in in progress"}, status_code=400)
    try:
        await api(request).post(
            f"/admin/console/users/{person['id']}/verify-webauthn",
            {"ceremony": ceremony, "credential": credential},
        )
    except AdminApiError as exc:
        return _refused(exc)
    target = safe_next(request.session.get("next"))
    start_session(request, person["id"])
    return JSONResponse({"redirect_url": target})
