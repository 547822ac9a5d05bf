"""Fixtures for integration tests: each Kafka test gets topics under a prefix of its own, so
consumer groups and committed offsets never leak between tests. A test's topics are deleted while
the tests after it run (nothing else uses its prefix), and the session waits for every deletion
before it ends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from notify_common.kafka import EventProducer
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.conftest import _delete_topics


@pytest.fixture(scope="session")
async def topic_deletions() -> AsyncIterator[list[asyncio.Task[None]]]:
    pending: list[asyncio.Task[None]] = []
    yield pending
    await asyncio.gather(*pending)


@pytest.fixture
async def kafka(
    settings: CommonSettings, topic_deletions: list[asyncio.Task[None]]
) -> AsyncIterator[CommonSettings]:
    isolated = settings.model_copy(
        update={"kafka_topic_prefix": f"{settings.kafka_topic_prefix}{uuid.uuid4().hex[:6]}."}
    )
    await provision_topics(isolated)
    yield isolated
    topic_deletions.append(asyncio.create_task(_delete_topics(isolated)))


@pytest.fixture
async def producer(kafka: CommonSettings) -> AsyncIterator[EventProducer]:
    p = EventProducer(kafka, client_id="test-producer")
    await p.start()
    yield p
    await p.stop()
