"""Decides which callback an event owes a service, and makes one attempt at it per delivery of the
record; the consumer's retry topic brings the record back after a backoff for the next attempt.

The ledger (``callback_deliveries``) makes this safe under Kafka's at-least-once delivery: a
callback already succeeded (or given up) is not attempted again, and a record re-run in the same
round (the consumer retries a failed batch one record at a time) does not count as a new attempt.
Delivery-status callbacks report the projected status, so late or duplicated receipts that do not
change it cause no second callback. Every attempt is recorded as a ``CallbackAttempted`` event.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from notify_callbacks import payloads
from notify_callbacks.delivery import CallbackClient
from notify_callbacks.store import CallbackStore
from notify_common import statuses, topics
from notify_common.errors import RetryableError
from notify_common.events import (
    CallbackAttempted,
    CallbackOutcome,
    CallbackType,
    ComplaintReceived,
    Event,
    FailureKind,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationFailed,
    NotificationSentToProvider,
)
from notify_common.kafka import EventProducer, Received

log = logging.getLogger(__name__)
NAMESPACE = uuid.UUID("2b8f0c4e-4a51-4f7e-8d0e-61c5e3a9d7a2")


@dataclass(frozen=True)
class Owed:
    key: str
    service_id: str
    callback_type: CallbackType
    payload: dict[str, Any]
    notification_id: str | None = None
    inbound_sms_id: str | None = None

    @property
    def message_id(self) -> str:
        """The Standard Webhooks ``webhook-id``: the same on every attempt, so receivers dedupe."""
        return "msg_" + uuid.uuid5(NAMESPACE, self.key).hex


def _wants_delivery_status(event: Event) -> bool:
    if isinstance(event, NotificationDelivered):
        return True
    if isinstance(event, NotificationFailed):
        return event.failure_kind != FailureKind.RETURNED_LETTER
    return isinstance(event, NotificationSentToProvider) and event.international and event.channel == "sms"


class CallbackHandler:
    def __init__(
        self,
        store: CallbackStore,
        client: CallbackClient,
        producer: EventProducer,
        *,
        max_attempts: int = 5,
        projection_wait_seconds: float = 3.0,
        concurrency: int = 50,
    ) -> None:
        self._store, self._client, self._producer = store, client, producer
        self._max_attempts = max_attempts
        self._wait = projection_wait_seconds
        self._slots = asyncio.Semaphore(concurrency)

    async def handle(self, batch: Sequence[Received]) -> None:
        """Records of one key in order, keys concurrently; the first failure is re-raised so the
        consumer retries the records one at a time (the ledger skips what already happened)."""
        by_key: dict[bytes | None, list[Received]] = defaultdict(list)
        for item in batch:
            by_key[item.key].append(item)
        results = await asyncio.gather(
            *(self._in_order(items) for items in by_key.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _in_order(self, items: list[Received]) -> None:
        for item in items:
            async with self._slots:
                await self.attempt(item)

    async def owed(self, event: Event) -> Owed | None:
        """The callback ``event`` calls for, or None. Raises RetryableError while the projection
        does not show the notification (or its new status) yet."""
        if isinstance(event, InboundSmsReceived):
            return Owed(
                key=f"inbound_sms:{event.inbound_sms_id}", service_id=event.service_id,
                callback_type=CallbackType.INBOUND_SMS, payload=payloads.inbound_sms(event),
                inbound_sms_id=event.inbound_sms_id,
            )  # fmt: skip
        nid = event.notification_id
        if nid is None:
            return None
        if isinstance(event, ComplaintReceived):
            row = await self._projected(nid, lambda r: True)
            return Owed(
                f"complaint:{event.complaint_id}", str(row["service_id"]), CallbackType.COMPLAINT,
                payloads.complaint(row, event), notification_id=nid,
            )  # fmt: skip
        if isinstance(event, NotificationFailed) and event.failure_kind == FailureKind.RETURNED_LETTER:
            row = await self._projected(nid, lambda r: True)
            return Owed(
                f"returned_letter:{nid}", str(row["service_id"]), CallbackType.RETURNED_LETTER,
                payloads.returned_letter(row), notification_id=nid,
            )  # fmt: skip
        if not _wants_delivery_status(event):
            return None
        row = await self._projected(nid, lambda r: r["status"] in statuses.COMPLETED)
        if row["notification_type"] == "letter":
            return None  # letters have no delivery-status callbacks, as in Notify
        return Owed(
            f"delivery_status:{nid}:{row['status']}", str(row["service_id"]), CallbackType.DELIVERY_STATUS,
            payloads.delivery_status(row), notification_id=nid,
        )  # fmt: skip

    async def _projected(self, notification_id: str, ready: Any) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + self._wait
        while True:
            row = await self._store.notification(notification_id)
            if row is not None and ready(row):
                return row
            if asyncio.get_running_loop().time() >= deadline:
                raise RetryableError("notification not projected yet")
            await asyncio.sleep(0.1)

    async def attempt(self, item: Received) -> None:
        owed = await self.owed(item.event)
        if owed is None:
            return
        destination = await self._store.destination(owed.service_id, owed.callback_type)
        if destination is None:
            return
        ledger = await self._store.ledger(owed.key)
        if ledger.outcome in ("succeeded", "failed"):
            return
        if ledger.outcome == "retrying" and ledger.last_kafka_attempt >= item.attempt:
            raise RetryableError("callback already attempted in this round")
        attempt = ledger.attempts + 1
        result = await self._client.post(destination, owed.message_id, owed.payload)
        if result.succeeded:
            outcome = CallbackOutcome.SUCCEEDED
        elif result.retryable and attempt < self._max_attempts:
            outcome = CallbackOutcome.RETRYING
        else:
            outcome = CallbackOutcome.FAILED
        await self._store.record(
            owed.key, owed.service_id, str(owed.callback_type), attempt, item.attempt, str(outcome)
        )
        await self._producer.publish(
            topics.CALLBACK_OUTCOMES,
            CallbackAttempted(
                notification_id=owed.notification_id, service_id=owed.service_id,
                correlation_id=item.event.correlation_id, callback_type=owed.callback_type, attempt=attempt,
                outcome=outcome, status_code=result.status_code, duration_ms=result.duration_ms,
                reason=result.reason, inbound_sms_id=owed.inbound_sms_id,
            ),
        )  # fmt: skip
        ids = {
            "service_id": owed.service_id,
            "notification_id": owed.notification_id,
            "inbound_sms_id": owed.inbound_sms_id,
            "callback_type": str(owed.callback_type),
            "attempt": attempt,
            "outcome": str(outcome),
            "status_code": result.status_code,
        }
        log.info("callback attempted", extra=ids)
        if outcome == CallbackOutcome.RETRYING:
            raise RetryableError(result.reason or "callback failed")
