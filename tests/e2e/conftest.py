"""Starts the whole platform (every service, as a real process) against the test run's
database and topics, on free ports of its own so a platform started with ``make up`` is not disturbed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import env
from tests.support.platform import SERVICES, Platform, free_ports, running_platform

__all__ = ["ADMIN_API_TOKEN", "PORTS", "Platform", "free_ports", "platform"]

ADMIN_API_TOKEN = f"e2e-admin-token-{env.RUN_ID}"
PORTS = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))


@pytest.fixture(scope="package")
def platform(
    database: str, kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    logs = Path(tmp_path_factory.mktemp("service-logs"))
    with running_platform(
        database,
        logs,
        PORTS,
        # The admin API (used by the admin console's tests) answers only with this token.
        NOTIFY_ADMIN_API_TOKEN=ADMIN_API_TOKEN,
        # A process a test kills (the job-splitter mid-job) leaves its partitions to the one started
        # in its place once its session times out: the broker's shortest, not the 10 s default.
        NOTIFY_KAFKA_SESSION_TIMEOUT_MS="6000",
        # A callback a test has just configured is loaded within half a second rather than the
        # default 2 s, so tests wait that much less before sending.
        NOTIFY_CALLBACK_CONFIG_REFRESH_SECONDS="0.5",
    ) as running:
        yield running
