"""Fixtures of the fault suite: faults are injected into dependencies of the suite's own (a Kafka
cluster, a single broker, a Redis) or into the platform's processes, never into the shared backing
services."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.conftest import _delete_topics
from tests.support.kafka_cluster import KafkaCluster, free_base_port
from tests.support.local_postgres import LocalPostgres
from tests.support.platform import Platform, free_ports, running_platform


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(Path(tmp_path_factory.mktemp("kafka-cluster")), free_base_port())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def single_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """One Kafka broker of the module's own (broker and controller in one process, replication 1),
    as ``make up`` runs by default."""
    broker = KafkaCluster(Path(tmp_path_factory.mktemp("kafka-broker")), free_base_port(), brokers=1)
    broker.start()
    try:
        yield broker
    finally:
        with contextlib.suppress(OSError, ValueError):
            broker.resume(1)  # a test that failed while the broker was hung
        broker.stop()


@pytest.fixture(scope="module")
def platform_on_single_broker(
    database: str,
    settings: CommonSettings,
    single_broker: KafkaCluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    """The whole platform on ``single_broker``, with topics of its own."""
    ours = settings.model_copy(
        update={
            "kafka_bootstrap_servers": single_broker.bootstrap,
            "kafka_topic_prefix": f"faults-{uuid.uuid4().hex[:6]}.",
            "kafka_topic_replication_factor": 1,
            "kafka_topic_min_insync_replicas": 1,
        }
    )
    asyncio.run(provision_topics(ours))
    try:
        with running_platform(
            database,
            Path(tmp_path_factory.mktemp("single-broker-logs")),
            NOTIFY_KAFKA_BOOTSTRAP_SERVERS=ours.kafka_bootstrap_servers,
            NOTIFY_KAFKA_TOPIC_PREFIX=ours.kafka_topic_prefix,
        ) as platform:
            yield platform
    finally:
        with contextlib.suppress(Exception):
            asyncio.run(_delete_topics(ours))


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    """A PostgreSQL of the module's own, to stop, restart or hang."""
    server = LocalPostgres(Path(tmp_path_factory.mktemp("postgres-state")), free_ports(1)[0])
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def own_database(own_postgres: LocalPostgres) -> str:
    return own_postgres.create_database(f"notify_faults_{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def platform_on_own_postgres(
    own_database: str, kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """The whole platform on ``own_database``, for the cases that stop or hang that PostgreSQL."""
    logs = Path(tmp_path_factory.mktemp("own-postgres-logs"))
    # Receipts come 1 to 6 s after a send, so those of the sends just before the fault arrive during it.
    with running_platform(
        own_database,
        logs,
        NOTIFY_DATABASE_URL=own_database,
        NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MIN="1000",
        NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MAX="6000",
    ) as platform:
        yield platform
