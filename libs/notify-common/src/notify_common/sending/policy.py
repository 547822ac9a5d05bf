"""What makes one channel's sender different from another's: a ``ChannelPolicy``.

The loop (claim, act, settle, publish or retry) is ``notify_common.sending.sender.Sender``'s; a
channel says only which requests it sends, which provider it proposes at claim time, how a hand-over
is made (the provider call, with its metrics), which failures can never succeed, and which events
announce a hand-over. The retry budget is the ``Rescheduler``'s ``RetryPolicy`` (texts and emails
57 attempts, about 4 hours; letters 12), built from the channel's settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

from notify_common.errors import PermanentError
from notify_common.events import Event, FailureKind, NotificationFailed, NotificationRequested, facts_of, now
from notify_common.send_claims import Claim

Request = TypeVar("Request", bound=NotificationRequested)

# How an in-doubt claim of a request is recovered: ask the provider's status interface (then wait
# for a receipt), only wait for a receipt (the message never went to a real provider), or not at
# all (nothing can tell; it is sent again at once, recorded as ``unconfirmed``).
RecoveryMode = Literal["ask-provider", "receipts-only", "none"]


@dataclass(frozen=True)
class Handover:
    """A request handed to its provider: the provider's reference for it, when the request was
    created if the hand-over counts as a send (``notify_created_to_sent_seconds``; None for a
    test-key email, which reaches no provider), and the units billed when the channel counts them
    from the hand-over (a letter's sheets)."""

    reference: str | None
    created_at: datetime | None
    billable_units: int | None = None


class ChannelPolicy(Generic[Request]):
    """The channel-specific half of a sender; override what differs from these defaults."""

    channel: str  # "sms", "email", "letter": the metrics' channel label
    request_type: type[Request]
    # The provider named for a claim that recorded none (announced again, or recovered).
    default_provider: str = "unknown"
    # The line logged for each hand-over (with the notification's id and trace), or None for a
    # channel whose volume makes one line per message too much (texts).
    handover_log: str | None = None

    def proposed_provider(self, request: Request) -> str | None:
        """The provider a first claim records (a retry after a timeout keeps the claimed one)."""
        return None

    async def prepare(self, requests: Sequence[Request]) -> None:
        """Runs once per batch before the claim (for example, look up what the calls need)."""
        return None

    def recovery_mode(self, request: Request) -> RecoveryMode:
        return "ask-provider"

    def provider_for(self, request: Request, claim: Claim) -> str:
        """The provider this attempt calls: the claimed one wherever it can."""
        raise NotImplementedError

    def recovered_reference(self, claim: Claim) -> str | None:
        """The reference of a message the provider turned out to have already (no call made)."""
        return claim.notification_id

    async def hand_over(self, request: Request, claim: Claim, provider: str) -> Handover:
        """The provider call, with the notification id as its reference. Raises ``PermanentError``
        (or an error ``failure_kind`` names) for a request that can never succeed,
        ``ThrottledError`` to slow down, ``ProviderTimeoutError`` when the call may have reached the
        provider, and anything else for a failure worth trying again."""
        raise NotImplementedError

    def failure_kind(self, exc: Exception) -> FailureKind | None:
        """The failure a hand-over error means for good, or None if it is worth trying again."""
        return FailureKind.TECHNICAL_FAILURE if isinstance(exc, PermanentError) else None

    def waits_out(self, exc: Exception) -> bool:
        """Whether the error is a dependency of the sender's own being down (not the provider):
        the request then waits without spending an attempt."""
        return False

    def sent_events(
        self, request: Request, provider: str, reference: str | None, sent_at: datetime, units: int | None
    ) -> list[Event]:
        """The events announcing a hand-over; ``units`` is None when the claim is announced again
        (or recovered) without a call, so only what the claim kept is known."""
        raise NotImplementedError

    def failed_event(
        self, request: Request, kind: FailureKind, provider: str | None, reason: str | None
    ) -> NotificationFailed:
        return NotificationFailed(
            notification_id=request.notification_id,
            service_id=request.service_id,
            correlation_id=request.correlation_id,
            failure_kind=kind,
            provider=provider,
            reason=reason,
            failed_at=now(),
            **facts_of(request),
        )

    # Observations, for a channel that balances between providers.
    def sent(self, request: Request, provider: str) -> None:
        return None

    def call_failed(self, request: Request, provider: str) -> None:
        return None

    def throttled(self, provider: str) -> None:
        return None
