"""The callback configuration of every service, held in memory and reloaded at most once per
interval, so deciding whether a service wants a callback needs no query per notification. A new or
changed callback takes effect within one interval. If a reload fails the previous configuration
stays in use; only a service that has never loaded one waits for the database.

``keep_fresh`` reloads it every half interval in the background, so ``fresh`` holds while the
database answers: the consumer may then pass over a record of a service without callbacks before
decoding it (``sieve``), and no batch waits for a reload."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from notify_callbacks.delivery import Destination
from notify_common.errors import RetryableError
from notify_common.events import CallbackType

log = logging.getLogger(__name__)

Key = tuple[str, str]
Loader = Callable[[], Awaitable[Mapping[Key, Destination]]]


class CallbackConfig:
    def __init__(
        self, load: Loader, refresh_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load, self._refresh, self._clock = load, refresh_seconds, clock
        self._destinations: Mapping[Key, Destination] = {}
        self._loaded_at: float | None = None

    @property
    def fresh(self) -> bool:
        """Loaded less than one interval ago (or kept after a failed reload that long ago): what it
        says holds within the interval a change may take. Never with an interval of 0."""
        return self._loaded_at is not None and self._clock() - self._loaded_at < self._refresh

    async def refresh_if_due(self) -> None:
        if self._loaded_at is not None and self._clock() - self._loaded_at < self._refresh:
            return
        await self.reload()

    async def reload(self) -> None:
        """Loads the configuration now; raises ``RetryableError`` only if none was ever loaded."""
        now = self._clock()
        try:
            destinations = await self._load()
        except RetryableError:
            if self._loaded_at is None:
                raise
            log.warning("callback configuration not reloaded, keeping the previous one")
            self._loaded_at = now  # try again after another interval, not on every batch
            return
        self._destinations = destinations
        self._loaded_at = now

    async def keep_fresh(self) -> None:
        """Reloads every half interval until cancelled (with an interval of 0, ``refresh_if_due``
        reloads for every batch and this does nothing)."""
        while self._refresh > 0:
            try:
                await self.reload()
            except RetryableError:
                log.warning("callback configuration not loaded yet, trying again")
            await asyncio.sleep(self._refresh / 2)

    def has(self, service_id: str, callback_type: CallbackType) -> bool:
        return (service_id, str(callback_type)) in self._destinations

    def destination(self, service_id: str, callback_type: CallbackType) -> Destination | None:
        return self._destinations.get((service_id, str(callback_type)))
