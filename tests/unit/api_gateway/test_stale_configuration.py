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
