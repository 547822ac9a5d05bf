"""The API's Redis client and limiter on the real Redis: admissions made together in one pipeline
decide exactly as one-by-one admissions would, survive a flushed script cache, keep the limits in
the process when Redis is unreachable, and every command is bounded by the client's deadline."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from notify_api_gateway import redis_client
from notify_common.ratelimit import Admission, DailyLimit, Limiter
from tests.support import env

pytestmark = pytest.mark.asyncio


async def _admit_all(limiter: Limiter, service_id: str, n: int, daily: int) -> list[bool]:
    limits = [(DailyLimit("sms", daily), 1)]
    admissions = await asyncio.gather(
        *(limiter.admit(service_id, "normal", 60_000, limits) for _ in range(n))
    )
    return [a.allowed for a in admissions]


async def test_coalesced_admissions_count_exactly_like_single_ones() -> None:
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    together, alone = Limiter(client, coalesce=True), Limiter(client)
    try:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        allowed_together = await _admit_all(together, first, 40, daily=25)
        allowed_alone = [(await _admit_all(alone, second, 1, daily=25))[0] for _ in range(40)]
        assert sum(allowed_together) == sum(allowed_alone) == 25
        day_keys = await client.keys(f"daily:{{{first}}}:sms:*")
        assert [int(await client.get(k) or 0) for k in day_keys] == [25]
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_coalesced_admissions_reload_a_flushed_script() -> None:
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    limiter = Limiter(client, coalesce=True)
    try:
        assert all(await _admit_all(limiter, str(uuid.uuid4()), 5, daily=100))
        await client.script_flush()
        assert all(await _admit_all(limiter, str(uuid.uuid4()), 5, daily=100))
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_coalesced_admissions_keep_the_limits_in_the_process_without_redis() -> None:
    client = redis_client.connect("redis://127.0.0.1:1/0", timeout=0.5)
    limiter = Limiter(client, coalesce=True)
    try:
        assert await _admit_all(limiter, str(uuid.uuid4()), 3, daily=1) == [True, False, False]
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_commands_past_the_deadline_time_out_and_the_client_recovers() -> None:
    client = redis_client.connect(env.REDIS_URL, timeout=0.3)
    try:
        with pytest.raises(RedisTimeoutError):
            await client.blpop([f"never-{uuid.uuid4()}"], timeout=2)
        async with client.pipeline(transaction=False) as pipe:
            pipe.blpop([f"never-{uuid.uuid4()}"], timeout=2)
            with pytest.raises(RedisTimeoutError):
                await pipe.execute()
        assert await client.ping()
    finally:
        await client.aclose()  # type: ignore[attr-defined]


class CountingRedis(redis_client.TimedRedis):
    """The API's client, counting the pipelines it makes."""

    pipelines = 0

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Any:
        self.pipelines += 1
        return super().pipeline(transaction, shard_hint)


def _counting_client() -> CountingRedis:
    client = CountingRedis.from_url(env.REDIS_URL, socket_timeout=None)
    assert isinstance(client, CountingRedis)
    return client


def _decided(admission: Admission) -> tuple[bool, int, bool, str | None]:
    exceeded = admission.daily.exceeded
    return (
        admission.rate.allowed,
        admission.rate.retry_after_seconds,
        admission.daily.allowed,
        exceeded.name if exceeded is not None else None,
    )


async def test_a_lone_coalesced_admission_goes_to_redis_without_a_pipeline() -> None:
    client = _counting_client()
    limiter = Limiter(client, coalesce=True)
    try:
        assert await _admit_all(limiter, str(uuid.uuid4()), 1, daily=10) == [True]
        assert client.pipelines == 0
        assert await _admit_all(limiter, str(uuid.uuid4()), 4, daily=10) == [True] * 4
        assert client.pipelines == 1
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_lone_coalesced_admissions_decide_exactly_like_single_ones() -> None:
    # A rate limit of 6 a minute holds 3 tokens and refills one every 10 s: the sixth admission
    # below meets an empty bucket whatever the machine's speed; the daily limit refuses the third.
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    together, alone = Limiter(client, coalesce=True), Limiter(client)
    limits = [(DailyLimit("sms", 2), 1)]
    try:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        store = [(f"recent:{{{first}}}:n", b"row")]
        decided_together = [
            _decided(await together.admit(first, "normal", 6, limits, store=store, store_seconds=60))
            for _ in range(6)
        ]
        decided_alone = [_decided(await alone.admit(second, "normal", 6, limits)) for _ in range(6)]
        assert decided_together == decided_alone
        assert [d[0] for d in decided_together] == [True, True, True, False, False, False]
        assert [d[2] for d in decided_together] == [True, True, False, True, True, True]
        assert await client.get(f"recent:{{{first}}}:n") == b"row"
        assert await client.ttl(f"recent:{{{first}}}:n") > 0
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_a_lone_coalesced_admission_reloads_a_flushed_script() -> None:
    client = _counting_client()
    limiter = Limiter(client, coalesce=True)
    try:
        assert await _admit_all(limiter, str(uuid.uuid4()), 1, daily=100) == [True]
        await client.script_flush()
        assert await _admit_all(limiter, str(uuid.uuid4()), 1, daily=100) == [True]
        assert client.pipelines == 0
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_lone_coalesced_admissions_keep_the_limits_in_the_process_without_redis() -> None:
    client = redis_client.connect("redis://127.0.0.1:1/0", timeout=0.5)
    limiter = Limiter(client, coalesce=True)
    try:
        service_id = str(uuid.uuid4())
        assert [(await _admit_all(limiter, service_id, 1, daily=1))[0] for _ in range(3)] == [
            True,
            False,
            False,
        ]
    finally:
        await client.aclose()  # type: ignore[attr-defined]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis of the test's own, whose command counts no other test moves."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _calls(client: Any) -> dict[str, int]:
    stats = await client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


async def test_an_admission_counts_without_reading_its_counters_first(own_redis: str) -> None:
    client = redis_client.connect(own_redis, timeout=2)
    limiter = Limiter(client, coalesce=True)
    service = str(uuid.uuid4())
    limits = [(DailyLimit("sms", 100), 1), (DailyLimit("sms", 100, 2026), 1)]
    store = [(f"recent:{{{service}}}:n", b"row")]
    try:
        await limiter.admit(service, "normal", 6_000, limits, store=store, store_seconds=60)
        before = await _calls(client)
        admitted = await limiter.admit(service, "normal", 6_000, limits, store=store, store_seconds=60)
        after = await _calls(client)
        assert admitted.allowed
        made = {
            name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)
        }
        made.pop("info")
        assert "get" not in made
        assert made == {"evalsha": 1, "time": 1, "hmget": 1, "hset": 1, "expire": 1, "incrby": 2, "set": 1}
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_a_refused_admission_leaves_every_counter_as_it_found_it(own_redis: str) -> None:
    client = redis_client.connect(own_redis, timeout=2)
    limiter = Limiter(client)
    service = str(uuid.uuid4())
    day, year = DailyLimit("sms", 100), DailyLimit("sms", 3, 2026)
    day_key, year_key = (limiter.counter_key(service, lim, "normal", "2026-12-05") for lim in (day, year))
    try:
        await client.set(year_key, 3, ex=1_000)
        refused = await limiter.admit(service, "normal", 6_000, [(day, 1), (year, 1)], day="2026-12-05")
        assert refused.daily.exceeded == year
        assert await client.exists(day_key) == 0  # not left behind at 0, nor without an expiry
        assert await client.get(year_key) == b"3"
        assert 0 < await client.ttl(year_key) <= 1_000

        await client.set(day_key, 7, ex=500)
        refused = await limiter.admit(service, "normal", 6_000, [(day, 1), (year, 1)], day="2026-12-05")
        assert refused.daily.exceeded == year
        assert await client.get(day_key) == b"7"
        assert 0 < await client.ttl(day_key) <= 500

        nothing = DailyLimit("international_sms", 0)
        refused = await limiter.admit(service, "normal", 6_000, [(nothing, 1)], day="2026-12-05")
        assert refused.daily.exceeded == nothing
        assert await client.keys(f"daily:{{{service}}}:international_sms:*") == []
        assert await client.get(year_key) == b"3"
    finally:
        await client.aclose()  # type: ignore[attr-defined]
