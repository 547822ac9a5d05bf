"""Entry point: ``notify-provider-simulator``."""

from __future__ import annotations

import uvicorn

from notify_common.logs import configure_logging
from notify_provider_simulator.app import create_app
from notify_provider_simulator.settings import SimulatorSettings


def main() -> int:
    settings = SimulatorSettings()
    configure_logging("provider-simulator", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
