"""While PostgreSQL hangs, the api-gateway's configuration cache serves what it holds at once: once a
load has found the database unreachable, later requests do not wait for the next load's bound too;
the database is asked again in the background, and once it answers, requests load from it again."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from notify_api_gateway.repository import Repository
from notify_common.db import stale_reads
from notify_common.db.bounded import DatabaseUnavailable
from notify_common.secrets import SecretBox
from notify_common.service_config import ServiceConfig

SERVICE = "6b4f8a2e-0d1c-4c55-9e0b-2f1b7c3d9a10"


class FlakyLoads:
    """Stands in for the database: answers ``first``, then fails as a bounded wait does, each
    failing load waiting for ``release`` first (the bound)."""

    def __init__(self, first: Any) -> None:
        self.answers: list[Any] = [first]
        self.started = 0
        self.release = asyncio.Event()

    async def load(self, _key: str) -> Any:
        self.started += 1
        if self.answers:
            return self.answers.pop(0)
        await self.release.wait()
        self.release.clear()
        raise DatabaseUnavailable("PostgreSQL did not answer in time")


def _repository(loads: FlakyLoads, monkeypatch: pytest.MonkeyPatch) -> Repository:
    # Every request past the cache asks the database again: no retry interval to hide behind.
    monkeypatch.setattr(stale_reads, "RETRY_SECONDS", 0.0)
    repo = Repository(cast(Any, None), SecretBox("k" * 32), cache_seconds=0.0, stale_seconds=600.0)
    repo._load_config = loads.load  # type: ignore[method-assign,assignment]
    return repo


async def test_once_the_database_is_found_unreachable_a_cached_configuration_is_served_without_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = cast(ServiceConfig, object())
    loads = FlakyLoads(config)
    repo = _repository(loads, monkeypatch)
    assert await repo.service_config(SERVICE) is config

    # The first request after the database stops answering waits for the bound, then is served.
    first = asyncio.ensure_future(repo.service_config(SERVICE))
    await asyncio.sleep(0)
    loads.release.set()
    assert await first is config

    # The next ones are answered while the database is still not answering, without waiting.
    for _ in range(3):
        assert await asyncio.wait_for(repo.service_config(SERVICE), timeout=5) is config
    assert loads.started == 3  # the first load, the failed one, and one asking again in the background


async def test_once_a_load_in_the_background_succeeds_requests_load_from_the_database_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new, newer = (cast(ServiceConfig, object()) for _ in range(3))
    loads = FlakyLoads(old)
    repo = _repository(loads, monkeypatch)
    assert await repo.service_config(SERVICE) is old
    first = asyncio.ensure_future(repo.service_config(SERVICE))
    await asyncio.sleep(0)
    loads.release.set()
    assert await first is old

    loads.answers.append(new)  # the database answers again, to the load asked in the background
    assert await asyncio.wait_for(repo.service_config(SERVICE), timeout=5) is old
    for _ in range(100):
        await asyncio.sleep(0)
    loads.answers.append(newer)
    assert await asyncio.wait_for(repo.service_config(SERVICE), timeout=5) is newer


class Clock:
    """``time`` for ``stale_reads``: monotonic seconds set by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class GatedLoads:
    """Stands in for the database: each load answers the next of ``answers`` once ``gate`` is set."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.started = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def load(self, _key: str) -> Any:
        self.started += 1
        await self.gate.wait()
        return self.answers.pop(0)


def _cached(loads: GatedLoads, monkeypatch: pytest.MonkeyPatch) -> tuple[Repository, Clock]:
    clock = Clock()
    monkeypatch.setattr(stale_reads, "time", clock)
    repo = Repository(cast(Any, None), SecretBox("k" * 32), cache_seconds=5.0, stale_seconds=600.0)
    repo._load_config = loads.load  # type: ignore[method-assign,assignment]
    return repo, clock


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_configuration_read_in_its_last_second_is_loaded_again_while_it_is_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = (cast(ServiceConfig, object()) for _ in range(2))
    loads = GatedLoads(old, new)
    repo, clock = _cached(loads, monkeypatch)
    assert await repo.service_config(SERVICE) is old

    clock.now += 3.9  # fresh, and not yet in its last second: no load
    assert await repo.service_config(SERVICE) is old
    assert loads.started == 1

    loads.gate.clear()  # the database is slow: the request must not wait for it
    clock.now += 0.2
    reading = asyncio.ensure_future(repo.service_config(SERVICE))
    await _settle()
    assert reading.done()
    assert reading.result() is old
    assert loads.started == 2
    assert await repo.service_config(SERVICE) is old  # one load in the background at a time
    assert loads.started == 2

    loads.gate.set()
    await _settle()
    clock.now += 1.0  # past when the first load would have expired: the second one's value
    assert await repo.service_config(SERVICE) is new
    assert loads.started == 2


async def test_a_configuration_is_never_served_fresh_for_longer_than_the_cache_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = (cast(ServiceConfig, object()) for _ in range(2))
    loads = GatedLoads(old, new)
    repo, clock = _cached(loads, monkeypatch)
    assert await repo.service_config(SERVICE) is old
    clock.now += 5.0  # never read in its last second: the request past expiry loads it
    assert await repo.service_config(SERVICE) is new
    assert loads.started == 2


async def test_a_load_in_the_background_begun_before_a_change_does_not_cache_what_it_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, read_before_change, changed = (cast(ServiceConfig, object()) for _ in range(3))
    loads = GatedLoads(old, read_before_change, changed)
    repo, clock = _cached(loads, monkeypatch)
    assert await repo.service_config(SERVICE) is old
    loads.gate.clear()
    clock.now += 4.5
    assert await repo.service_config(SERVICE) is old  # starts the load in the background
    repo.forget(SERVICE)  # the service's configuration changed meanwhile
    loads.gate.set()
    await _settle()
    assert await repo.service_config(SERVICE) is changed
    assert loads.started == 3
