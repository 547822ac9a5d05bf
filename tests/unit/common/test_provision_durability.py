"""Topics get min.insync.replicas from the deployment (three replicas want two in sync)."""

from __future__ import annotations

import pytest

from notify_common.provision import durability_configs
from notify_common.settings import CommonSettings


def test_one_replica_sets_nothing_beyond_the_declaration() -> None:
    assert durability_configs(CommonSettings()) == {}


def test_three_replicas_with_two_in_sync_set_min_insync_replicas() -> None:
    settings = CommonSettings(kafka_topic_replication_factor=3, kafka_topic_min_insync_replicas=2)
    assert durability_configs(settings) == {"min.insync.replicas": "2"}


def test_more_in_sync_replicas_than_replicas_is_refused() -> None:
    settings = CommonSettings(kafka_topic_replication_factor=1, kafka_topic_min_insync_replicas=2)
    with pytest.raises(ValueError, match="cannot exceed"):
        durability_configs(settings)
