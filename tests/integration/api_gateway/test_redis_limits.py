"""The API's Redis client and limiter on the real Redis: admissions made together in one script call
decide and count exactly as one-by-one admissions would, also when a window gathers them from several
turns of the event loop, survive a flushed script cache, keep the limits in the process when Redis is
unreachable, and every command is bounded by the client's deadline."""

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
from notify_common import ratelimit
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


def _count_round_trips(limiter: Limiter, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many sends each script call to Redis carried (one entry a call)."""
    calls: list[int] = []
    real = limiter._run

    async def counted(script: Any, keys: list[str], args: Any) -> Any:
        reply = await real(script, keys, args)
        calls.append(len(reply))
        return reply

    monkeypatch.setattr(limiter, "_run", counted)
    return calls


async def test_a_window_takes_admissions_of_several_turns_in_one_round_trip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    limiter = Limiter(client, coalesce=True, window=1.0)
    calls = _count_round_trips(limiter, monkeypatch)
    service = str(uuid.uuid4())

    async def later(delay: float) -> bool:
        await asyncio.sleep(delay)
        return (await _admit_all(limiter, service, 1, daily=4))[0]

    try:
        started = time.monotonic()
        allowed = await asyncio.gather(*(later(i * 0.01) for i in range(6)))
        # Decided in arrival order, each as if alone: the daily limit of 4 refuses the last two.
        assert allowed == [True, True, True, True, False, False]
        assert calls == [6]
        assert time.monotonic() - started >= 0.9  # the first waited out the window
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_a_full_batch_leaves_without_waiting_out_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "ADMIT_BATCH_MAX", 3)
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    limiter = Limiter(client, coalesce=True, window=60.0)
    calls = _count_round_trips(limiter, monkeypatch)
    try:
        allowed = await asyncio.wait_for(_admit_all(limiter, str(uuid.uuid4()), 3, daily=10), timeout=10)
        assert allowed == [True, True, True]
        assert calls == [3]
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
    """The API's client, counting the pipelines it makes and the scripts it calls by themselves."""

    pipelines = 0
    scripts = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if args[0] == "EVALSHA":
            self.scripts += 1
        return await super().execute_command(*args, **options)

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


async def test_a_turns_admissions_of_one_service_go_to_redis_as_one_script_call() -> None:
    client = _counting_client()
    limiter = Limiter(client, coalesce=True)
    try:
        assert await _admit_all(limiter, str(uuid.uuid4()), 1, daily=10) == [True]
        assert await _admit_all(limiter, str(uuid.uuid4()), 4, daily=10) == [True] * 4
        assert (client.pipelines, client.scripts) == (0, 2)
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        limits = [(DailyLimit("sms", 10), 1)]
        admissions = await asyncio.gather(
            *(limiter.admit(s, "normal", 60_000, limits) for s in (first, second, first, second))
        )
        assert all(a.allowed for a in admissions)
        assert client.pipelines == 1  # one call for each service's keys, which share a cluster slot
        for service in (first, second):
            assert [int(await client.get(k) or 0) for k in await client.keys(f"daily:{{{service}}}:*")] == [2]
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


DAY = "2026-12-05"
Call = tuple[int, list[tuple[DailyLimit, int]], bool]  # rate limit a minute, counters, stores a row


async def _state(client: Any, service: str) -> dict[str, tuple[bytes | None, bool]]:
    """Every key of ``service`` but its bucket (whose float tokens depend on the clock): its value
    and whether it expires."""
    keys = [k for k in await client.keys(f"*{{{service}}}*") if not k.startswith(b"rate:")]
    return {
        k.decode().replace(service, "S"): (await client.get(k), await client.ttl(k) > 0) for k in sorted(keys)
    }


async def _admissions(
    limiter: Limiter, service: str, calls: list[Call], *, together: bool
) -> list[tuple[bool, int, bool, str | None]]:
    def admit(i: int, call: Call) -> Any:
        rate, counts, stores = call
        store = [(f"recent:{{{service}}}:{i}", b"row %d" % i)] if stores else []
        return limiter.admit(service, "normal", rate, counts, store=store, store_seconds=60, day=DAY)

    if together:
        admitted = await asyncio.gather(*(admit(i, call) for i, call in enumerate(calls)))
    else:
        admitted = [await admit(i, call) for i, call in enumerate(calls)]
    return [_decided(a) for a in admitted]


async def _compare(calls: list[Call], before: dict[str, int] | None = None) -> list[Any]:
    """``calls`` admitted in one turn of the loop (one script call) and one by one on another
    service, from the same counts (``before``: counter key with ``S`` for the service, value):
    the same decisions and the same keys, values and expiries afterwards."""
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    together, alone = Limiter(client, coalesce=True), Limiter(client)
    try:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        for service in (first, second):
            for key, value in (before or {}).items():
                await client.set(key.replace("S", service), value, ex=1_000)
        decided = await _admissions(together, first, calls, together=True)
        assert decided == await _admissions(alone, second, calls, together=False)
        assert await _state(client, first) == await _state(client, second)
        return decided
    finally:
        await client.aclose()  # type: ignore[attr-defined]


async def test_a_turns_admissions_decide_and_count_exactly_as_one_by_one() -> None:
    day, year = DailyLimit("sms", 3), DailyLimit("sms", 100, 2026)
    # 6 a minute holds 3 tokens; the day's counter has room for two more.
    calls: list[Call] = [(6, [(day, 1), (year, 1)], True)] * 5
    decided = await _compare(calls, {f"daily:{{S}}:sms:{DAY}": 1})
    assert [d[:3] for d in decided] == [(True, 0, True)] * 2 + [(True, 0, False)] + [(False, 10, True)] * 2


async def test_a_refusal_at_a_counters_first_touch_in_a_turn_leaves_it_as_it_found_it() -> None:
    # The annual counter is full: the first send counts the day, then puts it back, removing the
    # counter it created; a later send counting the day alone creates it again, with its expiry.
    day, year = DailyLimit("sms", 5), DailyLimit("sms", 3, 2026)
    calls: list[Call] = [
        (6_000, [(day, 1), (year, 1)], True),
        (6_000, [(day, 1)], True),
        (6_000, [(day, 1), (year, 1)], True),
        (6_000, [(day, 1)], False),
    ]
    decided = await _compare(calls, {"annual:{S}:sms:2026": 3})
    assert [d[3] for d in decided] == ["sms", None, "sms", None]


async def test_a_refusal_after_a_counters_first_touch_in_a_turn_counts_nothing() -> None:
    # The day's counter has room for one: the first send counts it in Redis, the second is
    # refused by the count the script keeps, the third by the annual counter it touches first.
    day, year = DailyLimit("sms", 3), DailyLimit("sms", 1, 2026)
    calls: list[Call] = [
        (6_000, [(day, 1)], True),
        (6_000, [(day, 1), (year, 1)], True),
        (6_000, [(year, 1), (day, 1)], True),
        (6_000, [(year, 1)], True),
        (6_000, [(year, 1)], True),
    ]
    decided = await _compare(calls, {f"daily:{{S}}:sms:{DAY}": 2})
    assert [d[2] for d in decided] == [True, False, False, True, False]
