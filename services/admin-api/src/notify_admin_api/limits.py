"""Bounds on what one request may make the admin-api read: its headers, its bearer token and its
body. ``RequestLimits`` wraps the whole app, so a request over a limit is refused (400 for headers,
413 for a body) before authentication or JSON parsing runs. A body is refused from its
``Content-Length`` before a byte of it is read; a chunked body is read only until it passes the
limit."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notify_admin_api.errors import ApiError
from notify_admin_api.settings import AdminApiSettings

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    header_bytes: int
    authorization_bytes: int
    body_bytes: int

    @classmethod
    def from_settings(cls, settings: AdminApiSettings) -> Limits:
        return cls(settings.max_header_bytes, settings.max_authorization_bytes, settings.max_admin_body_bytes)


def too_large(limit: int) -> ApiError:
    words = f"{limit / MIB:g} MB" if limit >= MIB else f"{limit:,} bytes"
    return ApiError(413, "BadRequestError", f"Request body too large: this endpoint accepts at most {words}")


class RequestLimits:
    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._check_headers(scope)
        if refusal is not None:
            await _refuse(send, refusal)
            return
        headers = dict(scope["headers"])
        chunked = b"transfer-encoding" in headers
        try:
            length: int | None = int(headers[b"content-length"]) if b"content-length" in headers else None
        except ValueError:
            length = None
        if length is None and not chunked:
            await self.app(scope, receive, send)
            return
        limit = self.limits.body_bytes
        if length is not None and length > limit:
            await _refuse(send, too_large(limit))
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _refuse(send, too_large(limit))
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_headers(self, scope: Scope) -> ApiError | None:
        total = 0
        for name, value in scope["headers"]:
            total += len(name) + len(value)
            if name == b"authorization" and len(value) > self.limits.authorization_bytes:
                return ApiError(
                    400,
                    "BadRequestError",
                    f"Authorization header too long: at most {self.limits.authorization_bytes} bytes",
                )
        if total > self.limits.header_bytes:
            return ApiError(
                400, "BadRequestError", f"Request headers too large: at most {self.limits.header_bytes} bytes"
            )
        return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than ``limit`` (the rest is left unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, error: ApiError) -> None:
    body = orjson.dumps(error.body())
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        # The unread rest of the request would otherwise be taken for the next one on this connection.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
