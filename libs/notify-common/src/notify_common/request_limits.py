"""Bounds on what one request may make an HTTP service read: its headers, its bearer token and its
body, by route. ``RequestLimits`` wraps a service's whole ASGI app, so a request over a limit is
refused (400 for headers, 413 for a body, in Notify's error shape) before any handler,
authentication or JSON parsing runs.

A body is refused from its ``Content-Length`` before a byte of it is read; a chunked body is read
only until it passes the limit. Bodies within the limit are read here and handed on to the app
(which reads each body whole anyway), so no handler sees more than its route allows and parsing
stays a few milliseconds of the event loop for the largest allowed body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    header_bytes: int
    authorization_bytes: int
    default_body: int
    # Bodies bounded by path (without a trailing slash), else ``default_body``.
    by_path: dict[str, int] = field(default_factory=dict)
    # Paths whose handlers stream their body themselves (under the same bound, from its length).
    streamed: frozenset[str] = frozenset()

    def body_for(self, path: str) -> int:
        return self.by_path.get(path.rstrip("/") or "/", self.default_body)


@dataclass(frozen=True)
class Refusal:
    status_code: int
    message: str

    def body(self) -> dict[str, object]:
        return {
            "status_code": self.status_code,
            "errors": [{"error": "BadRequestError", "message": self.message}],
        }


def too_large(limit: int) -> Refusal:
    words = f"{limit / MIB:g} MB" if limit >= MIB else f"{limit:,} bytes"
    return Refusal(413, f"Request body too large: this endpoint accepts at most {words}")


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
        if scope["path"].rstrip("/") in self.limits.streamed:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _refuse(send, too_large(limit))
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_headers(self, scope: Scope) -> Refusal | None:
        total = 0
        for name, value in scope["headers"]:
            total += len(name) + len(value)
            if name == b"authorization" and len(value) > self.limits.authorization_bytes:
                return Refusal(
                    400, f"Authorization header too long: at most {self.limits.authorization_bytes} bytes"
                )
        if total > self.limits.header_bytes:
            return Refusal(400, f"Request headers too large: at most {self.limits.header_bytes} bytes")
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


async def _refuse(send: Send, error: Refusal) -> None:
    body = orjson.dumps(error.body())
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        # The unread rest of the request would otherwise be taken for the next one on this connection.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
