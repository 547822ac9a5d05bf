"""The provider routes, served straight from ASGI.

A provider posts one receipt per message, so ``POST /notifications/sms/mmg`` and ``/firetext``
(and the print provider's job statuses) are nearly all of this service's requests. Through FastAPI
each also passes its middleware stack, route matching and endpoint wrapping, and builds Starlette's
``Request`` (its query parameters and headers parsed into multidicts) and a ``JSONResponse``: all
together about as much CPU as taking the receipt itself (profiled with py-spy under
``bench/receipts``).

So a provider route's handler takes a ``Posted`` (the request's query string, headers, peer and
body, as ASGI gives them) and returns an ``Answer`` (a status and a JSON body, encoded once where it
never changes). ``ProviderRoutes`` wraps the FastAPI app and serves exactly those routes itself:
it reads the body, calls the handler and writes the answer, with the same answer for a failure as
the app's exception handlers give. The same handlers are also the FastAPI app's routes
(``routed``), so the app alone answers exactly as the fast path does. Every other request, and the
lifespan, are FastAPI's as before.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from notify_common.http import read_body
from notify_common.metrics_http import StaticRoute

log = logging.getLogger(__name__)
# A status and a JSON body.
Answer = tuple[int, bytes]
JSON = "application/json"
_JSON_HEADERS = [(b"content-type", JSON.encode())]


@dataclass(frozen=True, slots=True)
class Posted:
    """What a provider route reads of a request, as ASGI gives it."""

    query_string: bytes
    headers: Sequence[tuple[bytes, bytes]]
    client: tuple[str, int] | None
    body: bytes

    @classmethod
    def of(cls, scope: Scope, body: bytes) -> Posted:
        client = scope.get("client")
        return cls(scope.get("query_string", b""), scope.get("headers", ()), client, body)

    def query(self, name: str) -> str | None:
        """A query parameter's value (its last, as Starlette's ``query_params`` gives it)."""
        if not self.query_string:
            return None
        found = None
        text = self.query_string.decode("latin-1")
        if "%" not in text and "+" not in text:
            # Nothing to unquote (a provider's ``?token=...``): the fields as parse_qsl splits them,
            # without its per-field unquoting machinery.
            for field in text.split("&"):
                if field:
                    key, _, value = field.partition("=")
                    if key == name:
                        found = value
            return found
        for key, value in parse_qsl(text, keep_blank_values=True):
            if key == name:
                found = value
        return found

    def header(self, name: bytes) -> str | None:
        """A header's first value; ``name`` in lower case (ASGI's header names are)."""
        for key, value in self.headers:
            if key == name:
                return value.decode("latin-1")
        return None

    @property
    def host(self) -> str:
        """The peer's address, or "" when the server does not know it."""
        return str(self.client[0]) if self.client else ""


Handler = Callable[[Posted], Awaitable[Answer]]


def routed(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` as a FastAPI endpoint (the same answer through the framework)."""

    async def endpoint(request: Request) -> Response:
        status, body = await handler(Posted.of(request.scope, await request.body()))
        return Response(body, status, media_type=JSON)

    endpoint.__name__ = getattr(handler, "__name__", "provider_route")
    return endpoint


class ProviderRoutes:
    """ASGI app: the provider routes directly, everything else through ``app``."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.routes: dict[str, Handler] = app.state.direct_routes
        # Left in the scope as the router would leave the route it matched (metrics count by it).
        self._route_of = {path: StaticRoute(path) for path in self.routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self.routes.get(scope["path"])
            if handler is not None:
                scope["app"], scope["route"] = self.app, self._route_of[scope["path"]]
                await self._serve(handler, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _serve(self, handler: Handler, scope: Scope, receive: Receive, send: Send) -> None:
        posted = await read_body(receive)
        if posted is None:
            return  # the client went away
        try:
            status, body = await handler(Posted.of(scope, posted))
        except Exception as exc:
            response = await self._failed(Request(scope, receive), exc)
            await response(scope, receive, send)
            return
        headers = [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _failed(self, request: Request, exc: Exception) -> Response:
        """The app's answer to ``exc`` (its exception handler's), or a bare 500 as the framework's."""
        for kind in type(exc).__mro__:
            answer = self.app.exception_handlers.get(kind)
            if answer is not None and kind is not Exception:
                response = answer(request, exc)
                return await response if inspect.isawaitable(response) else response
        log.error("unhandled error", extra={"error": type(exc).__name__}, exc_info=exc)
        return PlainTextResponse("Internal Server Error", status_code=500)
