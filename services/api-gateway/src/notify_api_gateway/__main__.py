"""Entry point: ``notify-api-gateway`` serves the public API."""

from __future__ import annotations

from notify_api_gateway.app import create_app
from notify_api_gateway.settings import ApiSettings
from notify_common.http import serve_http


def main() -> int:
    settings = ApiSettings()
    return serve_http(
        "api-gateway",
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level,
        grace_seconds=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    raise SystemExit(main())
