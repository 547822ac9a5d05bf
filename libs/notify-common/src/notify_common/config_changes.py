"""Notices that a service's configuration changed, from the service that writes it (the admin-api)
to the processes that cache it (the api-gateway's workers and replicas), over Redis publish and
subscribe. A notice only shortens the wait: a process that misses one (Redis down, a reconnect)
still reloads within its cache time, so nothing depends on delivery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHANNEL = "notify:config-changed"


async def announce(redis: Redis, service_id: str) -> None:  # type: ignore[type-arg]
    """Publish that ``service_id``'s configuration changed; a failure is logged, never raised."""
    try:
        await redis.publish(CHANNEL, service_id)
    except (RedisError, OSError) as exc:
        log.warning("configuration change not announced", extra={"error": type(exc).__name__})


async def follow(
    redis_url: str, forget: Callable[[str], None], stop: asyncio.Event, retry_seconds: float = 1.0
) -> None:
    """Call ``forget(service_id)`` for every notice until ``stop`` is set, reconnecting after a
    failure. Its own connection: a subscription holds one for as long as it lasts."""
    while not stop.is_set():
        redis: Redis = Redis.from_url(redis_url)  # type: ignore[type-arg]
        try:
            async with redis.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                while not stop.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        forget(bytes(message["data"]).decode())
        except (RedisError, OSError) as exc:
            log.warning("configuration notices interrupted", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), retry_seconds)
        finally:
            await redis.aclose()  # type: ignore[attr-defined]
