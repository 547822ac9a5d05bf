"""Sends requested text messages: at most once to a provider per notification, never dropped.

For each batch read from Kafka the sender

1. picks a provider for every request (weighted, see routing.py) and claims the whole batch in one
   statement (notify_common.send_claims), before any provider call;
2. calls the providers concurrently, at most ``concurrency`` calls in flight, with the notification
   id as the provider reference; test-key messages go to research mode instead (research.py);
3. writes each outcome back to its claim as soon as it is known (grouped into few statements);
4. publishes the batch's lifecycle events at once and sends what must be tried again to the retry
   topic; only then does the consumer commit the batch's offsets.

A process killed anywhere in this leaves claims that tell the next attempt what to do: announce a
decided outcome again, wait for a live lease, or, for a claim whose call may have reached the
provider, find out whether it did (send_recovery.py) and send again only if it did not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from notify_common import metrics, topics, tracing
from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_common.events import (
    Channel,
    Event,
    FailureKind,
    NotificationFailed,
    NotificationSentToProvider,
    SmsRequested,
    now,
)
from notify_common.kafka import EventProducer, Handler, Received
from notify_common.send_claims import Claim, ClaimStore, Hold, Settlement, Settler, unsure
from notify_common.send_recovery import HANDED_OVER, Recovery, Verdict
from notify_common.send_retries import Rescheduler, Retry
from notify_sms_sender.providers import ProviderTimeoutError, SmsMessage, SmsProvider
from notify_sms_sender.router import ProviderRouter

log = logging.getLogger(__name__)
TEST_KEY = "test"


@dataclass(frozen=True)
class _Outcome:
    event: Event | None = None
    retry: Retry | None = None


class SmsSender:
    def __init__(
        self,
        claims: ClaimStore,
        producer: EventProducer,
        providers: Mapping[str, SmsProvider],
        router: ProviderRouter,
        rescheduler: Rescheduler,
        *,
        research: Mapping[str, SmsProvider] | None = None,
        recovery: Recovery | None = None,
        concurrency: int = 200,
        settle_linger_s: float = 0.0,
    ) -> None:
        self._claims, self._settler = claims, Settler(claims, linger_s=settle_linger_s)
        self._producer, self._providers, self._router = producer, providers, router
        self._rescheduler = rescheduler
        self._research = research or {}
        self._recovery = recovery or Recovery(None, window_s=0)
        self._slots = asyncio.Semaphore(concurrency)

    def lane(self, concurrency: int) -> Handler:
        """A handler with provider-call slots of its own, for one fairness lane: a lane's calls
        never wait for another lane's to finish."""
        slots = asyncio.Semaphore(concurrency)

        async def handle(batch: Sequence[Received]) -> None:
            await self._handle(batch, slots)

        return handle

    async def handle(self, batch: Sequence[Received]) -> None:
        await self._handle(batch, self._slots)

    async def _handle(self, batch: Sequence[Received], slots: asyncio.Semaphore) -> None:
        items: dict[str, Received] = {}
        for item in batch:
            event = item.event
            if not isinstance(event, SmsRequested):
                continue
            if event.notification_id is None:
                raise PermanentError("SmsRequested without a notification id")
            items.setdefault(event.notification_id, item)
        if not items:
            return
        claims = await self._claims.claim({nid: self._router.choose() for nid in items})
        async with self._claims.holding(list(claims.values())) as hold:
            verdicts = await self._recover(items, claims)
            outcomes = await asyncio.gather(
                *(
                    tracing.within(nid, self._act(items[nid], claims[nid], slots, hold, verdicts.get(nid)))
                    for nid in items
                )
            )
        events = [o.event for o in outcomes if o.event is not None]
        retries = [o.retry for o in outcomes if o.retry is not None]
        await self._producer.publish_many((topics.NOTIFICATION_STATUS, e) for e in events)
        await self._rescheduler.send(retries)

    async def _recover(
        self, items: Mapping[str, Received], claims: Mapping[str, Claim]
    ) -> dict[str, Verdict]:
        """Verdicts for the in-doubt claims; test-key messages never reached a real provider, so
        only receipts (research mode posts them) can tell."""
        doubtful = [c for c in claims.values() if c.in_doubt]
        if not doubtful:
            return {}

        def test_key(c: Claim) -> bool:
            event = items[c.notification_id].event
            return isinstance(event, SmsRequested) and event.key_type == TEST_KEY

        live, test = await asyncio.gather(
            self._recovery.decide([c for c in doubtful if not test_key(c)]),
            self._recovery.decide([c for c in doubtful if test_key(c)], ask_providers=False),
        )
        return {**live, **test}

    async def _act(
        self,
        item: Received,
        claim: Claim,
        slots: asyncio.Semaphore,
        hold: Hold | None = None,
        verdict: Verdict | None = None,
    ) -> _Outcome:
        request = item.event
        assert isinstance(request, SmsRequested)
        if verdict in HANDED_OVER:
            # The provider already has it (our id is MMG's and Firetext's reference): no call.
            provider, sent_at = claim.provider or "unknown", now()
            reference = claim.notification_id
            await self._settler.settle(
                Settlement(
                    claim.notification_id,
                    "sent",
                    provider=provider,
                    reference=reference,
                    sent_at=sent_at,
                    recovery=verdict,
                )
            )
            return _Outcome(event=sent_event(request, provider, reference, sent_at))
        if claim.state == "sent":
            provider, sent_at = claim.provider or "unknown", claim.sent_at or now()
            return _Outcome(event=sent_event(request, provider, claim.reference, sent_at))
        if claim.state == "failed":
            kind = FailureKind(claim.failure_kind or FailureKind.TECHNICAL_FAILURE)
            return _Outcome(event=failed_event(request, kind, claim.provider, claim.failure_reason))
        if claim.state == "busy":
            return _Outcome(retry=self._rescheduler.while_busy(item, claim.retry_in_s))
        if verdict == "deferred":
            # The provider could not say whether it has the message: ask again later, still in doubt.
            await self._settler.settle(
                Settlement(claim.notification_id, None, provider=claim.provider, recovery=verdict)
            )
            return await self._retry_or_fail(
                item, request, claim.provider or "unknown", "status lookup failed"
            )
        async with slots:
            if hold is not None and not hold.secure(claim.notification_id):
                return _Outcome(retry=unsure(self._rescheduler, item, claim, hold))
            return await self._send(item, request, claim, verdict)

    def _provider_for(self, request: SmsRequested, claimed: str | None) -> SmsProvider:
        name = claimed if claimed is not None and claimed in self._providers else next(iter(self._providers))
        if request.key_type == TEST_KEY:
            research = self._research.get(name) or next(iter(self._research.values()), None)
            if research is None:
                raise PermanentError("no research mode provider for a test key")
            return research
        return self._providers[name]

    async def _send(
        self, item: Received, request: SmsRequested, claim: Claim, verdict: Verdict | None = None
    ) -> _Outcome:
        nid = claim.notification_id
        provider = self._provider_for(request, claim.provider)
        ids = {"notification_id": nid, "service_id": request.service_id, "provider": provider.name}
        message = SmsMessage(
            notification_id=nid,
            to=request.phone_number,
            content=request.body,
            sender=request.sender,
            international=request.international,
        )
        try:
            with metrics.provider_call(provider.name, "sms"):
                reference = await provider.send(message)
        except PermanentError as exc:
            log.warning("provider refused message", extra={**ids, "error": type(exc).__name__})
            return await self._fail(request, provider.name, str(exc))
        except ThrottledError:
            self._router.throttled(provider.name)
            await self._settler.settle(Settlement(nid, None))
            retry = self._rescheduler.after_throttling(item)
            if retry is not None:
                return _Outcome(retry=retry)
            return await self._retry_or_fail(item, request, provider.name, "throttled for too long")
        except Exception as exc:
            if not isinstance(exc, RetryableError):
                log.exception("unexpected error from provider", extra=ids)
            if request.key_type != TEST_KEY:
                self._router.failed(provider.name)
            # After a timeout the provider may have the message: keep it pinned for the retry.
            pinned = provider.name if isinstance(exc, ProviderTimeoutError) else None
            await self._settler.settle(Settlement(nid, None, provider=pinned, recovery=verdict))
            log.warning("provider call failed", extra={**ids, "error": type(exc).__name__})
            return await self._retry_or_fail(item, request, provider.name, str(exc) or type(exc).__name__)
        sent_at = now()
        await self._settler.settle(
            Settlement(
                nid, "sent", provider=provider.name, reference=reference, sent_at=sent_at, recovery=verdict
            )
        )
        if request.key_type != TEST_KEY:
            self._router.sent(nid, provider.name)
        metrics.sent("sms", request.created_at, sent_at)
        return _Outcome(event=sent_event(request, provider.name, reference, sent_at))

    async def _retry_or_fail(
        self, item: Received, request: SmsRequested, provider: str, reason: str
    ) -> _Outcome:
        if self._rescheduler.budget_left(item):
            return _Outcome(retry=self._rescheduler.after_failure(item, reason[:200]))
        log.error(
            "retries exhausted, technical failure",
            extra={"notification_id": request.notification_id, "attempt": item.attempt + 1},
        )
        return await self._fail(request, provider, f"retries exhausted: {reason}"[:500])

    async def _fail(self, request: SmsRequested, provider: str, reason: str) -> _Outcome:
        assert request.notification_id is not None
        await self._settler.settle(
            Settlement(
                request.notification_id,
                "failed",
                provider=provider,
                failure_kind=FailureKind.TECHNICAL_FAILURE,
                failure_reason=reason,
            )
        )
        return _Outcome(event=failed_event(request, FailureKind.TECHNICAL_FAILURE, provider, reason))


def sent_event(
    request: SmsRequested, provider: str, reference: str | None, sent_at: datetime
) -> NotificationSentToProvider:
    return NotificationSentToProvider(
        notification_id=request.notification_id,
        service_id=request.service_id,
        correlation_id=request.correlation_id,
        channel=Channel.SMS,
        provider=provider,
        provider_reference=reference,
        sent_at=sent_at,
        billable_units=request.fragment_count,
        international=request.international,
    )


def failed_event(
    request: SmsRequested, kind: FailureKind, provider: str | None, reason: str | None
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
