"""Entry point: ``notify-receipts`` serves the providers' receipt endpoints."""

from __future__ import annotations

import uvicorn

from notify_common.logs import configure_logging
from notify_common.settings import CommonSettings
from notify_receipts.app import create_app


class ReceiptsSettings(CommonSettings):
    http_port: int = 6012


def main() -> int:
    settings = ReceiptsSettings()
    configure_logging("receipts", settings.log_level)
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
