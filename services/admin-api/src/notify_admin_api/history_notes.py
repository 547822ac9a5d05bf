"""ASGI middleware that keeps a service's configuration history (``service_history``): every
change to a service through the admin API that succeeds is recorded before its answer starts.

A route says what it changed with ``note`` (the kind of change, what it was made to, the fields
with their values before and after); a change under ``/admin[/console]/services/{id}`` whose route
noted nothing is still recorded, as its method and route (``NOT_CONFIGURATION`` lists the writes
there that change nothing of the service's configuration). Who made it: the console user named by
the ``X-Notify-Acting-User`` header (the console sends it for the person signed in), otherwise the
admin token's name.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notify_admin_api.access import AdminToken
from notify_admin_api.service_history import Actor, record

log = logging.getLogger(__name__)

ACTING_USER_HEADER = b"x-notify-acting-user"
_SERVICE_PATH = re.compile(r"^/admin(?:/console)?/services/([0-9a-fA-F-]{36})(?:/|$)")
READS = frozenset({"GET", "HEAD"})
NOTES = "history_notes"
# Writes under a service that change no configuration (sending, searching, the console's own key,
# reports): not history.
NOT_CONFIGURATION = frozenset(
    {
        "/admin/console/services/{service_id}/notifications/search",
        "/admin/console/services/{service_id}/uploads",
        "/admin/console/services/{service_id}/uploads/{upload_id}/start",
        "/admin/console/services/{service_id}/jobs/{job_id}/cancel",
        "/admin/console/services/{service_id}/console-key",
        "/admin/console/services/{service_id}/unsubscribe-requests/reports",
        "/admin/console/services/{service_id}/unsubscribe-requests/reports/{report_id}/processed",
    }
)


def note(
    request: Request,
    service_id: str,
    kind: str,
    *,
    subject_id: str | None = None,
    changes: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Record, once the request succeeds, that it made this change to ``service_id``."""
    notes: list[dict[str, Any]] | None = getattr(request.state, NOTES, None)
    if notes is None:
        notes = []
        setattr(request.state, NOTES, notes)  # the scope's state, where the middleware finds it
    notes.append({"service_id": service_id, "kind": kind, "subject_id": subject_id, "changes": list(changes)})


def actor_of(scope: Scope) -> Actor:
    for name, value in scope.get("headers", []):
        if name == ACTING_USER_HEADER:
            try:
                return Actor("user", str(uuid.UUID(value.decode("latin-1"))))
            except ValueError:
                break
    token = scope.get("state", {}).get("admin_token")
    return Actor("admin_token", token.name if isinstance(token, AdminToken) else "unknown")


def _noted(scope: Scope) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = list(scope.get("state", {}).get(NOTES, []))
    if notes:
        return notes
    match = _SERVICE_PATH.match(scope["path"])
    if match is None:
        return []
    route = getattr(scope.get("route"), "path", None) or scope["path"]
    if route in NOT_CONFIGURATION:
        return []
    kind = f"{scope['method']} {route.removeprefix('/admin')}"
    return [{"service_id": match.group(1).lower(), "kind": kind, "subject_id": None, "changes": []}]


class HistoryRecorder:
    """Records through the app state's ``ServiceHistory`` (``AdminState.history``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS or not scope["path"].startswith("/admin"):
            await self.app(scope, receive, send)
            return

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start" and int(message["status"]) < 400:
                await self._keep(scope)
            await send(message)

        await self.app(scope, receive, recording)

    async def _keep(self, scope: Scope) -> None:
        notes = _noted(scope)
        if not notes:
            return
        actor = actor_of(scope)
        correlation = next(
            (v.decode("latin-1") for n, v in scope.get("headers", []) if n == b"x-request-id"), None
        )
        events = [record(actor=actor, correlation_id=correlation, **n) for n in notes]
        try:
            await scope["app"].state.admin.history.keep(events)
        except Exception as exc:  # the change stands; its record is what was lost
            log.error(
                "service history not recorded", extra={"error": type(exc).__name__, "kind": notes[0]["kind"]}
            )
