"""Load shedding for an HTTP service: a bound on the requests one process works on at once.

Past the platform's capacity, requests that are all accepted for work queue inside the process (on
the event loop, in the Kafka producer's pending sends and in the connection pools) and every one of
them waits longer: an open-loop client then sees answers after tens of seconds and, with every
connection busy, the server's accept backlog overflows and connections are refused. ``LoadShedding``
wraps the whole app and counts requests in progress; one that arrives while ``bound`` are answers
at once with a 503 in Notify's error shape and ``Retry-After``, before anything is parsed or
authenticated, so a refusal costs the process almost nothing and the requests it did take keep
their latency. A request it takes is served as before (a send is answered 201 only once Kafka has
acknowledged it). ``/healthz`` and ``/readyz`` are never shed (``/metrics`` is answered outside
this wrapper), so a busy process is not taken for a dead one.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from notify_common import metrics

# Answered by the process whatever its load: liveness and readiness probes.
NEVER_SHED = frozenset({"/healthz", "/readyz"})
RETRY_AFTER_SECONDS = 1
SHED_MESSAGE = "Too many requests are in progress right now. Try again later"
_BODY = orjson.dumps(
    {"status_code": 503, "errors": [{"error": "ServiceUnavailableError", "message": SHED_MESSAGE}]}
)
_START = {
    "type": "http.response.start",
    "status": 503,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_BODY)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    ],
}
_END = {"type": "http.response.body", "body": _BODY}


class LoadShedding:
    """ASGI middleware: at most ``bound`` HTTP requests in progress; past it, an immediate 503."""

    def __init__(self, app: ASGIApp, bound: int) -> None:
        self.app = app
        self.bound = bound
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in NEVER_SHED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.bound:
            metrics.request_shed()
            # The request's body, if any, is left unread; uvicorn discards it before the next
            # request on a keep-alive connection.
            await send(_START)
            await send(_END)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
