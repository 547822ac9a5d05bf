"""Who may see which page: every route declares a ``Rule`` with ``@rule(...)`` and one app-wide
dependency (``enforce``) applies it before the page runs, so a route without a rule is refused.

* ``PUBLIC``: anyone (sign-in, invitations, assets, health).
* ``SIGNED_IN``: a signed-in person (second factor done); otherwise a redirect to sign-in.
* ``member(*permissions)``: a member of the service in the path holding *any* of the permissions
  (none listed: any member); platform admins pass, and so do members of the service's
  organisation's team on the pages it may read (``organisation_access``). Otherwise 403.

Sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous) ending 20 hours after
sign-in or after a spell without requests. A session started before the account's password last
changed has ended too: that is how a password reset signs out every other session, since the server
keeps no list of sessions. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request

from notify_admin_console.api import AdminApi, AdminApiError, acting_user
from notify_admin_console.organisation_access import organisation_reader

PERMISSIONS = {
    "view_activity": "See dashboard",
    "send_messages": "Send messages",
    "manage_templates": "Add and edit templates",
    "manage_service": "Manage settings, team and usage",
    "manage_api_keys": "Manage API integration",
}


@dataclass(frozen=True)
class Rule:
    kind: str  # public | signed_in | member
    permissions: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind != "member":
            return self.kind
        return "member" + (f" with any of {', '.join(self.permissions)}" if self.permissions else "")


PUBLIC = Rule("public")
SIGNED_IN = Rule("signed_in")


def member(*permissions: str) -> Rule:
    unknown = set(permissions) - set(PERMISSIONS)
    if unknown:
        raise ValueError(f"unknown permissions {unknown}")
    return Rule("member", tuple(permissions))


F = TypeVar("F", bound=Callable[..., Any])


def rule(declared: Rule) -> Callable[[F], F]:
    def mark(endpoint: F) -> F:
        endpoint.console_rule = declared  # type: ignore[attr-defined]
        return endpoint

    return mark


def rule_of(endpoint: object) -> Rule | None:
    found = getattr(endpoint, "console_rule", None)
    return found if isinstance(found, Rule) else None


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


class Forbidden(Exception):
    pass


class CsrfFailure(Exception):
    pass


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def start_session(request: Request, user_id: str) -> None:
    """A fresh session for a person who has just passed the second factor."""
    request.session.clear()
    now = time.time()
    request.session.update({"user_id": user_id, "signed_in_at": now, "seen_at": now})
    csrf_token(request)


def session_user_id(request: Request, hours: float, idle_minutes: float) -> str | None:
    session = request.session
    user_id = session.get("user_id")
    if not isinstance(user_id, str):
        return None
    now = time.time()
    signed_in_at = float(session.get("signed_in_at", 0))
    seen_at = float(session.get("seen_at", 0))
    if now - signed_in_at > hours * 3600 or now - seen_at > idle_minutes * 60:
        session.clear()
        session["expired"] = True
        return None
    session["seen_at"] = now
    return user_id


def changed_since(person: dict[str, Any], since: float) -> bool:
    """Whether the person's password changed, or their sessions were ended, after ``since``
    (seconds since the epoch): a session that began before either is over."""
    for field in ("password_changed_at", "sessions_not_before"):
        changed = person.get(field)
        if (
            isinstance(changed, str)
            and datetime.fromisoformat(changed.replace("Z", "+00:00")).timestamp() > since
        ):
            return True
    return False


async def check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not given or not hmac.compare_digest(expected, given):
        raise CsrfFailure


def has_permission(user: dict[str, Any], service_id: str, wanted: tuple[str, ...]) -> bool:
    if user.get("platform_admin"):
        return True
    for service in user.get("services", []):
        if service["id"] == service_id:
            return not wanted or any(p in service["permissions"] for p in wanted)
    return False


async def enforce(request: Request) -> None:
    """The app-wide dependency: applies the route's rule, and checks CSRF on every POST."""
    declared = rule_of(request.scope.get("endpoint"))
    if declared is None:
        raise Forbidden  # a page without a declared rule is never served
    if request.method == "POST":
        await check_csrf(request)
    if declared.kind == "public":
        return
    settings = request.app.state.settings
    user_id = session_user_id(request, settings.console_session_hours, settings.console_idle_minutes)
    if user_id is None:
        target = request.url.path if request.method == "GET" else "/"
        raise Redirect(f"/sign-in?next={quote(target)}")
    api: AdminApi = request.app.state.api
    try:
        user = await api.get(f"/admin/console/users/{user_id}")
    except AdminApiError as exc:
        if exc.status_code == 404:
            request.session.clear()
            raise Redirect("/sign-in") from None
        raise
    if user.get("locked"):
        request.session.clear()
        raise Redirect("/sign-in")
    if changed_since(user, float(request.session.get("signed_in_at", 0))):
        request.session.clear()
        request.session["expired"] = True
        raise Redirect("/sign-in")
    request.state.user = user
    acting_user.set(str(user["id"]))
    if declared.kind == "member":
        service_id = request.path_params.get("service_id", "")
        if not has_permission(user, service_id, declared.permissions) and not await organisation_reader(
            request, api, user, service_id
        ):
            raise Forbidden
        request.session["service_id"] = service_id
