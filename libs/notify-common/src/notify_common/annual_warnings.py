"""Leaving the warnings that a service is nearing an annual limit (docs/limits.md): once per
service, channel, financial year and threshold, whichever process gets there first (a Redis flag set
only if unset), on the Redis list the admin-api takes them from."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from notify_common.annual_limits import (
    WARNINGS_KEY,
    YEAR_TTL_MARGIN_SECONDS,
    crossed,
    seconds_until_year_end,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reached:
    """A send took ``channel``'s count to ``used``, reaching ``percentage`` of ``limit``."""

    channel: str
    year: int
    limit: int
    percentage: int
    used: int


def reached(channel: str, year: int, limit: int, counted: int, now: int) -> list[Reached]:
    """The thresholds a send of ``counted`` messages that took the count to ``now`` reached."""
    return [Reached(channel, year, limit, p, now) for p in crossed(now - counted, now, limit)]


class AnnualWarnings:
    def __init__(self, redis: Redis[bytes], key: str = WARNINGS_KEY) -> None:
        self._redis = redis
        self._key = key

    async def leave(self, service_id: str, warnings: list[Reached]) -> None:
        """Leave each warning not left before; a Redis failure loses it (logged)."""
        for w in warnings:
            flag = f"annual-warned:{{{service_id}}}:{w.channel}:{w.year}:{w.percentage}"
            warning = {
                "service_id": service_id,
                "channel": w.channel,
                "year": w.year,
                "percentage": w.percentage,
                "limit": w.limit,
                "used": w.used,
            }
            try:
                if await self._redis.set(
                    flag, b"1", nx=True, ex=seconds_until_year_end() + YEAR_TTL_MARGIN_SECONDS
                ):
                    await self._redis.rpush(self._key, json.dumps(warning).encode())
            except RedisError as exc:
                log.warning("annual limit warning not left", extra={"error": type(exc).__name__})
