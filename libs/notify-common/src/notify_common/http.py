"""Runs an ASGI app with uvicorn so that SIGTERM means a graceful stop and exit code 0.

uvicorn re-raises the signal it caught after shutting down, which makes a clean stop look like a
kill to Kubernetes and to our tests; this server stops on the signal and returns normally.

``serve_http_workers`` runs the app in several processes on the same port (``SO_REUSEPORT``; the
kernel spreads connections across them). SIGTERM to the parent stops every worker gracefully. The
workers write their metrics to a fresh folder (prometheus-client's multiprocess mode,
``PROMETHEUS_MULTIPROC_DIR``), so ``/metrics`` on any of them answers the sum of all.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import Receive

from notify_common import garbage
from notify_common.http_protocol import OneWriteHttpToolsProtocol
from notify_common.instrumentation import setup_instrumentation
from notify_common.logs import configure_logging
from notify_common.metrics_http import MULTIPROCESS_DIR, HttpMetrics
from notify_common.tracing import TracingMiddleware

# How long an idle keep-alive connection stays open (uvicorn's default is 5 s). Longer than the
# 60 s idle timeout of common load balancers (AWS's ALB, nginx's upstream keep-alive), so the
# balancer, not the service, closes an idle connection and never sends a request down one the
# service has just closed; and a caller that pauses for a few seconds between bursts (the senders
# between batches, the provider simulator's receipt posters) finds its connection still open
# instead of paying a new TCP connection and a reconnect.
KEEP_ALIVE_SECONDS = 75


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


def server_config(app: Any, grace_seconds: float, **where: Any) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` as every service serves it: metrics and tracing
    around it, no access log, the grace period for a stop, idle connections kept alive."""
    return uvicorn.Config(
        HttpMetrics(TracingMiddleware(app)),
        **where,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(grace_seconds),
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        lifespan="on",
        http=OneWriteHttpToolsProtocol,
        # No X-Forwarded-* rewriting of each request's client and scheme: nothing here reads either
        # (links are built from configured roots, never from a request), and uvicorn's middleware
        # for it parsed the client's address on every request from loopback, its default trust.
        proxy_headers=False,
        # No ``server: uvicorn`` on every answer: it tells a caller nothing it needs, names the
        # software to an attacker, and costs each response a header and its checks.
        server_header=False,
    )


def serve_http(name: str, app: Any, *, host: str, port: int, log_level: str, grace_seconds: float) -> int:
    from notify_common.runtime import run_on_uvloop

    configure_logging(name, log_level)
    setup_instrumentation(name)
    config = server_config(app, grace_seconds, host=host, port=port)
    run_on_uvloop(_Server(config).serve())
    return 0


def serve_http_workers(
    name: str,
    make_app: Callable[[], Any],
    *,
    workers: int,
    host: str,
    port: int,
    log_level: str,
    grace_seconds: float,
) -> int:
    """``serve_http`` of ``make_app()``, in ``workers`` processes sharing the port (one: in this
    process). ``make_app`` is called in each worker, so it must be picklable (a module's function,
    or a ``functools.partial`` of one); each worker then has its own clients and pools."""
    if workers == 1:
        return serve_http(
            name, make_app(), host=host, port=port, log_level=log_level, grace_seconds=grace_seconds
        )
    made_metrics_dir = MULTIPROCESS_DIR not in os.environ
    if made_metrics_dir:
        os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix=f"notify-{name}-metrics-")
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker, args=(name, make_app, host, port, log_level, grace_seconds))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()

    def stop(_signum: int, _: FrameType | None) -> None:
        for process in processes:
            if process.pid is not None and process.is_alive():
                process.terminate()  # SIGTERM: each worker stops gracefully

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
    if made_metrics_dir:
        shutil.rmtree(os.environ[MULTIPROCESS_DIR], ignore_errors=True)
    return 0 if all(p.exitcode == 0 for p in processes) else 1


def _worker(
    name: str, make_app: Callable[[], Any], host: str, port: int, log_level: str, grace_seconds: float
) -> None:
    from notify_common.runtime import run_on_uvloop

    # uvicorn binds with SO_REUSEADDR only; a socket bound here with SO_REUSEPORT lets N processes
    # share the port, and uvicorn adopts it through its file descriptor.
    configure_logging(name, log_level)
    setup_instrumentation(name)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    config = server_config(make_app(), grace_seconds)
    run_on_uvloop(_Server(config).serve(sockets=[sock]))


async def read_body(receive: Receive) -> bytes | None:
    """A request's whole body from its ASGI messages, or ``None`` when the client went away before
    the end of it (for the routes that bypass the framework's ``Request``)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
