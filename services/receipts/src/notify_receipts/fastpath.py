"""The delivery-receipt routes, served without the framework's routing.

A provider posts one receipt per message, so ``POST /notifications/sms/mmg`` and ``/firetext``
(and the print provider's job statuses) are nearly all of this service's requests. Through FastAPI
each also passes its middleware stack, route matching and endpoint wrapping, which cost about as
much CPU as taking the receipt itself (profiled with py-spy under ``bench/receipts``).
``ProviderRoutes`` wraps the FastAPI app and answers exactly those routes itself, calling the same
handlers (``create_app`` registers them in ``app.state.direct_routes``), with the same answer for a
failure as the app's exception handlers give; every other request, and the lifespan, are
FastAPI's as before.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from notify_common.metrics_http import StaticRoute

log = logging.getLogger(__name__)
Handler = Callable[[Request], Awaitable[Response]]


class ProviderRoutes:
    """ASGI app: the receipt routes directly, everything else through ``app``."""

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
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except Exception as exc:
            response = await self._failed(request, exc)
        await response(scope, receive, send)

    async def _failed(self, request: Request, exc: Exception) -> Response:
        """The app's answer to ``exc`` (its exception handler's), or a bare 500 as the framework's."""
        for kind in type(exc).__mro__:
            answer = self.app.exception_handlers.get(kind)
            if answer is not None and kind is not Exception:
                response = answer(request, exc)
                return await response if inspect.isawaitable(response) else response
        log.error("unhandled error", extra={"error": type(exc).__name__}, exc_info=exc)
        return PlainTextResponse("Internal Server Error", status_code=500)
