"""Entry point: ``notify-api-gateway`` serves the public API.

With ``NOTIFY_HTTP_WORKERS`` above 1, that many processes serve the same port (``SO_REUSEPORT``; the
kernel spreads connections across them), each with its own Kafka producer, pools and scheduler loop.
SIGTERM to the parent stops every worker gracefully. The workers write their metrics to a fresh
folder (prometheus-client's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``), so ``/metrics`` on any
of them answers the sum of all.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from types import FrameType

from notify_api_gateway.app import create_asgi_app
from notify_api_gateway.settings import ApiSettings
from notify_common.http import serve_http
from notify_common.metrics_http import MULTIPROCESS_DIR


def _use_uvloop() -> None:
    """Serve on uvloop (uvicorn[standard] installs it): ``asyncio.run`` below, in ``serve_http`` and
    in each worker, then makes uvloop's event loop, which roughly halves the cost of socket I/O."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; plain asyncio still works
        return
    uvloop.install()


def _serve(settings: ApiSettings) -> int:
    _use_uvloop()
    return serve_http(
        "api-gateway",
        create_asgi_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level,
        grace_seconds=settings.shutdown_grace_seconds,
    )


def _worker(settings: ApiSettings) -> None:
    # uvicorn binds with SO_REUSEADDR only; a socket bound here with SO_REUSEPORT lets N processes
    # share the port, and uvicorn adopts it through its file descriptor.
    import asyncio

    import uvicorn

    from notify_common.http import _Server
    from notify_common.instrumentation import setup_instrumentation
    from notify_common.logs import configure_logging
    from notify_common.metrics_http import HttpMetrics
    from notify_common.tracing import TracingMiddleware

    configure_logging("api-gateway", settings.log_level)
    setup_instrumentation("api-gateway")
    _use_uvloop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((settings.http_host, settings.http_port))
    config = uvicorn.Config(
        HttpMetrics(TracingMiddleware(create_asgi_app(settings))),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        lifespan="on",
    )
    asyncio.run(_Server(config).serve(sockets=[sock]))


def main() -> int:
    settings = ApiSettings()
    if settings.http_workers == 1:
        return _serve(settings)
    made_metrics_dir = MULTIPROCESS_DIR not in os.environ
    if made_metrics_dir:
        os.environ[MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="notify-api-metrics-")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(settings,)) for _ in range(settings.http_workers)]
    for worker in workers:
        worker.start()

    def stop(signum: int, _: FrameType | None) -> None:
        for worker in workers:
            if worker.pid is not None and worker.is_alive():
                worker.terminate()  # SIGTERM: each worker stops gracefully

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for worker in workers:
        worker.join()
    if made_metrics_dir:
        shutil.rmtree(os.environ[MULTIPROCESS_DIR], ignore_errors=True)
    return 0 if all(w.exitcode == 0 for w in workers) else 1


if __name__ == "__main__":
    sys.exit(main())
