"""Fixtures for integration tests: each Kafka test gets topics under a prefix of its own, so
consumer groups and committed offsets never leak between tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from notify_common.kafka import EventProducer
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.conftest import _delete_topics


@pytest.fixture
async def kafka(settings: CommonSettings) -> AsyncIterator[CommonSettings]:
    isolated = settings.model_copy(
        update={"kafka_topic_prefix": f"{settings.kafka_topic_prefix}{uuid.uuid4().hex[:6]}."}
    )
    await provision_topics(isolated)
    yield isolated
    await _delete_topics(isolated)


@pytest.fixture
async def producer(kafka: CommonSettings) -> AsyncIterator[EventProducer]:
    p = EventProducer(kafka, client_id="test-producer")
    await p.start()
    yield p
    await p.stop()
