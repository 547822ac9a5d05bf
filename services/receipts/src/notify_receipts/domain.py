"""Pure translations of what providers post into lifecycle events. No I/O here.

Event ids of receipts that a provider may post twice are derived from the provider's own ids, so a
redelivered receipt produces the very same event (and complaint id); the projection would absorb
a duplicate anyway, but callbacks and complaints stay single this way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import UTC, datetime
from hashlib import sha1
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from notify_common.events import (
    NOTIFICATION_FACTS,
    ComplaintReceived,
    Event,
    FailureKind,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    new_event_id,
    now,
)
from notify_receipts.codes import COMPLAINT, DELIVERED, PENDING, ses_outcome

UNKNOWN_SERVICE = "00000000-0000-0000-0000-000000000000"
NAMESPACE = uuid.UUID("6f1d2b0e-8c53-4a8e-9d0f-3f4c1e2a7b10")
LONDON = ZoneInfo("Europe/London")


_NAMESPACE_BYTES = NAMESPACE.bytes


def stable_id(*parts: str) -> str:
    """``str(uuid.uuid5(NAMESPACE, ":".join(parts)))``, made from the hash's bytes directly: one
    for every receipt, and the ``UUID`` object built and formatted between cost ten times the hash."""
    digest = bytearray(sha1(_NAMESPACE_BYTES + ":".join(parts).encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def receipt_event(
    notification_id: str,
    provider: str,
    outcome: str,
    detail: str | None,
    *,
    service_id: str = UNKNOWN_SERVICE,
    provider_reference: str | None = None,
    at: datetime | None = None,
    event_id: str | None = None,
) -> Event:
    """The lifecycle event for a receipt. SMS and letter receipts name only the notification (our
    reference), so until it is ``enriched`` with what the send event told this service the
    envelope carries the nil UUID as service id; only the unchecked topic ever sees it so. Without
    ``event_id``, the id is
    derived from the provider, the reference, the outcome and the detail: the same receipt posted
    twice (or taken unchecked and passed on later) is the very same event."""
    when = at or now()
    common: dict[str, Any] = {
        "event_id": event_id or stable_id("receipt", provider, notification_id, outcome, detail or ""),
        "notification_id": notification_id,
        "service_id": service_id,
    }
    if outcome == DELIVERED:
        return NotificationDelivered(
            **common, provider=provider, provider_reference=provider_reference or notification_id,
            delivered_at=when, detail=detail,
        )  # fmt: skip
    if outcome == PENDING:
        return NotificationPending(**common, provider=provider, detail=detail)
    return NotificationFailed(
        **common, failure_kind=FailureKind(outcome), provider=provider, reason=detail, failed_at=when
    )


@dataclass(frozen=True)
class Known:
    """A notification a provider was given, as its ``NotificationSentToProvider`` told this
    service: who sent it through which provider, and the details its status events carry."""

    notification_id: str
    service_id: str
    provider: str
    provider_reference: str | None
    sent_at: datetime
    facts: Mapping[str, Any]


def known_from(row: Mapping[str, Any]) -> Known:
    facts = {name: row[name] for name in NOTIFICATION_FACTS}
    if facts["template_id"] is not None:
        facts["template_id"] = str(facts["template_id"])
    return Known(
        str(row["notification_id"]), str(row["service_id"]), str(row["provider"]), row["provider_reference"],
        row["sent_at"], facts,
    )  # fmt: skip


def enriched(event: Event, known: Known) -> Event:
    """``event`` with its notification's service and details, as its consumers need them."""
    changes: dict[str, Any] = {**known.facts, "notification_sent_at": known.sent_at}
    changes["service_id"] = known.service_id
    cls = type(event)
    setters = _SETTERS[cls] if cls in _SETTERS else _SETTERS.setdefault(cls, _slot_setters(cls))
    if setters is None:
        return replace(event, **changes)
    if not changes.keys() <= setters.keys():
        raise TypeError(f"{cls.__name__} has no field {sorted(changes.keys() - setters.keys())}")
    copy = object.__new__(cls)
    for name, put in setters.items():
        put(copy, changes[name] if name in changes else getattr(event, name))
    return copy


# Every receipt's event is copied here. ``dataclasses.replace`` reads the class's field definitions
# on each call and passes every value through the frozen ``__init__``'s generic
# ``object.__setattr__``: about three times the cost of setting each slot through its own descriptor.
_SETTERS: dict[type, dict[str, Callable[[object, Any], None]] | None] = {}


def _slot_setters(cls: type) -> dict[str, Callable[[object, Any], None]] | None:
    """Each field's own slot setter, for a frozen slots dataclass whose ``__init__`` does nothing
    but set its fields (so a copy made through them equals ``replace``'s); None for any other."""
    if not is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    defined = fields(cls)
    inherited = {name for base in cls.__mro__[1:] for name in getattr(base, "__slots__", ())}
    if (
        not all(f.init for f in defined)
        or set(getattr(cls, "__slots__", ())) != {f.name for f in defined} - inherited
    ):
        return None
    return {f.name: getattr(cls, f.name).__set__ for f in defined}


@dataclass(frozen=True)
class SesEvent:
    """The parts of an SES notification we use. Recipient addresses are never read."""

    message_id: str  # SES MessageId: our provider reference
    event_type: str
    outcome: str | None
    happened_at: datetime
    mail_sent_at: datetime | None
    bounce_type: str | None
    feedback_id: str | None
    complaint_type: str | None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_ses(message: dict[str, Any]) -> SesEvent:
    """An SES notification (``notificationType``) or configuration-set event (``eventType``)."""
    event_type = str(message.get("notificationType") or message.get("eventType") or "")
    mail = message.get("mail") or {}
    detail = message.get(event_type.lower()) or {}
    if not isinstance(mail, dict) or not isinstance(detail, dict) or not mail.get("messageId"):
        raise ValueError("not an SES notification")
    bounce_type = detail.get("bounceType") if event_type == "Bounce" else None
    return SesEvent(
        message_id=str(mail["messageId"]),
        event_type=event_type,
        outcome=ses_outcome(event_type, bounce_type),
        happened_at=_timestamp(detail.get("timestamp")) or now(),
        mail_sent_at=_timestamp(mail.get("timestamp")),
        bounce_type=str(bounce_type) if bounce_type else None,
        feedback_id=str(detail["feedbackId"]) if detail.get("feedbackId") else None,
        complaint_type=str(detail.get("complaintFeedbackType") or "") or None,
    )


def ses_event(ses: SesEvent, notification_id: str, service_id: str) -> Event | None:
    """The lifecycle event for a resolved SES notification (None for types we ignore)."""
    if ses.outcome is None:
        return None
    event_id = stable_id("ses", ses.message_id, ses.event_type, ses.feedback_id or "")
    if ses.outcome == COMPLAINT:
        return ComplaintReceived(
            event_id=event_id, notification_id=notification_id, service_id=service_id,
            complaint_id=stable_id("complaint", ses.feedback_id or ses.message_id),
            complaint_type=ses.complaint_type, feedback_id=ses.feedback_id, complained_at=ses.happened_at,
        )  # fmt: skip
    detail = "ses " + ses.event_type.lower() + (f" {ses.bounce_type.lower()}" if ses.bounce_type else "")
    return receipt_event(
        notification_id, "ses", ses.outcome, detail, service_id=service_id,
        provider_reference=ses.message_id, at=ses.happened_at, event_id=event_id,
    )  # fmt: skip


# ---- inbound text messages ---------------------------------------------------------------------


def e164(number: str) -> str:
    """A UK-style number as E.164 digits without '+': 07700900123 -> 447700900123."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return "44" + digits[1:]
    return digits


def local_format(number: str) -> str:
    """447700900123 -> 07700900123 (Notify keeps inbound numbers this way)."""
    digits = e164(number)
    return "0" + digits[2:] if digits.startswith("44") else digits


@dataclass(frozen=True)
class InboundText:
    provider: str
    provider_reference: str | None
    user_number: str
    notify_number: str
    content: str
    received_at: datetime


def _local_time(value: str | None) -> datetime:
    """Providers send local (London) wall-clock times, ``YYYY-MM-DD HH:MM:SS``."""
    if not value:
        return now()
    try:
        parsed = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return now()
    return parsed.replace(tzinfo=LONDON).astimezone(UTC)


def parse_mmg_inbound(body: dict[str, Any]) -> InboundText:
    """MMG posts JSON with URL-encoded ``Message`` and ``DateReceived`` ('+' for spaces)."""
    message = unquote(str(body["Message"]).replace("+", " "))
    received = unquote(str(body.get("DateReceived") or "").replace("+", " "))
    return InboundText(
        provider="mmg",
        provider_reference=str(body["ID"]) if body.get("ID") else None,
        user_number=e164(str(body["MSISDN"])),
        notify_number=e164(str(body["Number"])),
        content=message,
        received_at=_local_time(received),
    )


def parse_firetext_inbound(form: dict[str, str]) -> InboundText:
    return InboundText(
        provider="firetext",
        provider_reference=form.get("reference") or None,
        user_number=e164(form["source"]),
        notify_number=e164(form["destination"]),
        content=form["message"],
        received_at=_local_time(form.get("time")),
    )


def inbound_event(text: InboundText, service_id: str) -> InboundSmsReceived:
    inbound_id = (
        stable_id("inbound", text.provider, text.provider_reference)
        if text.provider_reference
        else new_event_id()
    )
    return InboundSmsReceived(
        event_id=stable_id("inbound-event", inbound_id),
        service_id=service_id,
        inbound_sms_id=inbound_id,
        user_number=text.user_number,
        notify_number=text.notify_number,
        # PostgreSQL's text cannot hold a NUL: stored as U+FFFD, the replacement character.
        content=text.content.replace("\x00", "\ufffd"),
        provider=text.provider,
        provider_reference=text.provider_reference,
        received_at=text.received_at,
    )
