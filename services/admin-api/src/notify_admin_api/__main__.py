"""Entry point: ``notify-admin-api`` serves the admin API (the management plane, port 6028)."""

from __future__ import annotations

import sys

from notify_admin_api.app import create_asgi_app
from notify_admin_api.settings import AdminApiSettings
from notify_common.http import serve_http


def main() -> int:
    settings = AdminApiSettings()
    return serve_http(
        "admin-api",
        create_asgi_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level,
        grace_seconds=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    sys.exit(main())
