"""Read-your-writes: every accepted notification is kept in Redis for a few minutes, so a GET
straight after the 201 finds it (status ``created``) even while the projector lags behind.

The row is written before the event is published, so it exists by the time the client learns the
id; GET prefers the projection, which is always at least as far along. On the send path it is
written by the limiter's admission script (``entries`` gives it the keys and values); keys carry
the service id as a hash tag so they share that script's cluster slot.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_DATETIME_FIELDS = ("created_at", "scheduled_for", "sent_at", "completed_at")


def _key(service_id: str, notification_id: str) -> str:
    return f"recent:{{{service_id}}}:{notification_id}"


def encode_row(row: dict[str, Any]) -> bytes:
    return orjson.dumps(row)


def decode_row(raw: bytes | str) -> dict[str, Any]:
    row: dict[str, Any] = orjson.loads(raw)
    return revive_row(row)


def revive_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row read back from JSON, with its datetimes as datetimes again."""
    row = dict(row)
    for name in _DATETIME_FIELDS:
        if isinstance(row.get(name), str):
            row[name] = datetime.fromisoformat(row[name])
    return row


class RecentNotifications:
    def __init__(self, redis: Redis[bytes], ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    @staticmethod
    def entries(rows: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
        """The Redis keys and values ``remember`` would write, for a caller that writes them itself."""
        return [(_key(row["service_id"], row["id"]), encode_row(row)) for row in rows]

    async def remember(self, rows: list[dict[str, Any]]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, value in self.entries(rows):
                    pipe.set(key, value, ex=self._ttl)
                await pipe.execute()
        except RedisError as exc:
            # The notification is still accepted; only the read-your-writes window is lost.
            log.warning("recent notification not cached", extra={"error": type(exc).__name__})

    async def recall(self, service_id: str, notification_id: str, key_type: str) -> dict[str, Any] | None:
        try:
            raw = await self._redis.get(_key(service_id, notification_id))
        except RedisError:
            return None
        if raw is None:
            return None
        row = decode_row(raw)
        if row.get("service_id") != service_id or (row.get("key_type") == "test") != (key_type == "test"):
            return None
        return row
