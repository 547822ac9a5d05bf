"""Fixtures for integration tests: each Kafka test gets topics under a prefix of its own, so
consumer groups and committed offsets never leak between tests. The topics of the next test's
prefix are made while the test before it runs, and a test's topics are deleted while the tests
after it run (nothing else uses a prefix before or after its test); the session waits for every
deletion, the unused last prefix's too, before it ends."""

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


class Prefixes:
    """Prefixes of their own with every declared topic made, one made ahead: ``take`` hands over
    the one made while the test before ran (or makes one now) and starts making the next."""

    def __init__(self, settings: CommonSettings) -> None:
        self.settings = settings
        self.ahead: asyncio.Task[CommonSettings] | None = None

    async def make(self) -> CommonSettings:
        isolated = self.settings.model_copy(
            update={"kafka_topic_prefix": f"{self.settings.kafka_topic_prefix}{uuid.uuid4().hex[:6]}."}
        )
        await provision_topics(isolated)
        return isolated

    async def take(self) -> CommonSettings:
        ready, self.ahead = self.ahead or asyncio.create_task(self.make()), None
        isolated = await ready
        self.ahead = asyncio.create_task(self.make())
        return isolated

    async def unused(self) -> CommonSettings | None:
        """The prefix made ahead that no test took, once made."""
        ahead, self.ahead = self.ahead, None
        return await ahead if ahead is not None else None


@pytest.fixture(scope="session")
async def topic_prefixes(
    settings: CommonSettings, topic_deletions: list[asyncio.Task[None]]
) -> AsyncIterator[Prefixes]:
    prefixes = Prefixes(settings)
    yield prefixes
    left = await prefixes.unused()
    if left is not None:
        topic_deletions.append(asyncio.create_task(_delete_topics(left)))


@pytest.fixture
async def kafka(
    topic_prefixes: Prefixes, topic_deletions: list[asyncio.Task[None]]
) -> AsyncIterator[CommonSettings]:
    isolated = await topic_prefixes.take()
    yield isolated
    topic_deletions.append(asyncio.create_task(_delete_topics(isolated)))


@pytest.fixture
async def producer(kafka: CommonSettings) -> AsyncIterator[EventProducer]:
    p = EventProducer(kafka, client_id="test-producer")
    await p.start()
    yield p
    await p.stop()
