"""Which callback an event calls for, whether its service wants it, and what it says. Pure: decided
from the event and the cached set of configured callbacks, with no I/O, so an event for a service
without that callback costs nothing more than ``wanted``.

Status events carry everything a callback reports (the notification's facts are copied onto them
by the senders and the receipts service), so no other service's tables are read. An event written
before those facts were carried (``notification_type`` null) calls for no callback.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from notify_callbacks import payloads
from notify_common import statuses
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

NAMESPACE = uuid.UUID("2b8f0c4e-4a51-4f7e-8d0e-61c5e3a9d7a2")
_NAMESPACE_BYTES = NAMESPACE.bytes


class Configured(Protocol):
    def has(self, service_id: str, callback_type: CallbackType) -> bool: ...


def callback_type(event: Event) -> CallbackType | None:
    """The kind of callback ``event`` reports, if any: delivery statuses for final statuses of texts
    and emails and for international ``sent`` texts (not ``pending``), complaints, returned
    letters, inbound texts."""
    if isinstance(event, InboundSmsReceived):
        return CallbackType.INBOUND_SMS
    if event.notification_id is None:
        return None
    if isinstance(event, ComplaintReceived):
        return CallbackType.COMPLAINT
    if isinstance(event, NotificationFailed):
        if event.failure_kind == FailureKind.RETURNED_LETTER:
            return CallbackType.RETURNED_LETTER
        return None if event.notification_type == "letter" else CallbackType.DELIVERY_STATUS
    if isinstance(event, NotificationDelivered):
        # Letters have no delivery-status callbacks, as in Notify.
        return None if event.notification_type == "letter" else CallbackType.DELIVERY_STATUS
    if isinstance(event, NotificationSentToProvider) and event.international and event.channel == "sms":
        return CallbackType.DELIVERY_STATUS
    return None


# The callbacks an event of each type may call for (which one, if any, ``callback_type`` says from
# the whole event); an event of any other type never calls for one.
MAY_CALL_FOR: dict[type[Event], tuple[CallbackType, ...]] = {
    InboundSmsReceived: (CallbackType.INBOUND_SMS,),
    ComplaintReceived: (CallbackType.COMPLAINT,),
    NotificationFailed: (CallbackType.RETURNED_LETTER, CallbackType.DELIVERY_STATUS),
    NotificationDelivered: (CallbackType.DELIVERY_STATUS,),
    NotificationSentToProvider: (CallbackType.DELIVERY_STATUS,),
}


def may_want(event_type: type[Event], service_id: str, configured: Configured) -> bool:
    """Whether an event of ``event_type`` of ``service_id`` may call for a callback the service has:
    False means ``wanted`` is None for every such event, whatever the rest of it says."""
    return any(configured.has(service_id, kind) for kind in MAY_CALL_FOR.get(event_type, ()))


def wanted(event: Event, configured: Configured) -> CallbackType | None:
    """The callback type ``event`` calls for, or None when its service has no such callback."""
    kind = callback_type(event)
    if kind is None or not configured.has(event.service_id, kind):
        return None
    return kind


@dataclass(frozen=True)
class Owed:
    """One callback owed to a service. ``key`` names it in the ledger: the same callback owed
    again (a redelivered or duplicated event) has the same key."""

    key: str
    service_id: str
    callback_type: CallbackType
    payload: dict[str, Any]
    notification_id: str | None = None
    inbound_sms_id: str | None = None

    @property
    def message_id(self) -> str:
        """The Standard Webhooks ``webhook-id``: the same on every attempt, so receivers dedupe."""
        return "msg_" + uuid5_hex(self.key)


def uuid5_hex(name: str) -> str:
    """``uuid.uuid5(NAMESPACE, name).hex``, made from the SHA-1 digest as RFC 4122 says, without
    the ``UUID`` object (whose checks cost more than the hash)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    return digest.hex()


def owed_for(event: Event, kind: CallbackType) -> Owed | None:
    """The callback of type ``kind`` that ``event`` calls for, or None if it carries too little to
    make one. A delivery status is owed once for ``sent`` and once for the first final status,
    as the projection keeps the first final status."""
    if isinstance(event, InboundSmsReceived):
        return Owed(
            f"inbound_sms:{event.inbound_sms_id}", event.service_id, kind, payloads.inbound_sms(event),
            inbound_sms_id=event.inbound_sms_id,
        )  # fmt: skip
    nid = event.notification_id
    if nid is None or getattr(event, "notification_type", None) is None:
        return None
    if isinstance(event, ComplaintReceived):
        return Owed(
            f"complaint:{event.complaint_id}", event.service_id, kind, payloads.complaint(event),
            notification_id=nid,
        )  # fmt: skip
    if isinstance(event, NotificationFailed) and kind == CallbackType.RETURNED_LETTER:
        return Owed(
            f"returned_letter:{nid}",
            event.service_id,
            kind,
            payloads.returned_letter(event),
            notification_id=nid,
        )
    if isinstance(event, NotificationSentToProvider):
        payload = payloads.delivery_status(event, statuses.SENT, event.sent_at, event.sent_at)
        return Owed(f"delivery_status:{nid}:sent", event.service_id, kind, payload, notification_id=nid)
    if isinstance(event, NotificationDelivered):
        status, done = statuses.DELIVERED, event.delivered_at
    elif isinstance(event, NotificationFailed):
        status, done = statuses.FAILURE_KIND_TO_STATUS[str(event.failure_kind)], event.failed_at
    else:
        return None
    payload = payloads.delivery_status(event, status, done, event.notification_sent_at)
    return Owed(f"delivery_status:{nid}:final", event.service_id, kind, payload, notification_id=nid)
