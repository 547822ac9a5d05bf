"""What the callbacks service's unit tests share: two services (one with callbacks configured, one
without), a receiver, a configuration source that counts its loads and can fail, and a fixed set
of configured callbacks for the pure decisions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from notify_callbacks.delivery import Destination
from notify_common.errors import RetryableError
from notify_common.events import CallbackType

WITH = str(uuid.uuid4())
WITHOUT = str(uuid.uuid4())
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DESTINATION = Destination("https://receiver.example/cb", "token", None)


class Loaded:
    """A configuration source: what the API's table holds, counting the loads."""

    def __init__(self, destinations: Mapping[tuple[str, str], Destination]) -> None:
        self.destinations = dict(destinations)
        self.loads = 0
        self.failing = False

    async def __call__(self) -> Mapping[tuple[str, str], Destination]:
        self.loads += 1
        if self.failing:
            raise RetryableError("database unavailable")
        return dict(self.destinations)


class Config:
    """The configured callbacks, as ``decide`` asks about them."""

    def __init__(self, *pairs: tuple[str, CallbackType]) -> None:
        self.pairs = set(pairs)

    def has(self, service_id: str, callback_type: CallbackType) -> bool:
        return (service_id, callback_type) in self.pairs
