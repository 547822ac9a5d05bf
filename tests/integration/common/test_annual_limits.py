"""Annual limits on the real Redis: counted with the daily ones in the same script, a send past the
limit is refused as annual until the financial year ends, and the sends that reach 80 % and 90 %
of a limit each leave one warning, once a year, however the sends arrive."""

from __future__ import annotations

import json
import uuid

import pytest
from redis.asyncio import Redis

from notify_api_gateway import redis_client
from notify_common.annual_limits import financial_year, seconds_until_year_end
from notify_common.ratelimit import DailyLimit, Limiter, annual_limit
from tests.support import env

pytestmark = pytest.mark.asyncio


async def _warnings(limiter: Limiter, client: Redis[bytes], key: str) -> list[dict[str, object]]:
    await limiter.settled()
    return [json.loads(raw) for raw in await client.lrange(key, 0, -1)]


async def test_a_send_past_the_annual_limit_is_refused_as_annual_and_counted_nowhere() -> None:
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    key = f"test-warnings-{uuid.uuid4()}"
    limiter = Limiter(client, warnings_key=key)
    service = str(uuid.uuid4())
    counts = [(DailyLimit("email", 100), 1), (annual_limit("email", 3), 1)]
    try:
        allowed = [(await limiter.admit(service, "normal", 6_000, counts)).allowed for _ in range(4)]
        refused = await limiter.admit(service, "normal", 6_000, counts)
        assert allowed == [True, True, True, False]
        assert refused.daily.exceeded == annual_limit("email", 3)
        assert abs(refused.daily.retry_after_seconds - seconds_until_year_end()) <= 60
        year = financial_year()
        assert int(await client.get(f"annual:{{{service}}}:email:{year}") or 0) == 3
        day_keys = await client.keys(f"daily:{{{service}}}:email:*")
        assert [int(await client.get(k) or 0) for k in day_keys] == [3]
        assert 0 < await client.ttl(f"annual:{{{service}}}:email:{year}") <= 366 * 86_400 + 7 * 86_400
    finally:
        await client.delete(key)
        await client.aclose()  # type: ignore[attr-defined]


async def test_the_sends_reaching_80_and_90_percent_each_leave_one_warning() -> None:
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    key = f"test-warnings-{uuid.uuid4()}"
    limiter = Limiter(client, warnings_key=key)
    service = str(uuid.uuid4())
    counts = [(DailyLimit("sms", 1_000), 1), (annual_limit("sms", 10), 1)]
    try:
        for _ in range(7):
            assert (await limiter.admit(service, "normal", 6_000, counts)).allowed
        assert await _warnings(limiter, client, key) == []
        assert (await limiter.admit(service, "normal", 6_000, counts)).allowed  # 8 of 10
        # A job's rows counted together (count_daily), across the 90 % line.
        assert (await limiter.count_daily(service, "normal", [(annual_limit("sms", 10), 2)])).allowed
        await limiter.settled()
        # Given back and counted again: the 90 % warning is not left a second time.
        await limiter.give_back_daily(service, "normal", [(annual_limit("sms", 10), 2)])
        assert (await limiter.admit(service, "normal", 6_000, counts)).allowed
        warnings = await _warnings(limiter, client, key)
        assert sorted((w["channel"], w["percentage"], w["limit"], w["used"]) for w in warnings) == [
            ("sms", 80, 10, 8),
            ("sms", 90, 10, 10),
        ]
        assert all(w["service_id"] == service and w["year"] == financial_year() for w in warnings)
    finally:
        await client.delete(key)
        await client.aclose()  # type: ignore[attr-defined]


async def test_a_warning_is_left_once_whichever_send_reaches_the_threshold_first() -> None:
    client = redis_client.connect(env.REDIS_URL, timeout=2)
    key = f"test-warnings-{uuid.uuid4()}"
    first, second = Limiter(client, warnings_key=key), Limiter(client, warnings_key=key)
    service = str(uuid.uuid4())
    try:
        # Two replicas: one counts up to 80 %, the other is given back and counts 80 % again.
        assert (await first.count_daily(service, "normal", [(annual_limit("email", 5), 4)])).allowed
        await first.give_back_daily(service, "normal", [(annual_limit("email", 5), 1)])
        assert (await second.count_daily(service, "normal", [(annual_limit("email", 5), 1)])).allowed
        await second.settled()
        assert [json.loads(w)["percentage"] for w in await client.lrange(key, 0, -1)] == [80]
    finally:
        await client.delete(key)
        await client.aclose()  # type: ignore[attr-defined]
