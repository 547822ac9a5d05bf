"""Bounds on what one request may make the api-gateway read: its headers, its bearer token and its
body, by route. ``RequestLimits`` wraps the whole ASGI app (the hot send routes, every FastAPI
route and the legacy adapters), so a request over a limit is refused before any
handler, authentication or JSON parsing runs.

A body is refused from its ``Content-Length`` before a byte of it is read; a chunked body is read
only until it passes the limit. Bodies within the limit are read here and handed on to the app
(which reads each body whole anyway), so no handler sees more than its route allows and parsing
stays a few milliseconds of the event loop for the largest allowed body.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notify_api_gateway.errors import ApiError
from notify_api_gateway.settings import ApiSettings

# Routes that stream their body to a file themselves, with a limit of their own.
STREAMED = frozenset({"/v2/jobs"})
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    header_bytes: int
    authorization_bytes: int
    default_body: int
    by_path: dict[str, int]

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> Limits:
        return cls(
            header_bytes=settings.max_header_bytes,
            authorization_bytes=settings.max_authorization_bytes,
            default_body=settings.max_body_bytes,
            by_path={
                "/v2/notifications/email": settings.max_email_body_bytes,
                "/v2/notifications/letter": settings.max_letter_body_bytes,
                "/v2/notifications/bulk": settings.max_bulk_body_bytes,
                "/v2/jobs": settings.jobs_max_bytes,
            },
        )

    def body_for(self, path: str) -> int:
        return self.by_path.get(path.rstrip("/") or "/", self.default_body)


def too_large(limit: int) -> ApiError:
    words = f"{limit / MIB:g} MB" if limit >= MIB else f"{limit:,} bytes"
    return ApiError(413, "BadRequestError", f"Request body too large: this endpoint accepts at most {words}")


class RequestLimits:
    """ASGI middleware: refuse oversized headers (400) and bodies (413) in Notify's error shape."""

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
        length, chunked = _body_framing(scope)
        if length is None and not chunked:
            await self.app(scope, receive, send)
            return
        limit = self.limits.body_for(scope["path"])
        if length is not None and length > limit:
            await _refuse(send, too_large(limit))
            return
        if scope["path"].rstrip("/") in STREAMED:
            await self.app(scope, receive, send)
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


def _body_framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length (None if absent) and whether the body is chunked."""
    length: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than ``limit`` (the rest is left unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: the app sees an empty body
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
