"""The busiest routes, served without the framework's routing.

``POST /v2/notifications/sms`` and ``/email`` are most of the API's traffic. Through FastAPI each
request also passes its middleware stack, route matching over every registered route, dependency
solving and exception-handler lookup, which together cost more CPU than the send itself (profiled
with py-spy under ``bench/ingest``). ``HotRoutes`` wraps the FastAPI app and answers exactly those
two routes itself, calling the same handler code (``routes.notifications``) with the body read
here straight from the ASGI messages (as Starlette's ``Request.body`` reads it, without its stream
generator), with the same error envelope for refusals and for anything unexpected; every other
request, the lifespan and the OpenAPI description are FastAPI's as before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import orjson
from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from notify_api_gateway.errors import unavailable
from notify_common.api_errors import ApiError
from notify_common.http import read_body
from notify_common.metrics_http import StaticRoute

log = logging.getLogger(__name__)
JSON = (b"content-type", b"application/json")
# A hot route's handler: the request, and its body.
HotHandler = Callable[[Request, bytes], Awaitable[Response]]


class HotRoutes:
    """ASGI app: the hot send routes directly, everything else through ``app``."""

    def __init__(self, app: FastAPI) -> None:
        from notify_api_gateway.routes.notifications import hot_routes

        self.app = app
        self.routes = hot_routes()
        # Left in the scope as the router would leave the route it matched (metrics count by it).
        self._route_of = {path: StaticRoute(path) for path in self.routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self.routes.get(scope["path"])
            if handler is not None:
                scope["app"], scope["route"] = self.app, self._route_of.get(scope["path"])
                await self._serve(handler, Request(scope, receive), receive, send)
                return
        await self.app(scope, receive, send)

    async def _serve(self, handler: HotHandler, request: Request, receive: Receive, send: Send) -> None:
        try:
            response = await handler(request, await _body(receive))
            status, body, headers = response.status_code, response.body, response.raw_headers
        except ApiError as exc:
            status, body = exc.status_code, orjson.dumps(exc.body())
            headers = _headers(body, exc.headers)
        except Exception as exc:  # the same 503 or 500 as the app's handlers, without data
            err = unavailable(exc)
            if err is not None:
                log.warning("dependency unavailable", extra={"error": type(exc).__name__})
            else:
                log.error("unhandled error", extra={"error": type(exc).__name__}, exc_info=exc)
                err = ApiError(500, type(exc).__name__, "Internal server error")
            status, body = err.status_code, orjson.dumps(err.body())
            headers = _headers(body, err.headers)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _body(receive: Receive) -> bytes:
    """The request's whole body, read as ``Request.body`` reads it (a client gone before the end
    of it raises ``ClientDisconnect``)."""
    body = await read_body(receive)
    if body is None:
        raise ClientDisconnect()
    return body


def _headers(body: bytes, extra: dict[str, str]) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-length", str(len(body)).encode()), JSON]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    return headers
