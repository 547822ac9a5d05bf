"""Fixtures for integration tests: each Kafka test gets topics under a prefix of its own, so
consumer groups and committed offsets never leak between tests. The topics of the next test's
prefix are made while the test before it runs, and a test's topics are deleted while the tests
after it run (nothing else uses a prefix before or after its test); the session waits for every
deletion, the unused last prefix's too, before it ends."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import warnings
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
    # Deleting a finished test's topics is housekeeping, not behaviour under test: a deletion the
    # broker did not answer in time (the fault tests restart it; a slow machine) leaves topics in a
    # test broker, and is reported as a warning rather than as an error of the last test.
    for outcome in await asyncio.gather(*pending, return_exceptions=True):
        if isinstance(outcome, BaseException):
            warnings.warn(f"test topics not deleted: {type(outcome).__name__}", stacklevel=1)


class Prefixes:
    """Prefixes of their own with every declared topic made, one made ahead: ``take`` hands over
    the one made while the test before ran (or makes one now) and starts making the next.

    The prefix made ahead progresses only while the session's event loop runs (during async tests
    and fixtures), and its wait for partition leaders is bounded in wall time; so a long stretch of
    synchronous tests can leave it failed. Then ``take`` makes one at once, and the half-made prefix
    is deleted with the others."""

    def __init__(self, settings: CommonSettings, deletions: list[asyncio.Task[None]]) -> None:
        self.settings = settings
        self.deletions = deletions
        self.ahead: tuple[CommonSettings, asyncio.Task[list[str]]] | None = None

    def _start(self) -> tuple[CommonSettings, asyncio.Task[list[str]]]:
        isolated = self.settings.model_copy(
            update={"kafka_topic_prefix": f"{self.settings.kafka_topic_prefix}{uuid.uuid4().hex[:6]}."}
        )
        return isolated, asyncio.create_task(provision_topics(isolated))

    async def take(self) -> CommonSettings:
        ahead, self.ahead = self.ahead, None
        isolated = await self._made(ahead) if ahead is not None else None
        if isolated is None:
            fresh, making = self._start()
            await making
            isolated = fresh
        self.ahead = self._start()
        return isolated

    async def _made(self, ahead: tuple[CommonSettings, asyncio.Task[list[str]]]) -> CommonSettings | None:
        isolated, making = ahead
        try:
            await making
        except Exception:  # timed out while the loop stood still, or refused: make another
            self.deletions.append(asyncio.create_task(_delete_topics(isolated)))
            return None
        return isolated

    async def unused(self) -> CommonSettings | None:
        """The prefix made ahead that no test took, once made (made or not, its topics go)."""
        ahead, self.ahead = self.ahead, None
        if ahead is None:
            return None
        isolated, making = ahead
        with contextlib.suppress(Exception):
            await making
        return isolated


@pytest.fixture(scope="session")
async def topic_prefixes(
    settings: CommonSettings, topic_deletions: list[asyncio.Task[None]]
) -> AsyncIterator[Prefixes]:
    prefixes = Prefixes(settings, topic_deletions)
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
