"""Sends requested emails: claimed before the provider call, at most one hand-over per
notification, never dropped (the same design as the sms-sender; docs/senders.md).

Per batch: look up the services' From addresses, claim every request in one statement, hand the
claimed ones to the provider concurrently, write each outcome to its claim as it is known, then
publish the batch's events and send what must be tried again to the retry topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from notify_common import metrics, topics
from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_common.events import (
    Channel,
    EmailRequested,
    Event,
    FailureKind,
    NotificationFailed,
    NotificationSentToProvider,
    now,
)
from notify_common.kafka import EventProducer, Received
from notify_common.send_claims import Claim, ClaimStore, Hold, Settlement, Settler, unsure
from notify_common.send_recovery import HANDED_OVER, Recovery, Verdict
from notify_common.send_retries import Rescheduler, Retry
from notify_email_sender.addresses import FromAddresses
from notify_email_sender.message import OutgoingEmail
from notify_email_sender.outcomes import simulated_outcome
from notify_email_sender.providers import EmailProvider, ProviderTimeoutError

log = logging.getLogger(__name__)
TEST_KEY = "test"


@dataclass(frozen=True)
class _Outcome:
    events: list[Event] = field(default_factory=list)
    retry: Retry | None = None


class EmailSender:
    def __init__(
        self,
        claims: ClaimStore,
        producer: EventProducer,
        provider: EmailProvider,
        rescheduler: Rescheduler,
        addresses: FromAddresses,
        *,
        simulate_delivery: bool = False,
        recovery: Recovery | None = None,
        concurrency: int = 50,
    ) -> None:
        self._claims, self._settler = claims, Settler(claims)
        self._producer, self._provider, self._rescheduler = producer, provider, rescheduler
        self._addresses, self._simulate = addresses, simulate_delivery
        self._slots = asyncio.Semaphore(concurrency)
        # SES and SMTP have no status lookup by our reference, and their receipts can only be
        # matched to a notification through the reference a settle records: an in-doubt email is
        # sent again at once, recorded as ``unconfirmed``.
        self._recovery = recovery or Recovery(None, window_s=0)

    async def handle(self, batch: Sequence[Received]) -> None:
        items: dict[str, Received] = {}
        for item in batch:
            if isinstance(item.event, EmailRequested):
                if item.event.notification_id is None:
                    raise PermanentError("EmailRequested without a notification id")
                items.setdefault(item.event.notification_id, item)
        if not items:
            return
        await self._addresses.load(i.event for i in items.values())
        claims = await self._claims.claim(dict.fromkeys(items, self._provider.name))
        live = [c for c in claims.values() if _key_type(items[c.notification_id]) != TEST_KEY]
        async with self._claims.holding(list(claims.values())) as hold:
            verdicts = await self._recovery.decide(live)
            outcomes = await asyncio.gather(
                *(self._act(items[nid], claims[nid], verdicts.get(nid), hold) for nid in items)
            )
        events = [e for o in outcomes for e in o.events]
        await self._producer.publish_many((topics.NOTIFICATION_STATUS, e) for e in events)
        await self._rescheduler.send([o.retry for o in outcomes if o.retry is not None])

    async def _act(
        self, item: Received, claim: Claim, verdict: Verdict | None = None, hold: Hold | None = None
    ) -> _Outcome:
        request = item.event
        assert isinstance(request, EmailRequested)
        if verdict in HANDED_OVER:
            provider, sent_at = claim.provider or self._provider.name, now()
            await self._settler.settle(
                Settlement(
                    claim.notification_id, "sent", provider=provider, sent_at=sent_at, recovery=verdict
                )
            )
            return self._sent(request, provider, None, sent_at)
        if claim.state == "sent":
            return self._sent(request, claim.provider or self._provider.name, claim.reference, claim.sent_at)
        if claim.state == "failed":
            kind = FailureKind(claim.failure_kind or FailureKind.TECHNICAL_FAILURE)
            return _Outcome([failed_event(request, kind, claim.provider, claim.failure_reason)])
        if claim.state == "busy":
            return _Outcome(retry=self._rescheduler.while_busy(item, claim.retry_in_s))
        if request.key_type == TEST_KEY:
            await self._settler.settle(
                Settlement(claim.notification_id, "sent", provider=self._provider.name, sent_at=now())
            )
            return self._sent(request, self._provider.name, None, now())
        async with self._slots:
            if hold is not None and not hold.secure(claim.notification_id):
                return _Outcome(retry=unsure(self._rescheduler, item, claim, hold))
            return await self._send(item, request, claim, verdict)

    async def _send(
        self, item: Received, request: EmailRequested, claim: Claim, verdict: Verdict | None = None
    ) -> _Outcome:
        nid = claim.notification_id
        ids = {"notification_id": nid, "service_id": request.service_id, "provider": self._provider.name}
        email = OutgoingEmail(
            notification_id=nid,
            to=request.email_address,
            from_name=request.from_name,
            from_address=self._addresses.address_of(request),
            subject=request.subject,
            text_body=request.body,
            reply_to=request.reply_to,
            unsubscribe_url=request.one_click_unsubscribe_url,
        )
        try:
            with metrics.provider_call(self._provider.name, "email"):
                reference = await self._provider.send(email)
        except PermanentError as exc:
            log.warning("provider refused email", extra={**ids, "error": type(exc).__name__})
            return await self._fail(request, str(exc))
        except ThrottledError:
            await self._settler.settle(Settlement(nid, None))
            retry = self._rescheduler.after_throttling(item)
            if retry is not None:
                return _Outcome(retry=retry)
            return await self._retry_or_fail(item, request, "throttled for too long")
        except Exception as exc:
            if not isinstance(exc, RetryableError):
                log.exception("unexpected error from provider", extra=ids)
            pinned = self._provider.name if isinstance(exc, ProviderTimeoutError) else None
            await self._settler.settle(Settlement(nid, None, provider=pinned, recovery=verdict))
            log.warning("provider call failed", extra={**ids, "error": type(exc).__name__})
            return await self._retry_or_fail(item, request, str(exc) or type(exc).__name__)
        sent_at = now()
        await self._settler.settle(
            Settlement(
                nid,
                "sent",
                provider=self._provider.name,
                reference=reference,
                sent_at=sent_at,
                recovery=verdict,
            )
        )
        log.info("email sent to provider", extra=ids)
        metrics.sent("email", request.created_at, sent_at)
        return self._sent(request, self._provider.name, reference, sent_at)

    def _sent(
        self, request: EmailRequested, provider: str, reference: str | None, sent_at: datetime | None
    ) -> _Outcome:
        assert request.notification_id is not None
        events: list[Event] = [
            NotificationSentToProvider(
                notification_id=request.notification_id,
                service_id=request.service_id,
                correlation_id=request.correlation_id,
                channel=Channel.EMAIL,
                provider=provider,
                provider_reference=reference,
                sent_at=sent_at or now(),
                billable_units=1,
            )
        ]
        if request.key_type == TEST_KEY or self._simulate:
            events.append(
                simulated_outcome(
                    request.notification_id, request.service_id, request.email_address, provider, reference
                )
            )
        return _Outcome(events)

    async def _retry_or_fail(self, item: Received, request: EmailRequested, reason: str) -> _Outcome:
        if self._rescheduler.budget_left(item):
            return _Outcome(retry=self._rescheduler.after_failure(item, reason[:200]))
        log.error("retries exhausted, technical failure", extra={"notification_id": request.notification_id})
        return await self._fail(request, f"retries exhausted: {reason}"[:500])

    async def _fail(self, request: EmailRequested, reason: str) -> _Outcome:
        assert request.notification_id is not None
        await self._settler.settle(
            Settlement(
                request.notification_id,
                "failed",
                provider=self._provider.name,
                failure_kind=FailureKind.TECHNICAL_FAILURE,
                failure_reason=reason,
            )
        )
        return _Outcome([failed_event(request, FailureKind.TECHNICAL_FAILURE, self._provider.name, reason)])


def failed_event(
    request: EmailRequested, kind: FailureKind, provider: str | None, reason: str | None
) -> NotificationFailed:
    return NotificationFailed(
        notification_id=request.notification_id,
        service_id=request.service_id,
        correlation_id=request.correlation_id,
        failure_kind=kind,
        provider=provider,
        reason=reason,
        failed_at=now(),
    )


def _key_type(item: Received) -> str | None:
    return item.event.key_type if isinstance(item.event, EmailRequested) else None
