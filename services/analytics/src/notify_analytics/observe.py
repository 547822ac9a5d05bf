"""From a decoded lifecycle event to what analytics counts of it: pure, no I/O."""

from __future__ import annotations

from typing import Any, NamedTuple

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
TEST_KEY = "test"


class Observation(NamedTuple):
    """One lifecycle event as analytics sees it. Times are milliseconds since the epoch. A tuple,
    since one is built for every event read."""

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
    # A request made with a test API key: neither it nor its notification's later events count.
    test_key: bool = False


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
    get = record.get
    channel = REQUESTED_CHANNELS.get(event_type) or get("channel") or get("notification_type")
    event_id = str(record["event_id"])
    return Observation(
        event_id,
        str(get("notification_id") or event_id),
        int(record["occurred_at"]) // 1000,
        str(get("service_id") or ""),
        event_type,
        status,
        str(channel) if channel else None,
        get("provider"),
        _ms(get("created_at")),
        _ms(get("sent_at")),
        _ms(get("delivered_at")),
        get("key_type") == TEST_KEY,
    )
