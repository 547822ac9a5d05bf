"""Sends a request back through the group's retry topic, in the format the BatchConsumer reads
(notify_common.kafka): with the attempt number it has reached and the time before which it must not
be tried again.

A retry after a failure spends one attempt of the budget; a retry after throttling (or while
another attempt holds the claim, or while a dependency is unavailable) keeps the attempt number,
so slowing down for a provider or an outage never turns into a technical failure. Each throttled
pass is counted in a header of its own, and only past ``max_throttled`` passes does throttling
start to spend the budget.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from notify_common import codec
from notify_common.kafka import (
    H_ATTEMPT,
    H_ERROR,
    H_EVENT_TYPE,
    H_NOT_BEFORE,
    H_ORIGINAL_TOPIC,
    EventProducer,
    Received,
    RetryPolicy,
)
from notify_common.topics import retry_topic
from notify_common.tracing import record_headers

H_THROTTLED = "throttled-count"


@dataclass(frozen=True)
class Retry:
    item: Received
    delay_s: float
    spend: bool
    error: str


def throttled_count(item: Received) -> int:
    for key, value in (item.raw.headers or ()) if item.raw is not None else ():
        if key == H_THROTTLED:
            return int(bytes(value).decode() or 0)
    return 0


class Rescheduler:
    def __init__(
        self,
        producer: EventProducer,
        group: str,
        policy: RetryPolicy,
        *,
        throttle_delay_s: float = 1.0,
        max_throttled: int = 100,
    ) -> None:
        self._producer, self._topic, self.policy = producer, retry_topic(group), policy
        self._throttle_delay_s, self._max_throttled = throttle_delay_s, max_throttled

    def budget_left(self, item: Received) -> bool:
        """Whether a failure of this attempt may still be retried."""
        return item.attempt + 1 < self.policy.max_attempts

    def after_failure(self, item: Received, error: str) -> Retry:
        return Retry(item, self.policy.delay(item.attempt + 1), spend=True, error=error)

    def after_throttling(self, item: Received) -> Retry | None:
        """The retry of a throttled request, or None once throttling has gone on too long (the
        caller then treats it as a failure)."""
        passes = throttled_count(item)
        if passes >= self._max_throttled:
            return None
        # Backoff grows with consecutive passes, jittered so throttled requests spread out.
        delay = min(self.policy.max_delay_s, self._throttle_delay_s * 2 ** min(passes, 6))
        return Retry(item, delay * random.uniform(0.5, 1.0), spend=False, error="ThrottledError")

    def while_unavailable(self, item: Received) -> Retry:
        """The retry of a request held up by an unavailable dependency of the sender (its store,
        its database): it keeps the attempt number, so an outage never fails a notification."""
        delay = self.policy.unavailable_max_delay_s * random.uniform(0.5, 1.0)
        return Retry(item, delay, spend=False, error="DependencyUnavailable")

    def while_busy(self, item: Received, delay_s: float) -> Retry:
        return Retry(item, max(1.0, delay_s), spend=False, error="ClaimBusy")

    async def send(self, retries: list[Retry]) -> None:
        await asyncio.gather(*(self._send(r) for r in retries))

    async def _send(self, retry: Retry) -> None:
        item = retry.item
        attempt = item.attempt + 1 if retry.spend else item.attempt
        passes = throttled_count(item) + (1 if retry.error == "ThrottledError" else 0)
        headers = [
            (H_ORIGINAL_TOPIC, item.topic.encode()),
            (H_ATTEMPT, str(attempt).encode()),
            (H_ERROR, retry.error.encode()),
            (H_EVENT_TYPE, type(item.event).__name__.encode()),
            (H_NOT_BEFORE, str(int((time.time() + retry.delay_s) * 1000)).encode()),
            (H_THROTTLED, str(passes).encode()),
            *record_headers(self._topic, item.event),  # the retry stays in the notification's trace
        ]
        value = item.raw.value if item.raw is not None else codec.encode(item.event)
        await self._producer.send_raw(self._topic, value, item.key, headers)
