"""Decides which callback an event owes a service, and makes one attempt at it per delivery of the
record; the consumer's retry topic brings the record back after a backoff for the next attempt.

Whether a service wants a callback is decided first, from the event and the cached configuration
(``decide``, ``config``): an event for a service without that callback costs no I/O. Only then is
the projected notification read, once: if it is not projected (or not at its final status) yet the
record goes to the retry topic at once, so an unfinished notification never holds up the batch.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from notify_callbacks import decide, payloads
from notify_callbacks.config import CallbackConfig
from notify_callbacks.delivery import AttemptResult, Destination
from notify_callbacks.store import Ledger
from notify_common import metrics, statuses, topics, tracing
from notify_common.errors import RetryableError
from notify_common.events import (
    CallbackAttempted,
    CallbackOutcome,
    CallbackType,
    ComplaintReceived,
    Event,
    InboundSmsReceived,
)
from notify_common.kafka import Received

log = logging.getLogger(__name__)
NAMESPACE = uuid.UUID("2b8f0c4e-4a51-4f7e-8d0e-61c5e3a9d7a2")


class Store(Protocol):
    async def notification(self, notification_id: str) -> dict[str, Any] | None: ...

    async def ledger(self, key: str) -> Ledger: ...

    async def record(
        self, key: str, service_id: str, callback_type: str, attempts: int, kafka_attempt: int, outcome: str
    ) -> None: ...


class Client(Protocol):
    async def post(
        self, destination: Destination, message_id: str, payload: dict[str, Any]
    ) -> AttemptResult: ...


class Publisher(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...


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


def owed_for(event: Event, kind: CallbackType, row: Mapping[str, Any] | None) -> Owed | None:
    """The callback of type ``kind`` that ``event`` calls for, given its projected notification
    (None for inbound texts). Raises RetryableError while the projection does not show the
    notification (or its final status) yet."""
    if isinstance(event, InboundSmsReceived):
        return Owed(
            key=f"inbound_sms:{event.inbound_sms_id}", service_id=event.service_id,
            callback_type=kind, payload=payloads.inbound_sms(event), inbound_sms_id=event.inbound_sms_id,
        )  # fmt: skip
    nid = event.notification_id
    if row is None or nid is None:
        raise RetryableError("notification not projected yet")
    service_id = str(row["service_id"])
    if isinstance(event, ComplaintReceived):
        return Owed(
            f"complaint:{event.complaint_id}", service_id, kind, payloads.complaint(row, event),
            notification_id=nid,
        )  # fmt: skip
    if kind == CallbackType.RETURNED_LETTER:
        return Owed(
            f"returned_letter:{nid}", service_id, kind, payloads.returned_letter(row), notification_id=nid
        )
    if row["status"] not in statuses.COMPLETED:
        raise RetryableError("final status not projected yet")
    if row["notification_type"] == "letter":
        return None  # letters have no delivery-status callbacks, as in Notify
    return Owed(
        f"delivery_status:{nid}:{row['status']}", service_id, kind, payloads.delivery_status(row),
        notification_id=nid,
    )  # fmt: skip


class CallbackHandler:
    def __init__(
        self,
        store: Store,
        config: CallbackConfig,
        client: Client,
        producer: Publisher,
        *,
        max_attempts: int = 5,
        concurrency: int = 50,
        per_receiver: int = 10,
    ) -> None:
        self._store, self._config, self._client, self._producer = store, config, client, producer
        self._max_attempts = max_attempts
        self._slots = asyncio.Semaphore(concurrency)
        self._per_receiver = per_receiver
        self._receivers: dict[str, asyncio.Semaphore] = {}

    async def handle(self, batch: Sequence[Received]) -> None:
        """Records of one key in order, keys concurrently; the first failure is re-raised so the
        consumer retries the records one at a time (the ledger skips what already happened)."""
        await self._config.refresh_if_due()
        by_key: dict[bytes | None, list[tuple[Received, CallbackType]]] = defaultdict(list)
        for item in batch:
            kind = decide.wanted(item.event, self._config)
            if kind is not None:
                by_key[item.key].append((item, kind))
        if not by_key:
            return
        results = await asyncio.gather(
            *(self._in_order(items) for items in by_key.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _in_order(self, items: list[tuple[Received, CallbackType]]) -> None:
        for item, kind in items:
            await tracing.within(item.event.notification_id, self.attempt(item, kind))

    async def attempt(self, item: Received, kind: CallbackType) -> None:
        event = item.event
        row = None
        if event.notification_id is not None and not isinstance(event, InboundSmsReceived):
            row = await self._store.notification(event.notification_id)
        owed = owed_for(event, kind, row)
        if owed is None:
            return
        destination = self._config.destination(owed.service_id, owed.callback_type)
        if destination is None:
            return
        ledger = await self._store.ledger(owed.key)
        if ledger.outcome in ("succeeded", "failed"):
            return
        if ledger.outcome == "retrying" and ledger.last_kafka_attempt >= item.attempt:
            raise RetryableError("callback already attempted in this round")
        attempt = ledger.attempts + 1
        async with self._receiver(destination.url), self._slots:
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
                correlation_id=event.correlation_id, callback_type=owed.callback_type, attempt=attempt,
                outcome=outcome, status_code=result.status_code, duration_ms=result.duration_ms,
                reason=result.reason, inbound_sms_id=owed.inbound_sms_id,
            ),
        )  # fmt: skip
        metrics.callback_attempted(str(owed.callback_type), str(outcome))
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

    def _receiver(self, url: str) -> asyncio.Semaphore:
        """At most ``per_receiver`` calls in flight to one host, so a slow receiver holds only its
        own share of the slots and the others' callbacks keep going."""
        host = urlsplit(url).netloc
        slot = self._receivers.get(host)
        if slot is None:
            slot = self._receivers[host] = asyncio.Semaphore(self._per_receiver)
        return slot
