"""The whole platform (every service as a real process) on free loopback ports of its own, against a
test run's database and topics. The end-to-end tests share one (``platform`` of tests/e2e/conftest.py,
kept for every test under tests/e2e), beside the few modules that need one configured their own
way; the fault tests start theirs against dependencies of their own."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from notify_admin_api.cli import demo
from notify_admin_api.settings import AdminApiSettings
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
    "document-download",
    "api-gateway",
    "admin-api",
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


@dataclass
class Replica(ServiceProcess):
    """A further process of a service, as a second pod of a Deployment: the same executable and
    environment, a port and a log of its own."""

    replica: int = 2

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}-{self.replica}.log"


@dataclass
class Platform:
    services: dict[str, ServiceProcess]
    credentials: dict[str, str]
    replicas: list[Replica] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return self.services["api-gateway"].url

    @property
    def admin_api_url(self) -> str:
        return self.services["admin-api"].url

    @property
    def document_download_url(self) -> str:
        return self.services["document-download"].url

    @property
    def simulator_url(self) -> str:
        return self.services["provider-simulator"].url

    def exited(self) -> dict[str, int | None]:
        """The services whose process has ended, with its exit code."""
        return {
            name: s.process.returncode if s.process else None
            for name, s in self.services.items()
            if s.process is None or s.process.poll() is not None
        }

    def add_replicas(self, names: list[str]) -> list[Replica]:
        """Starts one more process of each service in ``names`` and waits until each is ready (for
        a consumer: assigned partitions of its group). They are killed with the platform."""
        started = []
        for name, port in zip(names, free_ports(len(names)), strict=True):
            first = self.services[name]
            replica = Replica(
                name, port, first.env, first.log_dir, replica=2 + sum(r.name == name for r in self.replicas)
            )
            self.replicas.append(replica)
            replica.start()
            started.append(replica)
        for replica in started:
            replica.wait_ready()
        return started


@contextmanager
def running_platform(
    database_url: str,
    logs: Path,
    ports: dict[str, int] | None = None,
    only: tuple[str, ...] = SERVICES,
    **overrides: str,
) -> Iterator[Platform]:
    """Starts every service, or those in ``only`` (environment: ``env.service_env`` with
    ``overrides``), creates the demo service and its keys while they start, waits until each is
    ready, yields, and kills them afterwards."""
    ports = ports or dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    extra = {
        # Every service finds the others through these base URLs (see notify_common.settings).
        "NOTIFY_API_BASE_URL": f"http://127.0.0.1:{ports['api-gateway']}",
        "NOTIFY_ADMIN_API_URL": f"http://127.0.0.1:{ports['admin-api']}",
        "NOTIFY_RECEIPTS_URL": f"http://127.0.0.1:{ports['receipts']}",
        "NOTIFY_SIMULATOR_URL": f"http://127.0.0.1:{ports['provider-simulator']}",
        "NOTIFY_DOCUMENT_DOWNLOAD_URL": f"http://127.0.0.1:{ports['document-download']}",
        "NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MIN": "20",
        "NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MAX": "100",
        **overrides,
    }
    services = {
        name: ServiceProcess(name, port, env.service_env(**extra), logs)
        for name, port in ports.items()
        if name in only
    }
    settings = AdminApiSettings(database_url=database_url, api_base_url=extra["NOTIFY_API_BASE_URL"])
    platform = Platform(services=services, credentials={})
    try:
        for service in services.values():
            service.start()
        # Made while the processes start (no service reads the demo service before a request or
        # an event names it), rather than before: the start-up is mostly each process's imports.
        platform.credentials.update(asyncio.run(demo(settings)))
        for service in services.values():
            service.wait_ready()
        yield platform
    finally:
        for service in [*services.values(), *platform.replicas]:
            service.kill()
