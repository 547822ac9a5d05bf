"""Simulated outcomes for emails that no real provider will report on (pure).

* Test-key emails never reach a provider: the sender announces them sent and then
  their outcome at once: ``perm-fail@simulator.notify`` permanent failure,
  ``temp-fail@simulator.notify`` temporary failure, anything else delivered.
* When ``simulate_delivery`` is on (development against moto or a local SMTP server, which never
  report deliveries) live emails get the same treatment after the real hand-over.

The sender publishes these events itself rather than through another service: it is the one that
knows the message was handed over, and the events travel on the status topic like receipts do.
"""

from __future__ import annotations

from typing import Any

from notify_common.events import Event, FailureKind, NotificationDelivered, NotificationFailed, now
from notify_common.recipients.simulated import outcome_for_test_key

_FAILURES = {
    "permanent-failure": FailureKind.PERMANENT_FAILURE,
    "temporary-failure": FailureKind.TEMPORARY_FAILURE,
}


def simulated_outcome(
    notification_id: str,
    service_id: str,
    recipient: str,
    provider: str,
    reference: str | None,
    facts: dict[str, Any] | None = None,
) -> Event:
    outcome = outcome_for_test_key(recipient) or "delivered"
    if outcome in _FAILURES:
        return NotificationFailed(
            notification_id=notification_id,
            service_id=service_id,
            failure_kind=_FAILURES[outcome],
            provider=provider,
            reason="simulated",
            failed_at=now(),
            **(facts or {}),
        )
    return NotificationDelivered(
        notification_id=notification_id,
        service_id=service_id,
        provider=provider,
        provider_reference=reference,
        delivered_at=now(),
        detail="simulated",
        **(facts or {}),
    )
