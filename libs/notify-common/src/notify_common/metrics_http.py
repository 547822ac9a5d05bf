"""``/metrics`` and the HTTP request series of every HTTP service, as one ASGI middleware.

``HttpMetrics`` wraps a service's whole ASGI app (``notify_common.http.serve_http`` puts it
outermost, so requests refused by a size limit or failing with a 500 are counted too). It answers
``GET /metrics`` itself, before the app's own routes and authentication, and counts every other
request by its **route template** (``/v2/notifications/{notification_id}``), which the router
leaves in the ASGI scope as ``scope["route"]``; a request no route matched is counted as ``other``,
so a raw path, and an id in it, never becomes a label value.

With several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set before they start, as the
api-gateway does for ``NOTIFY_HTTP_WORKERS`` above 1), ``/metrics`` adds up every worker's series
with prometheus-client's multiprocess collector.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notify_common.metrics import HTTP_DURATION, HTTP_REQUESTS, counting

METRICS_PATH = "/metrics"
UNMATCHED = "other"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Any other method a client invents is counted as ``other``: labels stay a small, closed set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def exposition() -> bytes:
    """Every series of this process (of every worker process, in multiprocess mode)."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def route_template(scope: Scope) -> str:
    """The template of the route that served the request, or ``other``."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) if route is not None else None
    return template if isinstance(template, str) and template else UNMATCHED


class _StatusOf:
    """The ``send`` an app is given: notes the response's status on its way out. A plain callable
    returning the server's own awaitable, so a message costs no extra coroutine."""

    __slots__ = ("_send", "status")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500  # if the app raises before answering, the server answers 500

    def __call__(self, message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        return self._send(message)


class HttpMetrics:
    """ASGI middleware: serves ``/metrics`` and counts and times every HTTP request (with
    counting off when it is made, only serves ``/metrics``). The two series of each route, method
    and status are looked up once, then kept as their bound ``inc`` and ``observe``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._counting = counting()
        self._series: dict[tuple[str, str, int], tuple[Callable[[], None], Callable[[float], None]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if scope["path"] == METRICS_PATH and scope["method"] == "GET":
            scope["route"] = _METRICS_ROUTE
            await self._serve_metrics(send)
            self._observe(scope, 200, started)
            return
        if not self._counting:
            await self.app(scope, receive, send)
            return
        counted = _StatusOf(send)
        try:
            await self.app(scope, receive, counted)
        finally:
            self._observe(scope, counted.status, started)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        method = scope["method"]
        key = (route_template(scope), method if method in METHODS else UNMATCHED, status)
        series = self._series.get(key)
        if series is None:
            route, method, _ = key
            series = self._series[key] = (
                HTTP_REQUESTS.labels(route, method, str(status)).inc,
                HTTP_DURATION.labels(route, method).observe,
            )
        inc, observe = series
        inc()
        observe(time.perf_counter() - started)

    @staticmethod
    async def _serve_metrics(send: Send) -> None:
        body = exposition()
        headers = [
            (b"content-type", CONTENT_TYPE_LATEST.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class StaticRoute:
    """What an ASGI app that routes by itself leaves in ``scope["route"]`` for a fixed path."""

    def __init__(self, path: str) -> None:
        self.path_format = path


_METRICS_ROUTE = StaticRoute(METRICS_PATH)
