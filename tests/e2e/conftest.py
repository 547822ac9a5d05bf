"""Starts the whole platform (all nine services, as real processes) against the test run's
database and topics, on free ports of its own so a platform started with ``make up`` is not disturbed."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from notify_api_gateway.admin_cli import demo
from notify_api_gateway.settings import ApiSettings
from tests.support import env
from tests.support.processes import ServiceProcess

SERVICES = (
    "provider-simulator",
    "receipts",
    "projector",
    "sms-sender",
    "email-sender",
    "letter-sender",
    "callbacks",
    "job-splitter",
    "api-gateway",
)


def free_ports(count: int) -> list[int]:
    """Ports free right now on loopback, so several test runs can share the machine."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


ADMIN_API_TOKEN = f"e2e-admin-token-{env.RUN_ID}"
PORTS = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))


@dataclass
class Platform:
    services: dict[str, ServiceProcess]
    credentials: dict[str, str]

    @property
    def api_url(self) -> str:
        return self.services["api-gateway"].url

    @property
    def simulator_url(self) -> str:
        return self.services["provider-simulator"].url


@pytest.fixture(scope="package")
def platform(
    database: str, kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    logs = Path(tmp_path_factory.mktemp("service-logs"))
    # Every service finds the others through these base URLs (see notify_common.settings).
    extra = {
        "NOTIFY_API_BASE_URL": f"http://127.0.0.1:{PORTS['api-gateway']}",
        "NOTIFY_RECEIPTS_URL": f"http://127.0.0.1:{PORTS['receipts']}",
        "NOTIFY_SIMULATOR_URL": f"http://127.0.0.1:{PORTS['provider-simulator']}",
        "NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MIN": "20",
        "NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MAX": "100",
        # The admin API (used by the admin console's tests) answers only with this token.
        "NOTIFY_ADMIN_API_TOKEN": ADMIN_API_TOKEN,
    }
    services = {
        name: ServiceProcess(name, port, env.service_env(**extra), logs) for name, port in PORTS.items()
    }
    settings = ApiSettings(database_url=env.DATABASE_URL, api_base_url=extra["NOTIFY_API_BASE_URL"])
    credentials = asyncio.run(demo(settings))
    try:
        for service in services.values():
            service.start()
        for service in services.values():
            service.wait_ready()
        yield Platform(services=services, credentials=credentials)
    finally:
        for service in services.values():
            service.kill()
