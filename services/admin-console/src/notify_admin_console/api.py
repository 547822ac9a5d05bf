"""The console's only ways into the platform: the admin-api (bearer token) for everything it shows
and manages, and the api-gateway's public v2 API for sending, as any client of a service does (a
Notify-style JWT made from a key the admin-api hands out).

``AdminApiError`` carries the status and the message the API gave, for people.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

import httpx
import jwt

KEY_SECRET_LENGTH = 36
# The person signed in to the request being served, named to the admin-api on every call so that
# a change they make is kept in the service's history as theirs (set by ``security.enforce``).
acting_user: ContextVar[str | None] = ContextVar("acting_user", default=None)
KEY_SERVICE_SLICE = slice(-73, -37)


class AdminApiError(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or f"HTTP {response.status_code}"
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:
        messages = [e.get("message") for e in errors if isinstance(e, dict)]
        flat: list[str] = []
        for m in messages:
            flat.extend(m if isinstance(m, list) else [str(m)])
        return "; ".join(flat)
    return str(body.get("message") or body.get("detail") or body) if isinstance(body, dict) else str(body)


def api_token(key: str, now: float | None = None) -> str:
    """The JWT that Notify's clients make from a combined key ``{name}-{service_id}-{secret}``."""
    issued = int(now if now is not None else time.time())
    return jwt.encode(
        {"iss": key[KEY_SERVICE_SLICE], "iat": issued}, key[-KEY_SECRET_LENGTH:], algorithm="HS256"
    )


class AdminApi:
    """``client`` reaches the admin-api; ``public`` the api-gateway's public API (``send``)."""

    def __init__(self, client: httpx.AsyncClient, token: str, public: httpx.AsyncClient) -> None:
        self.client = client
        self.public = public
        self._headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self.client.request(method, path, headers=self._acting(), **kwargs)
        except httpx.HTTPError as exc:
            raise AdminApiError(503, "The platform is not answering, try again in a moment") from exc
        if response.status_code >= 400:
            raise AdminApiError(response.status_code, _message(response))
        return response.json().get("data")

    def _acting(self) -> dict[str, str]:
        user = acting_user.get()
        return self._headers if user is None else {**self._headers, "X-Notify-Acting-User": user}

    async def file(self, path: str) -> tuple[bytes, str]:
        """A file the admin-api serves (a branding logo): its bytes and content type."""
        try:
            response = await self.client.get(path, headers=self._headers)
        except httpx.HTTPError as exc:
            raise AdminApiError(503, "The platform is not answering, try again in a moment") from exc
        if response.status_code >= 400:
            raise AdminApiError(response.status_code, _message(response))
        return response.content, response.headers.get("content-type", "application/octet-stream")

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    async def post(self, path: str, body: Any = None) -> Any:
        return await self.call("POST", path, json=body if body is not None else {})

    async def send(self, key: str, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send one notification through the public API with ``key``; returns its answer."""
        headers = {"Authorization": f"Bearer {api_token(key)}"}
        try:
            response = await self.public.post(f"/v2/notifications/{channel}", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise AdminApiError(503, "The platform is not answering, try again in a moment") from exc
        if response.status_code >= 400:
            raise AdminApiError(response.status_code, _message(response))
        answer: dict[str, Any] = response.json()
        return answer
