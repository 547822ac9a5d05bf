"""Fixtures of the fault suite: faults are injected into dependencies of the suite's own (a Kafka
cluster, a Redis) or into the platform's processes, never into the shared backing services."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.kafka_cluster import KafkaCluster, free_base_port
from tests.support.local_postgres import LocalPostgres
from tests.support.platform import free_ports


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(Path(tmp_path_factory.mktemp("kafka-cluster")), free_base_port())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


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
