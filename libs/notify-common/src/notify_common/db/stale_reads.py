"""Reads cached in the process that go on being served while PostgreSQL cannot be reached.

A value is fresh for ``cache_seconds``; after that the next request loads it again, one load per
key at a time (concurrent requests wait for it instead of stampeding). A value read in the last
``REFRESH_AHEAD`` of its freshness (a fifth of it, at most a second) is loaded again in the
background while it is served, so a key in steady use is replaced before it expires and no request
waits for its load; a value is still never served fresh for longer than ``cache_seconds``.

While the database cannot be reached, a value loaded less than ``stale_seconds`` ago keeps being
served, and the database is asked again only after another ``cache_seconds`` (at least
``RETRY_SECONDS``); a value never loaded, or loaded longer ago, is not guessed at: the error
stands. Until a load succeeds again, that asking is done in the background: a request is served
what is cached at once instead of waiting for the bound of a database that is known not to answer
(a hung one).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from notify_common.db.bounded import is_unavailable

# While the database is unreachable, how soon it is asked again (at least) for a stale entry.
RETRY_SECONDS = 1.0
# How long before a value expires a read of it starts its next load in the background: this share
# of ``cache_seconds``, at most ``REFRESH_AHEAD_MAX_SECONDS`` (a load takes milliseconds).
REFRESH_AHEAD = 0.2
REFRESH_AHEAD_MAX_SECONDS = 1.0
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


@dataclass
class _Cached(Generic[T]):
    """A cached value: fresh until ``expires``; servable while the database is down until ``stale``;
    loaded again in the background when read from ``refresh`` on."""

    expires: float
    stale: float
    value: T
    refresh: float


class StaleReads(Generic[K, V]):
    """One kind of value, by key, loaded by ``load``. Caches of the same database share a
    ``Reachability``, so one that found it unreachable spares the others the wait."""

    def __init__(
        self,
        load: Callable[[K], Awaitable[V]],
        reachability: Reachability,
        cache_seconds: float,
        stale_seconds: float,
    ) -> None:
        self.load = load
        self._db = reachability
        self._cache_seconds = cache_seconds
        self._stale_seconds = stale_seconds
        self._ahead = min(cache_seconds * REFRESH_AHEAD, REFRESH_AHEAD_MAX_SECONDS)
        self._cached: dict[K, _Cached[V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}
        # Bumped by ``forget``: a load that started before it must not cache what it read.
        self._generation = 0

    async def get(self, key: K) -> V:
        hit = self._cached.get(key)
        if hit is not None:
            now = time.monotonic()
            if hit.expires > now:
                if hit.refresh <= now and key not in self._loading and not self._db.unreachable:
                    self._in_background(key)
                return hit.value
        stale = self._while_unreachable(key)
        if stale is not None:
            return stale.value
        loading = self._loading.get(key)
        if loading is not None:
            return await self._join(key, loading)
        loading = asyncio.ensure_future(self.load(key))
        self._loading[key] = loading
        try:
            return await self._refresh(key, loading, self._generation)
        finally:
            self._done_loading(key, loading)

    def forget(self, matches: Callable[[K], bool]) -> None:
        """Drop the values of keys that ``matches``; loads of them already under way answer the
        requests waiting for them, but later requests load afresh and nothing they read is cached."""
        self._generation += 1
        for key in [k for k in self._cached if matches(k)]:
            self._cached.pop(key, None)
        for key in [k for k in self._loading if matches(k)]:
            self._loading.pop(key, None)

    def _done_loading(self, key: K, loading: asyncio.Future[V]) -> None:
        if self._loading.get(key) is loading:
            del self._loading[key]

    async def _refresh(self, key: K, loading: asyncio.Future[V], generation: int) -> V:
        """Await ``loading`` and cache its value (unless ``forget`` was called since it began, in
        ``generation``); if the database is unreachable, serve the cached value still within its
        staleness bound instead (and ask again a little later)."""
        try:
            value = await loading
        except Exception as exc:
            return self._stale(key, exc)
        now = time.monotonic()
        if generation == self._generation:
            self._cached[key] = _Cached(
                now + self._cache_seconds,
                now + self._stale_seconds,
                value,
                now + self._cache_seconds - self._ahead,
            )
        self._db.unreachable = False
        return value

    def _while_unreachable(self, key: K) -> _Cached[V] | None:
        """While the database is known to be unreachable, the cached entry (if still servable),
        with the database asked again in the background (one load per key at a time)."""
        hit = self._cached.get(key)
        if not self._db.unreachable or hit is None or hit.stale <= time.monotonic():
            return None
        if key not in self._loading:
            self._in_background(key)
        return hit

    def _in_background(self, key: K) -> None:
        """Load ``key`` again without anyone waiting for it (one load per key at a time)."""
        loading = asyncio.ensure_future(self.load(key))
        self._loading[key] = loading
        refresh = asyncio.ensure_future(self._refresh(key, loading, self._generation))
        self._db.background.add(refresh)

        def done(task: asyncio.Task[V]) -> None:
            self._db.background.discard(task)
            self._done_loading(key, loading)
            if not task.cancelled():
                task.exception()  # an error here was the cached entry's to serve; nothing to raise

        refresh.add_done_callback(done)

    async def _join(self, key: K, loading: asyncio.Future[V]) -> V:
        """Wait for a load another request started (the same fallback if the database is down)."""
        try:
            return await asyncio.shield(loading)
        except Exception as exc:
            return self._stale(key, exc)

    def _stale(self, key: K, exc: Exception) -> V:
        hit = self._cached.get(key)
        now = time.monotonic()
        if is_unavailable(exc):
            self._db.unreachable = True
        if hit is None or hit.stale <= now or not is_unavailable(exc):
            raise exc
        hit.expires = hit.refresh = now + max(self._cache_seconds, RETRY_SECONDS)
        return hit.value


class Reachability:
    """Whether a load last found the database unreachable (cleared when one succeeds), and the
    loads asked again in the background meanwhile."""

    def __init__(self) -> None:
        self.unreachable = False
        self.background: set[asyncio.Task[Any]] = set()
