"""Reads cached in the process that go on being served while PostgreSQL cannot be reached.

A value is fresh for ``cache_seconds``; after that the next request loads it again, one load per
key at a time (concurrent requests wait for it instead of stampeding). While the database cannot be
reached, a value loaded less than ``stale_seconds`` ago keeps being served, and the database is
asked again only after another ``cache_seconds`` (at least ``RETRY_SECONDS``); a value never
loaded, or loaded longer ago, is not guessed at: the error stands. Until a load succeeds again,
that asking is done in the background: a request is served what is cached at once instead of
waiting for the bound of a database that is known not to answer (a hung one).
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
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


@dataclass
class _Cached(Generic[T]):
    """A cached value: fresh until ``expires``; servable while the database is down until ``stale``."""

    expires: float
    stale: float
    value: T


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
        self._cached: dict[K, _Cached[V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K) -> V:
        hit = self._cached.get(key)
        if hit is not None and hit.expires > time.monotonic():
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
            return await self._refresh(key, loading)
        finally:
            self._loading.pop(key, None)

    def forget(self, matches: Callable[[K], bool]) -> None:
        for key in [k for k in self._cached if matches(k)]:
            self._cached.pop(key, None)

    async def _refresh(self, key: K, loading: asyncio.Future[V]) -> V:
        """Await ``loading`` and cache its value; if the database is unreachable, serve the cached
        value still within its staleness bound instead (and ask again a little later)."""
        try:
            value = await loading
        except Exception as exc:
            return self._stale(key, exc)
        now = time.monotonic()
        self._cached[key] = _Cached(now + self._cache_seconds, now + self._stale_seconds, value)
        self._db.unreachable = False
        return value

    def _while_unreachable(self, key: K) -> _Cached[V] | None:
        """While the database is known to be unreachable, the cached entry (if still servable),
        with the database asked again in the background (one load per key at a time)."""
        hit = self._cached.get(key)
        if not self._db.unreachable or hit is None or hit.stale <= time.monotonic():
            return None
        if key not in self._loading:
            loading = asyncio.ensure_future(self.load(key))
            self._loading[key] = loading
            refresh = asyncio.ensure_future(self._refresh(key, loading))
            self._db.background.add(refresh)

            def done(task: asyncio.Task[V]) -> None:
                self._db.background.discard(task)
                self._loading.pop(key, None)
                if not task.cancelled():
                    task.exception()  # an error here was the stale entry's to serve; nothing to raise

            refresh.add_done_callback(done)
        return hit

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
        hit.expires = now + max(self._cache_seconds, RETRY_SECONDS)
        return hit.value


class Reachability:
    """Whether a load last found the database unreachable (cleared when one succeeds), and the
    loads asked again in the background meanwhile."""

    def __init__(self) -> None:
        self.unreachable = False
        self.background: set[asyncio.Task[Any]] = set()
