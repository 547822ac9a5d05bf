"""Entry point: ``notify-receipts`` serves the providers' receipt and inbound-text endpoints."""

from __future__ import annotations

from notify_common.http import serve_http
from notify_receipts.app import served_app
from notify_receipts.settings import ReceiptsSettings


def main() -> int:
    settings = ReceiptsSettings()
    return serve_http(
        "receipts",
        served_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level,
        grace_seconds=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    raise SystemExit(main())
