"""``Idempotency-Key`` on POST (beyond Notify): a client may retry a send safely.

For 24 hours a key (per service and key type) remembers the fingerprint of the first request and, once it
succeeded, its response. The same key with the same body replays that response; with a different
body it is refused (422); while the first request is still in flight a duplicate gets 409. A
request that fails releases its key, so it can be retried. Stored in Redis.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from notify_common.api_errors import ApiError, validation_error

# How long a claim lasts while its request is in flight: a crashed request frees its key.
IN_FLIGHT_SECONDS = 60
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: Any


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def scope(service_id: str, key_type: str) -> str:
    """Keys are remembered per service and key type: a test-key send never answers for a live one."""
    return f"{service_id}:{key_type}"


def check_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise validation_error("Idempotency-Key must be 1 to 255 printable ASCII characters")
    return key


class IdempotencyKeys:
    def __init__(self, redis: Redis[bytes], ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    @staticmethod
    def _key(service_id: str, key: str) -> str:
        return f"idempotency:{{{service_id}}}:{hashlib.sha256(key.encode()).hexdigest()}"

    async def begin(self, service_id: str, key: str, print_: str) -> Replay | None:
        """Claim ``key`` for this request, or return the first response to replay."""
        redis_key = self._key(service_id, key)
        claim = orjson.dumps({"state": "in-flight", "fingerprint": print_})
        if await self._redis.set(redis_key, claim, nx=True, ex=IN_FLIGHT_SECONDS):
            return None
        raw = await self._redis.get(redis_key)
        if raw is None:  # expired between the two calls: claim again
            return await self.begin(service_id, key, print_)
        stored = orjson.loads(raw)
        if stored["fingerprint"] != print_:
            raise ApiError(
                422,
                "IdempotencyError",
                "Idempotency-Key has already been used with a different request",
            )
        if stored["state"] == "in-flight":
            raise ApiError(
                409, "IdempotencyError", "A request with this Idempotency-Key is already in progress"
            )
        return Replay(stored["status_code"], stored["body"])

    async def complete(self, service_id: str, key: str, print_: str, status_code: int, body: Any) -> None:
        done = {"state": "done", "fingerprint": print_, "status_code": status_code, "body": body}
        await self._redis.set(self._key(service_id, key), orjson.dumps(done), ex=self._ttl)

    async def release(self, service_id: str, key: str) -> None:
        await self._redis.delete(self._key(service_id, key))
