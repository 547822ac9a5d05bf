"""Sends requested SMS exactly once.

Before calling a provider the sender claims the notification in PostgreSQL (an upsert on
``send_claims``). A claim already marked ``sent`` means an earlier attempt succeeded but may have
died before its event was written, so the event is written again and the provider is not called.
A claim without an outcome means an earlier attempt died mid-call: the provider is called again
with the same reference (the notification id), which providers use to drop duplicates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.errors import PermanentError
from notify_common.events import (
    Channel,
    FailureKind,
    NotificationFailed,
    NotificationSentToProvider,
    SmsRequested,
    new_event_id,
    now,
)
from notify_common.kafka import EventProducer, Received
from notify_sms_sender.providers import SmsMessage, SmsProvider

log = logging.getLogger(__name__)

CLAIM = text("""
INSERT INTO send_claims (notification_id, channel) VALUES (:id, 'sms')
ON CONFLICT (notification_id) DO UPDATE SET attempts = send_claims.attempts + 1
RETURNING outcome, provider, provider_reference, sent_at, attempts
""")
MARK = text("""
UPDATE send_claims SET outcome = :outcome, provider = :provider, provider_reference = :reference,
    sent_at = :sent_at WHERE notification_id = :id
""")


def required_id(request: SmsRequested) -> str:
    if request.notification_id is None:
        raise PermanentError("SmsRequested without a notification id")
    return request.notification_id


class SmsSender:
    def __init__(
        self, engine: AsyncEngine, producer: EventProducer, provider: SmsProvider, concurrency: int = 32
    ) -> None:
        self._engine, self._producer, self._provider = engine, producer, provider
        self._slots = asyncio.Semaphore(concurrency)

    async def handle(self, batch: Sequence[Received]) -> None:
        """Send a batch concurrently; if any fails the consumer retries records one by one, and
        the claims make the ones already sent harmless."""
        await asyncio.gather(*(self._bounded(i.event) for i in batch if isinstance(i.event, SmsRequested)))

    async def _bounded(self, request: SmsRequested) -> None:
        async with self._slots:
            await self.send_one(request)

    async def send_one(self, request: SmsRequested) -> None:
        notification_id = required_id(request)
        ids = {"notification_id": notification_id, "service_id": request.service_id}
        async with self._engine.begin() as conn:
            claim = (await conn.execute(CLAIM, {"id": notification_id})).mappings().one()
        if claim["outcome"] == "sent":
            log.info("already sent, re-announcing", extra=ids)
            await self._announce_sent(
                request, claim["provider"], claim["provider_reference"], claim["sent_at"]
            )
            return
        if claim["outcome"] == "failed":
            log.info("already failed for good, skipping", extra=ids)
            return
        message = SmsMessage(
            notification_id=notification_id,
            to=request.phone_number,
            content=request.body,
            sender=request.sender,
            international=request.international,
        )
        try:
            reference = await self._provider.send(message)
        except PermanentError as exc:
            await self._mark(notification_id, "failed", self._provider.name, None, None)
            await self._producer.publish(
                topics.NOTIFICATION_STATUS,
                NotificationFailed(
                    event_id=new_event_id(),
                    notification_id=notification_id,
                    service_id=request.service_id,
                    occurred_at=now(),
                    correlation_id=request.correlation_id,
                    failure_kind=FailureKind.TECHNICAL_FAILURE,
                    provider=self._provider.name,
                    reason=str(exc),
                    failed_at=now(),
                ),
            )
            log.warning("provider refused message", extra={**ids, "provider": self._provider.name})
            return
        sent_at = now()
        await self._mark(notification_id, "sent", self._provider.name, reference, sent_at)
        await self._announce_sent(request, self._provider.name, reference, sent_at)
        log.info("sent to provider", extra={**ids, "provider": self._provider.name})

    async def _mark(
        self,
        notification_id: str,
        outcome: str,
        provider: str,
        reference: str | None,
        sent_at: datetime | None,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                MARK,
                {
                    "id": notification_id,
                    "outcome": outcome,
                    "provider": provider,
                    "reference": reference,
                    "sent_at": sent_at,
                },
            )

    async def _announce_sent(
        self, request: SmsRequested, provider: str, reference: str | None, sent_at: datetime
    ) -> None:
        await self._producer.publish(
            topics.NOTIFICATION_STATUS,
            NotificationSentToProvider(
                event_id=new_event_id(),
                notification_id=request.notification_id,
                service_id=request.service_id,
                occurred_at=now(),
                correlation_id=request.correlation_id,
                channel=Channel.SMS,
                provider=provider,
                provider_reference=reference,
                sent_at=sent_at,
                billable_units=request.fragment_count,
                international=request.international,
            ),
        )
