"""The platform's events: one immutable dataclass per Avro schema in ``schemas/``.

Every event starts with the envelope of :class:`Event` (event id, notification id, service id,
occurred-at, correlation id), in the same order as the fields of its ``.avsc`` file; the contract
tests hold the classes and the schemas to each other. Timestamps are timezone-aware UTC datetimes.
Enum fields are ``StrEnum`` members whose values are exactly the Avro symbols, so they compare
equal to the plain strings. The wire format is ``notify_common.codec``; docs/events.md describes it.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from notify_common.fast_init import fast_init

# The RFC 4122 variant's first hexadecimal digit (binary 10xx) for each random one.
_VARIANT_DIGIT = {f"{d:x}": f"{8 | d & 3:x}" for d in range(16)}


# Ids are made this many at a time, from one ``os.urandom`` call: a system call per id was most of
# an id's cost on a virtual machine, and the api-gateway makes two per send.
_IDS_AT_ONCE = 256
_ids: Iterator[str] = iter(())


def _more_ids() -> Iterator[str]:
    h, v = os.urandom(16 * _IDS_AT_ONCE).hex(), _VARIANT_DIGIT
    each = [h[i : i + 32] for i in range(0, len(h), 32)]
    return iter([f"{x[:8]}-{x[8:12]}-4{x[13:16]}-{v[x[16]]}{x[17:20]}-{x[20:]}" for x in each])


def random_uuid() -> str:
    """``str(uuid.uuid4())``, made from 16 bytes of ``os.urandom`` as it makes them, without building
    a ``UUID`` object on the way, and drawn from ids made together (``_IDS_AT_ONCE``). Taking the
    next of a list's iterator is one step under the GIL, so threads never draw the same id."""
    global _ids
    made = next(_ids, None)
    if made is None:
        _ids = _more_ids()
        made = next(_ids)
    return made


def _forget_ids() -> None:
    # A forked child must not hand out the ids its parent still holds.
    global _ids
    _ids = iter(())


os.register_at_fork(after_in_child=_forget_ids)


def new_event_id() -> str:
    """A fresh random event id (UUID4, as a string)."""
    return random_uuid()


def now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class Channel(enum.StrEnum):
    """Avro ``Channel``: a closed set, a new channel would bring its own events."""

    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


class FailureKind(enum.StrEnum):
    """Avro ``FailureKind``: the Notify failure statuses. Unknown symbols read as technical_failure."""

    TECHNICAL_FAILURE = "technical_failure"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"
    VALIDATION_FAILED = "validation_failed"
    VIRUS_SCAN_FAILED = "virus_scan_failed"
    RETURNED_LETTER = "returned_letter"
    CANCELLED = "cancelled"


class JobStatus(enum.StrEnum):
    """Avro ``JobStatus``: the Notify job statuses. Unknown symbols read as error."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    SENDING_LIMITS_EXCEEDED = "sending_limits_exceeded"
    SCHEDULED = "scheduled"
    ERROR = "error"


class CallbackType(enum.StrEnum):
    """Avro ``CallbackType``: what a service callback reports. A closed set."""

    DELIVERY_STATUS = "delivery_status"
    COMPLAINT = "complaint"
    INBOUND_SMS = "inbound_sms"
    RETURNED_LETTER = "returned_letter"


class CallbackOutcome(enum.StrEnum):
    """Avro ``CallbackOutcome``: how one callback attempt ended. A closed set."""

    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """The envelope every event starts with. Not an event itself."""

    schema_name: ClassVar[str]

    event_id: str = field(default_factory=new_event_id)
    notification_id: str | None = None
    service_id: str
    occurred_at: datetime = field(default_factory=now)
    correlation_id: str | None = None

    @property
    def partition_key(self) -> str:
        """The Kafka key: the notification id, so one notification's events stay in order."""
        return self.notification_id if self.notification_id is not None else self.event_id


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationRequested(Event):
    """The fields every ``*Requested`` event shares. Not an event itself."""

    template_id: str
    template_version: int
    key_type: str
    api_key_id: str | None = None
    job_id: str | None = None
    job_row_number: int | None = None
    client_reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsRequested(NotificationRequested):
    schema_name: ClassVar[str] = "SmsRequested"

    phone_number: str
    international: bool
    sender: str
    body: str
    fragment_count: int
    rate_multiplier: int = 1
    created_at: datetime
    # As the service gave it, for reading back; ``phone_number`` is the normalised form senders use.
    phone_number_as_sent: str | None = None
    scheduled_for: datetime | None = None
    # The template's language the message was written in (a BCP 47 tag); None in older events.
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailRequested(NotificationRequested):
    schema_name: ClassVar[str] = "EmailRequested"

    email_address: str
    subject: str
    body: str
    from_name: str
    reply_to: str | None = None
    one_click_unsubscribe_url: str | None = None
    created_at: datetime
    # As the service gave it, for reading back; ``email_address`` is the lower-cased form senders use.
    email_address_as_sent: str | None = None
    scheduled_for: datetime | None = None
    # The local part of the From address; None in older events, when the email-sender looks it up.
    email_from: str | None = None
    # The template asks for the platform's hosted unsubscribe link (body and List-Unsubscribe).
    has_unsubscribe_link: bool = False
    # The service's email branding when accepted (notify_common.branding); None in older events,
    # which are sent with GOV.UK's, the default.
    branding_type: str | None = None
    branding_name: str | None = None
    branding_colour: str | None = None
    branding_text: str | None = None
    branding_logo: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LetterRequested(NotificationRequested):
    schema_name: ClassVar[str] = "LetterRequested"

    address_lines: tuple[str, ...]
    postage: str
    subject: str
    body: str
    precompiled: bool = False
    pdf_key: str | None = None
    created_at: datetime
    scheduled_for: datetime | None = None
    # "" when there is none; None in older events, when the letter-sender looks it up.
    contact_block: str | None = None
    # The key of the service's letter logo in the branding bucket; None for no logo.
    letter_logo: str | None = None
    language: str | None = None
    # A bilingual letter's Welsh part, printed first; None for a letter in English only.
    welsh_subject: str | None = None
    welsh_body: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationSentToProvider(Event):
    schema_name: ClassVar[str] = "NotificationSentToProvider"

    channel: Channel
    provider: str
    provider_reference: str | None = None
    sent_at: datetime
    billable_units: int = 0
    international: bool = False
    notification_type: str | None = None
    client_reference: str | None = None
    recipient: str | None = None
    template_id: str | None = None
    template_version: int | None = None
    created_at: datetime | None = None
    job_row_number: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationPending(Event):
    schema_name: ClassVar[str] = "NotificationPending"

    provider: str
    detail: str | None = None
    notification_type: str | None = None
    client_reference: str | None = None
    recipient: str | None = None
    template_id: str | None = None
    template_version: int | None = None
    created_at: datetime | None = None
    job_row_number: int | None = None
    notification_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationDelivered(Event):
    schema_name: ClassVar[str] = "NotificationDelivered"

    provider: str
    provider_reference: str | None = None
    delivered_at: datetime
    detail: str | None = None
    notification_type: str | None = None
    client_reference: str | None = None
    recipient: str | None = None
    template_id: str | None = None
    template_version: int | None = None
    created_at: datetime | None = None
    job_row_number: int | None = None
    notification_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationFailed(Event):
    """Also how a timeout is recorded: temporary_failure with reason "timeout"."""

    schema_name: ClassVar[str] = "NotificationFailed"

    failure_kind: FailureKind
    provider: str | None = None
    reason: str | None = None
    failed_at: datetime
    notification_type: str | None = None
    client_reference: str | None = None
    recipient: str | None = None
    template_id: str | None = None
    template_version: int | None = None
    created_at: datetime | None = None
    job_row_number: int | None = None
    notification_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplaintReceived(Event):
    schema_name: ClassVar[str] = "ComplaintReceived"

    complaint_id: str
    complaint_type: str | None = None
    feedback_id: str | None = None
    complained_at: datetime
    notification_type: str | None = None
    client_reference: str | None = None
    recipient: str | None = None
    template_id: str | None = None
    template_version: int | None = None
    created_at: datetime | None = None
    job_row_number: int | None = None
    notification_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRequested(Event):
    schema_name: ClassVar[str] = "JobRequested"

    job_id: str
    template_id: str
    template_version: int
    channel: Channel
    key_type: str
    bucket: str
    object_key: str
    original_file_name: str
    row_count: int
    scheduled_for: datetime | None = None
    created_by: str | None = None
    contact_list_id: str | None = None

    @property
    def partition_key(self) -> str:
        return self.job_id


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStatusChanged(Event):
    schema_name: ClassVar[str] = "JobStatusChanged"

    job_id: str
    status: JobStatus
    reason: str | None = None

    @property
    def partition_key(self) -> str:
        return self.job_id


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelJob(Event):
    """A command, not a fact: the job-splitter cancels the job if it is still scheduled."""

    schema_name: ClassVar[str] = "CancelJob"

    job_id: str
    key_type: str | None = None

    @property
    def partition_key(self) -> str:
        return self.job_id


@dataclass(frozen=True, slots=True, kw_only=True)
class JobProgressed(Event):
    schema_name: ClassVar[str] = "JobProgressed"

    job_id: str
    rows_emitted: int
    row_count: int

    @property
    def partition_key(self) -> str:
        return self.job_id


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundSmsReceived(Event):
    schema_name: ClassVar[str] = "InboundSmsReceived"

    inbound_sms_id: str
    user_number: str
    notify_number: str
    content: str
    provider: str
    provider_reference: str | None = None
    received_at: datetime

    @property
    def partition_key(self) -> str:
        return self.inbound_sms_id


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttempted(Event):
    """One call to a service's callback URL. Never carries the URL or the bearer token."""

    schema_name: ClassVar[str] = "CallbackAttempted"

    callback_type: CallbackType
    attempt: int
    outcome: CallbackOutcome
    status_code: int | None = None
    duration_ms: int
    reason: str | None = None
    inbound_sms_id: str | None = None

    @property
    def partition_key(self) -> str:
        if self.notification_id is not None:
            return self.notification_id
        return self.inbound_sms_id if self.inbound_sms_id is not None else self.event_id


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsubscribeRequested(Event):
    """A recipient followed the hosted unsubscribe link of an email (no personal data: the
    projector takes the address from the notification it already holds)."""

    schema_name: ClassVar[str] = "UnsubscribeRequested"

    template_id: str | None = None
    template_version: int | None = None
    requested_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceHistoryRecorded(Event):
    """A change to a service's configuration, made through the management plane: who made it
    (``actor_type`` user, admin_token or system, and ``actor_id``), what kind of change it was,
    what it was made to (``subject_id``: a key, a template, a team member...) and ``changes``, a
    JSON list of ``{"field", "before", "after"}`` in which a secret's values are never carried,
    only ``"changed"``. Keyed by the service, so one service's history stays in order."""

    schema_name: ClassVar[str] = "ServiceHistoryRecorded"

    kind: str
    actor_type: str
    actor_id: str
    subject_id: str | None = None
    changes: str = "[]"

    @property
    def partition_key(self) -> str:
        return self.service_id


EVENT_TYPES: tuple[type[Event], ...] = (
    SmsRequested,
    EmailRequested,
    LetterRequested,
    NotificationSentToProvider,
    NotificationPending,
    NotificationDelivered,
    NotificationFailed,
    ComplaintReceived,
    JobRequested,
    JobStatusChanged,
    JobProgressed,
    InboundSmsReceived,
    CallbackAttempted,
    CancelJob,
    UnsubscribeRequested,
    ServiceHistoryRecorded,
)

EVENT_TYPES_BY_NAME: dict[str, type[Event]] = {t.schema_name: t for t in EVENT_TYPES}


# The facts about a notification that its status events carry, copied from its request, so that
# their consumers (receipts, callbacks) need not look the notification up anywhere.
NOTIFICATION_FACTS = (
    "notification_type",
    "client_reference",
    "recipient",
    "template_id",
    "template_version",
    "created_at",
    "job_row_number",
)


def facts_of(request: NotificationRequested) -> dict[str, Any]:
    """The facts a status event of ``request``'s notification carries, as keyword arguments. The
    recipient is the one the service gave (what a callback's ``to`` reports); letters have none."""
    recipient: str | None = None
    if isinstance(request, SmsRequested):
        kind, recipient = "sms", request.phone_number_as_sent or request.phone_number
    elif isinstance(request, EmailRequested):
        kind, recipient = "email", request.email_address_as_sent or request.email_address
    else:
        kind = "letter"
    return {
        "notification_type": kind,
        "client_reference": request.client_reference,
        "recipient": recipient,
        "template_id": request.template_id,
        "template_version": request.template_version,
        "created_at": getattr(request, "created_at", None),
        "job_row_number": request.job_row_number,
    }


def facts_carried(event: Event) -> dict[str, Any]:
    """The facts ``event`` carries (all None in events written before they were added)."""
    return {name: getattr(event, name, None) for name in NOTIFICATION_FACTS}


# Every event class is made through notify_common.fast_init's __init__: several events are made for
# each notification on its way, and a frozen dataclass's own __init__ was most of making one. (The
# classes named in this module: ``Event.__subclasses__()`` also lists the classes that
# ``dataclass(slots=True)`` made again with slots, until they are collected.)
for _event_class in [v for v in list(globals().values()) if isinstance(v, type) and issubclass(v, Event)]:
    fast_init(_event_class)
