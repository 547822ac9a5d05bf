"""A consumer group member's session timeout (how long before a killed process's partitions move to
another member) comes from the settings, with heartbeats at most a third of it apart."""

from __future__ import annotations

import pytest

from notify_common.kafka import group_consumer
from notify_common.settings import CommonSettings


def session_of(settings: CommonSettings) -> tuple[int, int]:
    consumer = group_consumer(settings, "some-group", "some-client", "some-topic")
    # aiokafka keeps what it will ask the group coordinator for on the consumer until it starts.
    return consumer._session_timeout_ms, consumer._heartbeat_interval_ms


async def test_a_consumer_keeps_the_ten_second_session_unless_told_otherwise() -> None:
    assert session_of(CommonSettings()) == (10_000, 3_000)


async def test_a_shorter_session_timeout_from_the_environment_shortens_the_heartbeats_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOTIFY_KAFKA_SESSION_TIMEOUT_MS", "6000")
    assert session_of(CommonSettings()) == (6_000, 2_000)


def test_a_session_timeout_under_a_second_is_refused() -> None:
    with pytest.raises(ValueError, match="kafka_session_timeout_ms"):
        CommonSettings(kafka_session_timeout_ms=500)
