"""Runs an ASGI app with uvicorn so that SIGTERM means a graceful stop and exit code 0.

uvicorn re-raises the signal it caught after shutting down, which makes a clean stop look like a
kill to Kubernetes and to our tests; this server stops on the signal and returns normally.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Generator
from typing import Any

import uvicorn

from notify_common import garbage
from notify_common.instrumentation import setup_instrumentation
from notify_common.logs import configure_logging
from notify_common.metrics_http import HttpMetrics
from notify_common.tracing import TracingMiddleware


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        garbage.started()  # the app's lifespan has built its state: out of the collector's sight

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        from notify_common.runtime import install_stop_signals

        def stop() -> None:
            self.should_exit = True

        install_stop_signals(stop)
        yield


def serve_http(name: str, app: Any, *, host: str, port: int, log_level: str, grace_seconds: float) -> int:
    from notify_common.runtime import run_on_uvloop

    configure_logging(name, log_level)
    setup_instrumentation(name)
    config = uvicorn.Config(
        HttpMetrics(TracingMiddleware(app)),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(grace_seconds),
        lifespan="on",
    )
    run_on_uvloop(_Server(config).serve())
    return 0
