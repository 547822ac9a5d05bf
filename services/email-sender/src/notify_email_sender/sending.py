"""Sends requested emails: the email channel's policy for the shared sender loop
(``notify_common.sending``: claim, act, settle, publish or retry; docs/senders.md).

* Before a batch is claimed the services' From addresses are looked up (``FromAddresses``).
* The HTML part is branded as the request says (``notify_common.templates.email_branding``), its
  logo linked under ``NOTIFY_BRANDING_LOGO_URL``.
* The call is the provider's ``send`` (SES v2 or SMTP) with the notification id as ``Message-ID``.
* Test-key emails reach no provider: they are settled sent at once and their outcome announced
  beside the hand-over (``outcomes.py``), as are live ones when delivery is simulated.
* SES and SMTP have no status lookup by our reference, and their receipts can only be matched to a
  notification through the reference a settle records: an in-doubt email is sent again at once,
  recorded as ``unconfirmed`` (the sender's ``Recovery`` waits no window).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from notify_common import metrics
from notify_common.events import Channel, EmailRequested, Event, NotificationSentToProvider, facts_of
from notify_common.kafka import EventProducer
from notify_common.send_claims import Claim, ClaimStore
from notify_common.send_recovery import Recovery
from notify_common.send_retries import Rescheduler
from notify_common.sending import ChannelPolicy, Handover, RecoveryMode, Sender
from notify_common.templates.email_branding import EmailBranding
from notify_email_sender.addresses import FromAddresses
from notify_email_sender.message import OutgoingEmail
from notify_email_sender.outcomes import simulated_outcome
from notify_email_sender.providers import EmailProvider
from notify_email_sender.unsubscribe import HostedUnsubscribe, unsubscribe_parts

TEST_KEY = "test"


class EmailPolicy(ChannelPolicy[EmailRequested]):
    channel = "email"
    request_type = EmailRequested
    handover_log = "email sent to provider"

    def __init__(
        self,
        provider: EmailProvider,
        addresses: FromAddresses,
        *,
        simulate_delivery: bool,
        unsubscribe: HostedUnsubscribe | None = None,
        logo_base_url: str = "",
    ) -> None:
        self.provider, self.addresses, self.simulate = provider, addresses, simulate_delivery
        self.unsubscribe = unsubscribe
        self.logo_base_url = logo_base_url
        self.default_provider = provider.name

    def proposed_provider(self, request: EmailRequested) -> str | None:
        return self.provider.name

    async def prepare(self, requests: Sequence[EmailRequested]) -> None:
        await self.addresses.load(requests)

    def recovery_mode(self, request: EmailRequested) -> RecoveryMode:
        return "none" if request.key_type == TEST_KEY else "ask-provider"

    def provider_for(self, request: EmailRequested, claim: Claim) -> str:
        return self.provider.name

    def recovered_reference(self, claim: Claim) -> str | None:
        return None  # the provider's own message id, which only a settle records

    async def hand_over(self, request: EmailRequested, claim: Claim, provider: str) -> Handover:
        if request.key_type == TEST_KEY:
            return Handover(None, created_at=None)
        text_body, unsubscribe_url = unsubscribe_parts(request, claim.notification_id, self.unsubscribe)
        email = OutgoingEmail(
            notification_id=claim.notification_id,
            to=request.email_address,
            from_name=request.from_name,
            from_address=self.addresses.address_of(request),
            subject=request.subject,
            text_body=text_body,
            reply_to=request.reply_to,
            unsubscribe_url=unsubscribe_url,
            branding=EmailBranding.of(request, self.logo_base_url),
        )
        with metrics.provider_call(self.provider.name, "email"):
            reference = await self.provider.send(email)
        return Handover(reference, request.created_at)

    def sent_events(
        self,
        request: EmailRequested,
        provider: str,
        reference: str | None,
        sent_at: datetime,
        units: int | None,
    ) -> list[Event]:
        assert request.notification_id is not None
        events: list[Event] = [
            NotificationSentToProvider(
                notification_id=request.notification_id,
                service_id=request.service_id,
                correlation_id=request.correlation_id,
                channel=Channel.EMAIL,
                provider=provider,
                provider_reference=reference,
                sent_at=sent_at,
                billable_units=1,
                **facts_of(request),
            )
        ]
        if request.key_type == TEST_KEY or self.simulate:
            events.append(
                simulated_outcome(
                    request.notification_id,
                    request.service_id,
                    request.email_address,
                    provider,
                    reference,
                    facts_of(request) | {"notification_sent_at": sent_at},
                )
            )
        return events


class EmailSender(Sender[EmailRequested]):
    """The shared sender with the email channel's policy."""

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
        unsubscribe: HostedUnsubscribe | None = None,
        logo_base_url: str = "",
    ) -> None:
        super().__init__(
            EmailPolicy(
                provider,
                addresses,
                simulate_delivery=simulate_delivery,
                unsubscribe=unsubscribe,
                logo_base_url=logo_base_url,
            ),
            claims,
            producer,
            rescheduler,
            recovery=recovery,
            concurrency=concurrency,
        )
