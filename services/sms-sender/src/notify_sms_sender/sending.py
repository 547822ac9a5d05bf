"""Sends requested text messages: the text channel's policy for the shared sender loop
(``notify_common.sending``: claim, act, settle, publish or retry).

* At claim time a provider is chosen for every request (weighted, rebalanced by errors and slow
  receipts: ``ProviderSelector``); a retry after a timeout keeps the claimed one.
* The call is the provider's ``send`` with the notification id as its reference (MMG ``cid``,
  Firetext ``reference``); test-key messages go to research mode instead, which posts the receipt
  the provider would send and reaches no real provider (its in-doubt claims wait only for receipts).
* Calls, failures and throttling are reported to the provider selector, so traffic moves off a failing
  provider; a 4xx is a technical failure at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from notify_common import metrics
from notify_common.errors import PermanentError
from notify_common.events import Channel, Event, NotificationSentToProvider, SmsRequested, facts_of
from notify_common.kafka import EventProducer
from notify_common.send_claims import Claim, ClaimStore
from notify_common.send_recovery import Recovery
from notify_common.send_retries import Rescheduler
from notify_common.sending import ChannelPolicy, Handover, RecoveryMode, Sender
from notify_sms_sender.provider_selector import ProviderSelector
from notify_sms_sender.providers import SmsMessage, SmsProvider

TEST_KEY = "test"


class SmsPolicy(ChannelPolicy[SmsRequested]):
    channel = "sms"
    request_type = SmsRequested

    def __init__(
        self,
        providers: Mapping[str, SmsProvider],
        selector: ProviderSelector,
        research: Mapping[str, SmsProvider] | None = None,
    ) -> None:
        self.providers, self.selector, self.research = providers, selector, research or {}

    def proposed_provider(self, request: SmsRequested) -> str | None:
        return self.selector.choose()

    def recovery_mode(self, request: SmsRequested) -> RecoveryMode:
        return "receipts-only" if request.key_type == TEST_KEY else "ask-provider"

    def provider_for(self, request: SmsRequested, claim: Claim) -> str:
        return self._provider(request, claim).name

    def _provider(self, request: SmsRequested, claim: Claim) -> SmsProvider:
        claimed = claim.provider
        name = claimed if claimed is not None and claimed in self.providers else next(iter(self.providers))
        if request.key_type == TEST_KEY:
            research = self.research.get(name) or next(iter(self.research.values()), None)
            if research is None:
                raise PermanentError("no research mode provider for a test key")
            return research
        return self.providers[name]

    async def hand_over(self, request: SmsRequested, claim: Claim, provider: str) -> Handover:
        message = SmsMessage(
            notification_id=claim.notification_id,
            to=request.phone_number,
            content=request.body,
            sender=request.sender,
            international=request.international,
        )
        chosen = self._provider(request, claim)
        with metrics.provider_call(chosen.name, "sms"):
            reference = await chosen.send(message)
        return Handover(reference, request.created_at)

    def sent_events(
        self,
        request: SmsRequested,
        provider: str,
        reference: str | None,
        sent_at: datetime,
        units: int | None,
    ) -> list[Event]:
        return [sent_event(request, provider, reference, sent_at)]

    def sent(self, request: SmsRequested, provider: str) -> None:
        if request.key_type != TEST_KEY:
            self.selector.sent(request.notification_id or "", provider)

    def call_failed(self, request: SmsRequested, provider: str) -> None:
        if request.key_type != TEST_KEY:
            self.selector.failed(provider)

    def throttled(self, provider: str) -> None:
        self.selector.throttled(provider)


class SmsSender(Sender[SmsRequested]):
    """The shared sender with the text channel's policy."""

    def __init__(
        self,
        claims: ClaimStore,
        producer: EventProducer,
        providers: Mapping[str, SmsProvider],
        selector: ProviderSelector,
        rescheduler: Rescheduler,
        *,
        research: Mapping[str, SmsProvider] | None = None,
        recovery: Recovery | None = None,
        concurrency: int = 200,
        settle_linger_s: float = 0.0,
    ) -> None:
        super().__init__(
            SmsPolicy(providers, selector, research),
            claims,
            producer,
            rescheduler,
            recovery=recovery,
            concurrency=concurrency,
            settle_linger_s=settle_linger_s,
        )
        self.selector = selector


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
        **facts_of(request),
    )
