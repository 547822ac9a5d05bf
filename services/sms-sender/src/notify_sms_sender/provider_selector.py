"""The running side of provider choice: a :class:`ProviderBalancer` fed with call errors and with
receipt times read from the status topic, its changes agreed through the shared weight store, and
its weights refreshed from the store so every instance chooses alike.

The status topic is read without a consumer group (from the newest offset), once a second in large
fetches, and only the event type header and key of each record are looked at: receipt times are
judged by the minute, and reading every record as it arrives measurably delayed sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

from aiokafka import AIOKafkaConsumer

from notify_common import topics
from notify_common.kafka import H_EVENT_TYPE, connection_options
from notify_common.settings import CommonSettings
from notify_sms_sender.balancer import ProviderBalancer, WeightChange
from notify_sms_sender.delivery_times import DeliveryTimes
from notify_sms_sender.weights import WeightStore

log = logging.getLogger(__name__)
RECEIPT_EVENTS = frozenset({b"NotificationDelivered", b"NotificationFailed", b"NotificationPending"})


class ProviderSelector:
    def __init__(
        self,
        balancer: ProviderBalancer,
        store: WeightStore | None,
        delivery_times: DeliveryTimes,
        *,
        rng: random.Random | None = None,
        throttle_cooldown_s: float = 2.0,
        refresh_every_s: float = 5.0,
        check_every_s: float = 60.0,
    ) -> None:
        self.balancer, self.store, self.delivery_times = balancer, store, delivery_times
        self._rng = rng or random.Random()
        self._throttle_cooldown_s = throttle_cooldown_s
        self._refresh_every_s, self._check_every_s = refresh_every_s, check_every_s
        self._pending: list[WeightChange] = []

    def choose(self) -> str:
        return self.balancer.choose(self._rng, time.monotonic())

    def sent(self, notification_id: str, provider: str) -> None:
        self.delivery_times.record_sent(notification_id, provider, time.monotonic())

    def failed(self, provider: str) -> None:
        change = self.balancer.record_error(provider, time.monotonic())
        if change is not None:
            self._pending.append(change)

    def throttled(self, provider: str) -> None:
        self.balancer.cool_down(provider, time.monotonic() + self._throttle_cooldown_s)

    async def start(self) -> None:
        if self.store is not None:
            await self.store.seed(self.balancer.resting)
            await self.refresh()

    async def refresh(self) -> None:
        """Record changes decided here, then adopt what the store holds."""
        if self.store is None:
            return
        changes, self._pending = self._pending, []
        for change in changes:
            applied = await self.store.apply(change)
            log.warning(
                "sms provider weights changed" if applied else "sms provider weight change not applied",
                extra={"reason": change.reason, "before": change.before, "after": change.after},
            )
        stored = await self.store.read()
        # Rows of providers this instance is not configured with are someone else's concern.
        ours = {p: w for p, w in stored.weights.items() if p in self.balancer.resting}
        if ours and ours != self.balancer.current:
            self.balancer.adopt(ours, time.monotonic())

    def check_rules(self) -> None:
        now = time.monotonic()
        change = self.balancer.record_slow_ratios(self.delivery_times.slow_ratios(now), now)
        change = change or self.balancer.tend_to_rest(now)
        if change is not None:
            self._pending.append(change)

    async def maintain(self) -> None:
        """Refresh every few seconds and apply the slow-receipt and recovery rules every minute."""
        last_check = time.monotonic()
        while True:
            await asyncio.sleep(self._refresh_every_s)
            if time.monotonic() - last_check >= self._check_every_s:
                self.check_rules()
                last_check = time.monotonic()
            try:
                await self.refresh()
            except Exception:  # the store being briefly unreachable must not stop sending
                log.exception("could not refresh sms provider weights")


class ReceiptWatcher:
    """Feeds receipt arrival times from the status topic into ``delivery_times``."""

    def __init__(self, settings: CommonSettings, delivery_times: DeliveryTimes) -> None:
        self._delivery_times = delivery_times
        self._consumer = AIOKafkaConsumer(
            settings.kafka_topic_prefix + topics.NOTIFICATION_STATUS,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            client_id="sms-sender-receipt-watcher",
            # Receipts matter by the minute: let the broker gather them, so watching stays cheap.
            fetch_min_bytes=256 * 1024,
            fetch_max_wait_ms=1000,
            **connection_options(settings),
        )

    async def run(self) -> None:
        await self._consumer.start()
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=1000, max_records=20_000)
                now = time.monotonic()
                for records in batches.values():
                    for record in records:
                        event_type = next((v for k, v in record.headers or () if k == H_EVENT_TYPE), None)
                        if event_type in RECEIPT_EVENTS and record.key is not None:
                            self._delivery_times.record_receipt(record.key.decode(), now)
                await asyncio.sleep(1.0)
        finally:
            with contextlib.suppress(Exception):
                await self._consumer.stop()
