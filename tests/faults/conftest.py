"""Fixtures of the fault suite: faults are injected into dependencies of the suite's own (a Kafka
cluster, a single broker, a Redis) or into the platform's processes, never into the shared backing
services.

The single broker and the PostgreSQL of the suite's own, each with the whole platform on it, are
set up once for the modules that use them one after the other (the broker's crash and hang, the
PostgreSQL's hang and restart) rather than once per module: a platform takes a while to start. Each
module still starts from a platform as found after a fresh start: its dependency answering, every
service running, and the provider simulator's messages and counts forgotten. They are taken down
as soon as the next test does not use them, so no idle platform runs beside a later case."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.conftest import _delete_topics
from tests.support.kafka_cluster import KafkaCluster, free_base_port
from tests.support.local_postgres import LocalPostgres
from tests.support.platform import Platform, free_ports, running_platform

T = TypeVar("T")


class Kept:
    """Set-ups kept across modules, by fixture name: made by the first test that asks for one,
    closed (most recent first) once the next test does not ask for it, or at the end."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[Any, contextlib.ExitStack]] = {}

    def get(self, name: str, make: Callable[[], contextlib.AbstractContextManager[T]]) -> T:
        if name not in self._open:
            with contextlib.ExitStack() as stack:
                value = stack.enter_context(make())
                self._open[name] = (value, stack.pop_all())
        kept: T = self._open[name][0]
        return kept

    def close_unless(self, wanted: frozenset[str]) -> None:
        for name in reversed(list(self._open)):
            if name not in wanted:
                self._open.pop(name)[1].close()


KEPT = Kept()


# Before pytest's own teardown, so a kept platform ends before the run's database and topics go.
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    KEPT.close_unless(frozenset(getattr(nextitem, "fixturenames", ())))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    KEPT.close_unless(frozenset())


def forget_what_the_simulator_saw(platform: Platform) -> None:
    """The provider simulator as a fresh platform's: no messages, no counts, no faults."""
    httpx.delete(f"{platform.simulator_url}/api/messages", timeout=30).raise_for_status()
    httpx.put(f"{platform.simulator_url}/api/fault", json={"mode": "none"}, timeout=30).raise_for_status()


def assert_all_running(platform: Platform) -> None:
    assert platform.exited() == {}, "a service of the kept platform ended in an earlier module"


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(Path(tmp_path_factory.mktemp("kafka-cluster")), free_base_port())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@contextlib.contextmanager
def _single_broker(folder: Path) -> Iterator[KafkaCluster]:
    broker = KafkaCluster(folder, free_base_port(), brokers=1)
    broker.start()
    try:
        yield broker
    finally:
        with contextlib.suppress(OSError, ValueError):
            broker.resume(1)  # a test that failed while the broker was hung
        broker.stop()


@pytest.fixture(scope="module")
def single_broker(tmp_path_factory: pytest.TempPathFactory) -> KafkaCluster:
    """One Kafka broker of the suite's own (broker and controller in one process, replication 1),
    as ``make up`` runs by default; answering when the module starts."""
    broker = KEPT.get("single_broker", lambda: _single_broker(Path(tmp_path_factory.mktemp("kafka-broker"))))
    with contextlib.suppress(OSError, ValueError):
        broker.resume(1)  # an earlier module that failed while the broker was hung
    broker.start()  # and one that failed while it was killed; nothing to do when it runs
    broker.wait_answering()
    return broker


@contextlib.contextmanager
def _platform_on_single_broker(
    database: str, settings: CommonSettings, broker: KafkaCluster, logs: Path
) -> Iterator[Platform]:
    ours = settings.model_copy(
        update={
            "kafka_bootstrap_servers": broker.bootstrap,
            "kafka_topic_prefix": f"faults-{uuid.uuid4().hex[:6]}.",
            "kafka_topic_replication_factor": 1,
            "kafka_topic_min_insync_replicas": 1,
        }
    )
    asyncio.run(provision_topics(ours))
    try:
        with running_platform(
            database,
            logs,
            NOTIFY_KAFKA_BOOTSTRAP_SERVERS=ours.kafka_bootstrap_servers,
            NOTIFY_KAFKA_TOPIC_PREFIX=ours.kafka_topic_prefix,
        ) as platform:
            yield platform
    finally:
        with contextlib.suppress(Exception):
            asyncio.run(_delete_topics(ours))


@pytest.fixture(scope="module")
def platform_on_single_broker(
    database: str,
    settings: CommonSettings,
    single_broker: KafkaCluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Platform:
    """The whole platform on ``single_broker``, with topics of its own."""
    platform = KEPT.get(
        "platform_on_single_broker",
        lambda: _platform_on_single_broker(
            database, settings, single_broker, Path(tmp_path_factory.mktemp("single-broker-logs"))
        ),
    )
    assert_all_running(platform)
    forget_what_the_simulator_saw(platform)
    return platform


@contextlib.contextmanager
def _own_postgres(folder: Path) -> Iterator[LocalPostgres]:
    server = LocalPostgres(folder, free_ports(1)[0])
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> LocalPostgres:
    """A PostgreSQL of the suite's own, to stop, restart or hang; running when the module starts."""
    server = KEPT.get("own_postgres", lambda: _own_postgres(Path(tmp_path_factory.mktemp("postgres-state"))))
    server.thaw()  # an earlier module that failed while it was hung
    server.start()  # or while it was stopped; nothing to do when it runs
    return server


@pytest.fixture(scope="module")
def own_database(own_postgres: LocalPostgres) -> str:
    return KEPT.get(
        "own_database",
        lambda: contextlib.nullcontext(own_postgres.create_database(f"notify_faults_{uuid.uuid4().hex[:8]}")),
    )


@contextlib.contextmanager
def _platform_on_own_postgres(database: str, logs: Path) -> Iterator[Platform]:
    # Receipts come 1 to 6 s after a send, so those of the sends just before the fault arrive during it.
    with running_platform(
        database,
        logs,
        NOTIFY_DATABASE_URL=database,
        NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MIN="1000",
        NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MAX="6000",
    ) as platform:
        yield platform


@pytest.fixture(scope="module")
def platform_on_own_postgres(
    own_database: str, kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> Platform:
    """The whole platform on ``own_database``, for the cases that stop or hang that PostgreSQL."""
    platform = KEPT.get(
        "platform_on_own_postgres",
        lambda: _platform_on_own_postgres(own_database, Path(tmp_path_factory.mktemp("own-postgres-logs"))),
    )
    assert_all_running(platform)
    forget_what_the_simulator_saw(platform)
    return platform
