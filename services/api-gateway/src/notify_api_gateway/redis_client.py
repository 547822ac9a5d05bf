"""The api-gateway's Redis client: every command bounded by one deadline, cheaply, and packed in C.

redis-py's ``socket_timeout`` wraps every socket write in ``asyncio.wait_for``, a task per command
(about 8 % of the gateway's CPU under ``bench/ingest``). Here each command and pipeline runs inside
``asyncio.timeout``, a deadline on the current task that costs next to nothing; a command past it
raises ``redis.exceptions.TimeoutError`` as before. Packing: ``notify_common.redis_packing``."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import TimeoutError as RedisTimeoutError

from notify_common.redis_packing import packed_in_c


class TimedRedis(Redis):  # type: ignore[type-arg]
    """``Redis`` whose commands and pipelines each finish within ``command_timeout`` seconds."""

    command_timeout: float = 2.0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            async with asyncio.timeout(self.command_timeout):
                return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except TimeoutError:
            raise RedisTimeoutError("Redis command timed out") from None

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline[Any]:
        pipe = TimedPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.command_timeout = self.command_timeout
        return pipe


class TimedPipeline(Pipeline):  # type: ignore[type-arg]
    command_timeout: float = 2.0

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            async with asyncio.timeout(self.command_timeout):
                return list(await super().execute(raise_on_error))
        except TimeoutError:
            raise RedisTimeoutError("Redis pipeline timed out") from None


def connect(url: str, timeout: float) -> Redis[bytes]:
    """A client for ``url`` whose connects, commands and pipelines time out after ``timeout`` s."""
    client = TimedRedis.from_url(url, socket_timeout=None, socket_connect_timeout=timeout)
    assert isinstance(client, TimedRedis)
    client.command_timeout = timeout
    return packed_in_c(client)
