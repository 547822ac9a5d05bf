"""Entry point: ``notify-api-gateway`` serves the public API with uvicorn."""

from __future__ import annotations

import uvicorn

from notify_api_gateway.app import create_app
from notify_api_gateway.settings import ApiSettings
from notify_common.logs import configure_logging


def main() -> int:
    settings = ApiSettings()
    configure_logging("api-gateway", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
