"""Entry point: ``notify-provider-simulator``."""

from __future__ import annotations

import uvloop

from notify_common.http import serve_http
from notify_provider_simulator.app import create_app
from notify_provider_simulator.settings import SimulatorSettings


def main() -> int:
    # uvloop (a dependency of uvicorn[standard]) for the event loop of serve_http's asyncio.run.
    uvloop.install()
    settings = SimulatorSettings()
    return serve_http(
        "provider-simulator",
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level,
        grace_seconds=5,
    )


if __name__ == "__main__":
    raise SystemExit(main())
