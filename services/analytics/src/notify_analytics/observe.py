"""From a decoded lifecycle event to what analytics counts of it: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUESTED_CHANNELS: dict[str, str] = {
    "SmsRequested": "sms",
    "EmailRequested": "email",
    "LetterRequested": "letter",
}
# Notify's status words (https://docs.notifications.service.gov.uk/rest-api.html#status-email).
STATUS_OF_EVENT: dict[str, str] = {
    "SmsRequested": "created",
    "EmailRequested": "created",
    "LetterRequested": "created",
    "NotificationSentToProvider": "sending",
    "NotificationPending": "pending",
    "NotificationDelivered": "delivered",
}
FAILED = "NotificationFailed"


@dataclass(frozen=True, slots=True)
class Observation:
    """One lifecycle event as analytics sees it. Times are milliseconds since the epoch."""

    event_id: str
    notification_id: str
    occurred_ms: int
    service_id: str
    event_type: str
    status: str
    channel: str | None
    provider: str | None
    created_ms: int | None = None
    sent_ms: int | None = None
    delivered_ms: int | None = None


def _ms(micros: Any) -> int | None:
    return None if micros is None else int(micros) // 1000


def observe(event_type: str, record: dict[str, Any]) -> Observation | None:
    """What to count of an event (its field values with timestamps as microseconds), or ``None``
    for events analytics does not count (complaints, inbound texts, jobs...)."""
    if event_type == FAILED:
        status = str(record.get("failure_kind") or "technical_failure").replace("_", "-")
    else:
        found = STATUS_OF_EVENT.get(event_type)
        if found is None:
            return None
        status = found
    channel = REQUESTED_CHANNELS.get(event_type) or record.get("channel") or record.get("notification_type")
    occurred = _ms(record["occurred_at"])
    assert occurred is not None
    return Observation(
        event_id=str(record["event_id"]),
        notification_id=str(record.get("notification_id") or record["event_id"]),
        occurred_ms=occurred,
        service_id=str(record.get("service_id") or ""),
        event_type=event_type,
        status=status,
        channel=str(channel) if channel else None,
        provider=record.get("provider"),
        created_ms=_ms(record.get("created_at")),
        sent_ms=_ms(record.get("sent_at")),
        delivered_ms=_ms(record.get("delivered_at")),
    )
