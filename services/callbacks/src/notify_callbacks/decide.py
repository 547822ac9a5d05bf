"""Which callback an event could call for, and whether any configured service might want it.
Pure: decided from the event and the cached set of configured callbacks, with no I/O, so an event
for a service without that callback costs nothing more than this."""

from __future__ import annotations

from typing import Protocol

from notify_common.events import (
    CallbackType,
    ComplaintReceived,
    Event,
    FailureKind,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationFailed,
    NotificationSentToProvider,
)

# Receipts that name only the notification (SMS and letter receipts) carry this service id.
UNKNOWN_SERVICE = "00000000-0000-0000-0000-000000000000"


class Configured(Protocol):
    def has(self, service_id: str, callback_type: CallbackType) -> bool: ...

    def any(self, callback_type: CallbackType) -> bool: ...


def callback_type(event: Event) -> CallbackType | None:
    """The kind of callback ``event`` reports, if any: delivery statuses for final statuses and
    international ``sent`` texts (not ``pending``), complaints, returned letters, inbound texts."""
    if isinstance(event, InboundSmsReceived):
        return CallbackType.INBOUND_SMS
    if event.notification_id is None:
        return None
    if isinstance(event, ComplaintReceived):
        return CallbackType.COMPLAINT
    if isinstance(event, NotificationFailed):
        if event.failure_kind == FailureKind.RETURNED_LETTER:
            return CallbackType.RETURNED_LETTER
        return CallbackType.DELIVERY_STATUS
    if isinstance(event, NotificationDelivered):
        return CallbackType.DELIVERY_STATUS
    if isinstance(event, NotificationSentToProvider) and event.international and event.channel == "sms":
        return CallbackType.DELIVERY_STATUS
    return None


def wanted(event: Event, configured: Configured) -> CallbackType | None:
    """The callback type to look into for ``event``, or None when no configured service can want
    it. An event with the unknown service id is worth a look while any service has that callback;
    the service is then learnt from the projection."""
    kind = callback_type(event)
    if kind is None:
        return None
    if event.service_id == UNKNOWN_SERVICE:
        return kind if configured.any(kind) else None
    return kind if configured.has(event.service_id, kind) else None
