"""The sender loop, written once for every channel: claim, act, settle, then publish or retry.

Per batch of requests (one ``ChannelPolicy`` says what differs between texts, emails and letters):

1. every request is claimed in one statement (``send_claims.ClaimStore``) before any provider call;
2. in-doubt claims (an earlier call may have reached the provider) are recovered first
   (``send_recovery.Recovery``): what the provider already has is settled as sent with no call;
3. each claim is acted on by its state: a decided claim is announced again, a busy one comes back
   after its lease, an acquired one is handed to the provider (the notification id as reference)
   within the lane's call slots, if its lease is still safely ours;
4. each outcome is written to its claim as soon as it is known (``send_claims.Settler``, grouped);
5. the batch's events are published at once (acks=all) and what must be tried again goes to the
   retry topic (``send_retries.Rescheduler``); only then may the consumer commit the offsets.

A failure the policy calls permanent is ``NotificationFailed`` for good; throttling keeps the
attempt number; a failure of the sender's own dependency waits without spending an attempt;
anything else spends one attempt of the budget, and the last is a technical failure. After a
timeout the claim keeps its provider and stays in doubt, so the next attempt finds out first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic

from notify_common import metrics, topics, tracing
from notify_common.errors import PermanentError, ProviderTimeoutError, RetryableError, ThrottledError
from notify_common.events import Event, FailureKind, now
from notify_common.kafka import EventProducer, Handler, Received
from notify_common.send_claims import Claim, ClaimStore, Hold, Settlement, Settler, unsure
from notify_common.send_recovery import HANDED_OVER, Recovery, Verdict
from notify_common.send_retries import Rescheduler, Retry
from notify_common.sending.policy import ChannelPolicy, Request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    events: list[Event] = field(default_factory=list)
    retry: Retry | None = None


class Sender(Generic[Request]):
    """Sends one channel's requests by its ``policy``; see the module docstring."""

    def __init__(
        self,
        policy: ChannelPolicy[Request],
        claims: ClaimStore,
        producer: EventProducer,
        rescheduler: Rescheduler,
        *,
        recovery: Recovery | None = None,
        concurrency: int = 50,
        settle_linger_s: float = 0.0,
    ) -> None:
        self.policy = policy
        self._claims, self._settler = claims, Settler(claims, linger_s=settle_linger_s)
        self._producer, self._rescheduler = producer, rescheduler
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
        kind = self.policy.request_type
        items: dict[str, Received] = {}
        for item in batch:
            event = item.event
            if not isinstance(event, kind):
                continue
            if event.notification_id is None:
                raise PermanentError(f"{kind.__name__} without a notification id")
            items.setdefault(event.notification_id, item)
        if not items:
            return
        requests = {nid: self._request(item) for nid, item in items.items()}
        await self.policy.prepare(list(requests.values()))
        claims = await self._claims.claim(
            {nid: self.policy.proposed_provider(request) for nid, request in requests.items()}
        )
        async with self._claims.holding(list(claims.values())) as hold:
            verdicts = await self._recover(requests, claims)
            outcomes = await asyncio.gather(
                *(
                    tracing.within(nid, self._act(items[nid], claims[nid], slots, hold, verdicts.get(nid)))
                    for nid in items
                )
            )
        events = [e for o in outcomes for e in o.events]
        await self._producer.publish_many((topics.NOTIFICATION_STATUS, e) for e in events)
        await self._rescheduler.send([o.retry for o in outcomes if o.retry is not None])

    def _request(self, item: Received) -> Request:
        request = item.event
        assert isinstance(request, self.policy.request_type)
        return request

    async def _recover(self, requests: dict[str, Request], claims: dict[str, Claim]) -> dict[str, Verdict]:
        doubtful = [c for c in claims.values() if c.in_doubt]
        if not doubtful:
            return {}
        modes = {c.notification_id: self.policy.recovery_mode(requests[c.notification_id]) for c in doubtful}
        asked, receipts_only = await asyncio.gather(
            self._recovery.decide([c for c in doubtful if modes[c.notification_id] == "ask-provider"]),
            self._recovery.decide(
                [c for c in doubtful if modes[c.notification_id] == "receipts-only"], ask_providers=False
            ),
        )
        return {**asked, **receipts_only}

    async def _act(
        self, item: Received, claim: Claim, slots: asyncio.Semaphore, hold: Hold, verdict: Verdict | None
    ) -> Outcome:
        request = self._request(item)
        nid, claimed = claim.notification_id, claim.provider or self.policy.default_provider
        if verdict in HANDED_OVER:
            # The provider already has it: settle as sent, call nobody.
            provider, reference, sent_at = claimed, self.policy.recovered_reference(claim), now()
            await self._settler.settle(
                Settlement(
                    nid, "sent", provider=provider, reference=reference, sent_at=sent_at, recovery=verdict
                )
            )
            return Outcome(self.policy.sent_events(request, provider, reference, sent_at, None))
        if claim.state == "sent":
            sent_at = claim.sent_at or now()
            return Outcome(self.policy.sent_events(request, claimed, claim.reference, sent_at, None))
        if claim.state == "failed":
            kind = FailureKind(claim.failure_kind or FailureKind.TECHNICAL_FAILURE)
            return Outcome([self.policy.failed_event(request, kind, claim.provider, claim.failure_reason)])
        if claim.state == "busy":
            return Outcome(retry=self._rescheduler.while_busy(item, claim.retry_in_s))
        if verdict == "deferred":
            # The provider could not say whether it has the message: ask again later, still in doubt.
            await self._settler.settle(Settlement(nid, None, provider=claim.provider, recovery=verdict))
            return await self._retry_or_fail(item, request, claimed, "status lookup failed")
        async with slots:
            if not hold.secure(nid):
                return Outcome(retry=unsure(self._rescheduler, item, claim, hold))
            return await self._send(item, request, claim, verdict)

    async def _send(self, item: Received, request: Request, claim: Claim, verdict: Verdict | None) -> Outcome:
        nid = claim.notification_id
        provider = self.policy.provider_for(request, claim)
        ids: dict[str, str | None] = {
            "notification_id": nid,
            "service_id": request.service_id,
            "provider": provider,
        }
        try:
            handover = await self.policy.hand_over(request, claim, provider)
        except Exception as exc:
            return await self._failed(item, request, provider, verdict, exc, ids)
        sent_at = now()
        await self._settler.settle(
            Settlement(
                nid,
                "sent",
                provider=provider,
                reference=handover.reference,
                sent_at=sent_at,
                recovery=verdict,
            )
        )
        self.policy.sent(request, provider)
        if self.policy.handover_log is not None:
            log.info(self.policy.handover_log, extra=ids)
        if handover.created_at is not None:
            metrics.sent(self.policy.channel, handover.created_at, sent_at)
        return Outcome(
            self.policy.sent_events(request, provider, handover.reference, sent_at, handover.billable_units)
        )

    async def _failed(
        self,
        item: Received,
        request: Request,
        provider: str,
        verdict: Verdict | None,
        exc: Exception,
        ids: dict[str, str | None],
    ) -> Outcome:
        nid = request.notification_id
        assert nid is not None
        error = {**ids, "error": type(exc).__name__}
        kind = self.policy.failure_kind(exc)
        if kind is not None:
            log.warning("provider refused message for good", extra={**error, "failure_kind": str(kind)})
            return await self._fail(request, kind, provider, str(exc))
        if isinstance(exc, ThrottledError):
            self.policy.throttled(provider)
            await self._settler.settle(Settlement(nid, None))
            retry = self._rescheduler.after_throttling(item)
            if retry is not None:
                return Outcome(retry=retry)
            return await self._retry_or_fail(item, request, provider, "throttled for too long")
        if not isinstance(exc, RetryableError):
            log.exception("unexpected error from provider", extra=ids)
        if self.policy.waits_out(exc):
            # The sender's own dependency (its store, say) is down: the request waits, it does not fail.
            await self._settler.settle(Settlement(nid, None))
            log.warning("sender dependency unavailable", extra=error)
            return Outcome(retry=self._rescheduler.while_unavailable(item))
        self.policy.call_failed(request, provider)
        # After a timeout the provider may have the message: keep it pinned for the retry.
        pinned = provider if isinstance(exc, ProviderTimeoutError) else None
        await self._settler.settle(Settlement(nid, None, provider=pinned, recovery=verdict))
        log.warning("provider call failed", extra=error)
        return await self._retry_or_fail(item, request, provider, str(exc) or type(exc).__name__)

    async def _retry_or_fail(self, item: Received, request: Request, provider: str, reason: str) -> Outcome:
        if self._rescheduler.budget_left(item):
            return Outcome(retry=self._rescheduler.after_failure(item, reason[:200]))
        log.error(
            "retries exhausted, technical failure",
            extra={"notification_id": request.notification_id, "attempt": item.attempt + 1},
        )
        return await self._fail(
            request, FailureKind.TECHNICAL_FAILURE, provider, f"retries exhausted: {reason}"[:500]
        )

    async def _fail(self, request: Request, kind: FailureKind, provider: str, reason: str) -> Outcome:
        assert request.notification_id is not None
        await self._settler.settle(
            Settlement(
                request.notification_id, "failed", provider=provider, failure_kind=kind, failure_reason=reason
            )
        )
        return Outcome([self.policy.failed_event(request, kind, provider, reason)])
