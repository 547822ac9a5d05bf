"""The callback configuration of every service, held in memory and reloaded at most once per
interval, so deciding whether a service wants a callback needs no query per notification. A new or
changed callback takes effect within one interval. If a reload fails the previous configuration
stays in use; only a service that has never loaded one waits for the database."""

from __future__ import annotations

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

    async def refresh_if_due(self) -> None:
        now = self._clock()
        if self._loaded_at is not None and now - self._loaded_at < self._refresh:
            return
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

    def has(self, service_id: str, callback_type: CallbackType) -> bool:
        return (service_id, str(callback_type)) in self._destinations

    def destination(self, service_id: str, callback_type: CallbackType) -> Destination | None:
        return self._destinations.get((service_id, str(callback_type)))
