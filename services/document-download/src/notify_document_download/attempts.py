"""Wrong email addresses on a document's confirm page, counted in Redis (beyond Notify).

The link's key is the secret that opens a file; the email address asked for before a download is a
second check for a link that reached the wrong person. Without a limit that person could try
addresses until one fits, so each document allows ``MAX_WRONG_ADDRESSES`` (10) wrong ones in a
fixed window of ``WINDOW_SECONDS`` (an hour, from the first wrong one); after that every attempt,
the right address included, is refused until the window ends. Counted per document, not per client:
a client can change its address at will, and the window is short enough that locking out the real
recipient costs them an hour at most.

Every attempt takes a place before the address is compared (one atomic script), so concurrent
attempts cannot overshoot the limit; the right address gives its place back. If Redis cannot be
reached the attempt is allowed and a warning logged, as for the platform's other limits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
MAX_WRONG_ADDRESSES = 10
WINDOW_SECONDS = 3600

# Count this attempt; the window starts with the first one (and a count left without an expiry by
# anything gets one, so no count outlives its window).
_TAKE = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""
# Give a place back, unless the window ended meanwhile (DECR would start a count with no expiry).
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    retry_after: int = 0  # seconds until the window ends, when not allowed


class AddressAttempts:
    def __init__(
        self, redis: Redis[bytes], limit: int = MAX_WRONG_ADDRESSES, window_seconds: int = WINDOW_SECONDS
    ) -> None:
        self.redis = redis
        self.limit = limit
        self.window_seconds = window_seconds
        self._take = redis.register_script(_TAKE)
        self._give_back = redis.register_script(_GIVE_BACK)

    @staticmethod
    def key(service_id: str, document_id: str) -> str:
        return f"document-attempts:{{{service_id}}}:{document_id}"

    async def take(self, service_id: str, document_id: str) -> Attempt:
        """Count an attempt at the address: allowed while fewer than ``limit`` were wrong."""
        try:
            result: Any = await self._take(
                keys=[self.key(service_id, document_id)], args=[self.window_seconds]
            )
        except RedisError as exc:
            log.warning(
                "document attempts not counted: redis unavailable", extra={"error": type(exc).__name__}
            )
            return Attempt(True)
        count, ttl = int(result[0]), int(result[1])
        if count > self.limit:
            return Attempt(False, max(1, ttl))
        return Attempt(True)

    async def give_back(self, service_id: str, document_id: str) -> None:
        """The address was right: this attempt does not count."""
        try:
            await self._give_back(keys=[self.key(service_id, document_id)])
        except RedisError as exc:
            log.warning(
                "document attempt not given back: redis unavailable", extra={"error": type(exc).__name__}
            )
