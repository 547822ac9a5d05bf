"""Entry point: ``notify-api-gateway`` serves the public API.

With ``NOTIFY_HTTP_WORKERS`` above 1, that many processes serve the same port
(``notify_common.http.serve_http_workers``), each with its own Kafka producer and pools.
"""

from __future__ import annotations

import functools
import sys

from notify_api_gateway.app import create_asgi_app
from notify_api_gateway.settings import ApiSettings
from notify_common.http import serve_http_workers


def main() -> int:
    settings = ApiSettings()
    return serve_http_workers(
        "api-gateway",
        functools.partial(create_asgi_app, settings),
        workers=settings.http_workers,
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level,
        grace_seconds=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    sys.exit(main())
