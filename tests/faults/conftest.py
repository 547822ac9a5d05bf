"""Fixtures of the fault suite: faults are injected into dependencies of the suite's own (a Kafka
cluster, a Redis) or into the platform's processes, never into the shared backing services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.kafka_cluster import KafkaCluster, free_base_port


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(Path(tmp_path_factory.mktemp("kafka-cluster")), free_base_port())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
