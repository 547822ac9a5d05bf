"""Who may call the admin API, with what scope, and the record of every call.

Tokens (``Authorization: Bearer <token>``, compared in constant time):

* ``NOTIFY_ADMIN_API_TOKEN``: the platform token (every admin route; the admin console uses it);
* ``NOTIFY_ADMIN_API_SCOPED_TOKENS``: more tokens as ``name:scope:token`` entries separated by
  commas, where scope is ``platform``, ``read`` (GET only, every service) or ``service=<id>``
  (every method, but only routes under ``/services/<id>``).

Failed authentication is throttled per client address: after ``admin_auth_failures_allowed``
failures in ``admin_auth_window_seconds`` the address gets 429 with ``Retry-After`` until the
window has passed, even with a right token. Counted in each process (a deployment with N replicas
allows N times as many guesses; with a 256-bit token that changes nothing that matters).

Every admin call is logged on the ``notify.audit`` logger: the token's name and scope, the method,
the route's template, the service id in the path and the answer's status. Never a body, a token or
a query string."""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

audit_log = logging.getLogger("notify.audit")

READ_METHODS = frozenset({"GET", "HEAD"})
_SERVICE_PATH = re.compile(r"^/admin(?:/console)?/services/([0-9a-fA-F-]{36})(?:/|$)")


@dataclass(frozen=True)
class AdminToken:
    name: str
    scope: str  # "platform" | "read" | "service=<id>"
    secret: str

    def permits(self, method: str, path: str) -> bool:
        if self.scope == "platform":
            return True
        if self.scope == "read":
            return method.upper() in READ_METHODS
        wanted = self.scope.removeprefix("service=")
        match = _SERVICE_PATH.match(path)
        return match is not None and match.group(1).lower() == wanted.lower()


def parse_tokens(platform: SecretStr | None, scoped: str) -> tuple[AdminToken, ...]:
    """The configured tokens; refuses a malformed entry, an unknown scope or a short token."""
    tokens: list[AdminToken] = []
    if platform is not None and platform.get_secret_value():
        tokens.append(AdminToken("platform", "platform", platform.get_secret_value()))
    for entry in (e.strip() for e in scoped.split(",")):
        if not entry:
            continue
        name, sep1, rest = entry.partition(":")
        scope, sep2, secret = rest.partition(":")
        if not (sep1 and sep2 and name and secret):
            raise ValueError("NOTIFY_ADMIN_API_SCOPED_TOKENS entries are name:scope:token")
        if scope not in ("platform", "read") and not re.fullmatch(r"service=[0-9a-fA-F-]{36}", scope):
            raise ValueError(f"admin token {name!r}: scope must be platform, read or service=<id>")
        if len(secret) < 32:
            raise ValueError(f"admin token {name!r}: at least 32 characters")
        tokens.append(AdminToken(name, scope, secret))
    return tuple(tokens)


def match_token(tokens: tuple[AdminToken, ...], given: str) -> AdminToken | None:
    """The token ``given`` is, comparing against every one in constant time."""
    found: AdminToken | None = None
    for token in tokens:
        if hmac.compare_digest(given.encode(), token.secret.encode()):
            found = token
    return found


class FailureThrottle:
    """Failed authentications per client address in a sliding window, bounded in memory."""

    def __init__(self, allowed: int, window_s: float, max_clients: int = 10_000) -> None:
        self._allowed, self._window, self._max = allowed, window_s, max_clients
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(client, []) if now - t < self._window]
        if times:
            self._failures[client] = times
            self._failures.move_to_end(client)
        else:
            self._failures.pop(client, None)
        return times

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Seconds until ``client`` may try again, or None when it may now."""
        now = time.monotonic() if now is None else now
        times = self._recent(client, now)
        if len(times) < self._allowed:
            return None
        return max(1, int(times[-self._allowed] + self._window - now) + 1)

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._failures.setdefault(client, []).append(now)
        self._failures.move_to_end(client)
        while len(self._failures) > self._max:
            self._failures.popitem(last=False)


class AdminAudit:
    """ASGI middleware: one audit line per admin call (other paths pass straight through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/admin"):
            await self.app(scope, receive, send)
            return
        logged = False

        def audit(status: int) -> None:
            nonlocal logged
            logged = True
            token = scope.get("state", {}).get("admin_token")
            route = getattr(scope.get("route"), "path", None)
            audit_log.info(
                "admin call",
                extra={
                    "token": token.name if isinstance(token, AdminToken) else None,
                    "scope": token.scope if isinstance(token, AdminToken) else None,
                    "method": scope["method"],
                    "route": route or "(no route)",
                    "service_id": scope.get("path_params", {}).get("service_id"),
                    "status": status,
                },
            )

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                audit(int(message["status"]))  # before the caller can see the answer
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            if not logged:
                audit(500)
