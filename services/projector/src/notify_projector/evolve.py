"""The pure half of the projection: events folded into patches, one per notification or job.

A patch is a value of a join-semilattice: ``merge`` is associative, commutative and idempotent, so
folding a batch in any order, with any duplicates, gives the same patch, and merging the patch into
the stored row (the same rule, in SQL, in ``sql.py``) gives the same row. That is what makes the
projection independent of event order. The rules:

* request columns come from the ``*Requested`` event (every copy carries the same values);
* the status is the one that ``wins``: a higher rank, or among final statuses the earliest (then
  the smaller name); completion time and failure reason travel with the status;
* ``sent_at`` is the earliest, ``sent_by`` the smallest provider name seen on a send event,
  ``billable_units`` the largest, ``updated_at`` and ``last_event_at`` the latest;
* the service id is the real one as soon as any event brings it (receipts carry the nil UUID).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

import orjson

from notify_common import statuses
from notify_common.events import (
    EmailRequested,
    Event,
    JobProgressed,
    JobRequested,
    JobStatus,
    JobStatusChanged,
    LetterRequested,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
    SmsRequested,
)
from notify_common.fast_init import fast_init

NIL_ID = "00000000-0000-0000-0000-000000000000"
T = TypeVar("T")


def _least(a: T | None, b: T | None) -> T | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a <= b else b  # type: ignore[operator]


def _greatest(a: T | None, b: T | None) -> T | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b  # type: ignore[operator]


def rank(status: str) -> int:
    return statuses.STATUS_RANK.get(status, -1)


def wins(new: str, new_at: datetime | None, cur: str, cur_at: datetime | None, rank_of: Any = rank) -> bool:
    """Whether status ``new`` takes over from ``cur``; SQL twin: ``notify_status_wins``."""
    new_rank, cur_rank = rank_of(new), rank_of(cur)
    if new_rank != cur_rank:
        return bool(new_rank > cur_rank)
    if new_rank < statuses.FINAL_RANK or new_at is None or cur_at is None:
        return False
    return (new_at, new) < (cur_at, cur)


@fast_init  # one or more for every event projected
@dataclass(frozen=True, slots=True)
class NotificationPatch:
    id: str
    service_id: str
    request: dict[str, Any] | None
    status: str
    status_at: datetime | None
    completed_at: datetime | None
    failure_reason: str | None
    sent_at: datetime | None
    sent_by: str | None
    billable_units: int
    updated_at: datetime | None
    last_event_at: datetime | None

    def merge(self, other: NotificationPatch) -> NotificationPatch:
        ours = not wins(other.status, other.status_at, self.status, self.status_at)
        lead = self if ours else other
        return NotificationPatch(
            id=self.id,
            service_id=self.service_id if self.service_id != NIL_ID else other.service_id,
            request=self.request if self.request is not None else other.request,
            status=lead.status,
            status_at=lead.status_at,
            completed_at=lead.completed_at,
            failure_reason=lead.failure_reason,
            sent_at=_least(self.sent_at, other.sent_at),
            sent_by=_least(self.sent_by, other.sent_by),
            billable_units=max(self.billable_units, other.billable_units),
            updated_at=_greatest(self.updated_at, other.updated_at),
            last_event_at=_greatest(self.last_event_at, other.last_event_at),
        )


def request_columns(event: SmsRequested | EmailRequested | LetterRequested) -> dict[str, Any]:
    row: dict[str, Any] = {
        "template_id": event.template_id,
        "template_version": event.template_version,
        "key_type": event.key_type,
        "api_key_id": event.api_key_id,
        "job_id": event.job_id,
        "job_row_number": event.job_row_number,
        "client_reference": event.client_reference,
        "body": event.body,
        "created_at": event.created_at,
        "address": None,
        "subject": None,
        "postage": None,
        "international": False,
        "rate_multiplier": 1,
        "recipient_as_sent": None,
        "one_click_unsubscribe_url": None,
        "scheduled_for": event.scheduled_for,
        "language": event.language,
    }
    if isinstance(event, SmsRequested):
        row.update(
            notification_type="sms",
            recipient=event.phone_number,
            recipient_as_sent=event.phone_number_as_sent,
            international=event.international,
            rate_multiplier=event.rate_multiplier,
        )
    elif isinstance(event, EmailRequested):
        row.update(
            notification_type="email",
            recipient=event.email_address,
            recipient_as_sent=event.email_address_as_sent,
            subject=event.subject,
            one_click_unsubscribe_url=event.one_click_unsubscribe_url,
        )
    else:
        row.update(
            notification_type="letter",
            recipient=None,
            subject=event.subject,
            postage=event.postage,
            address=orjson.dumps(list(event.address_lines)).decode(),
        )
    return row


def _status_patch(
    event: Event,
    status: str,
    status_at: datetime | None,
    completed_at: datetime | None = None,
    failure_reason: str | None = None,
) -> NotificationPatch:
    """The patch of a status event (built directly: ``dataclasses.replace`` costs several times
    a constructor, once per event)."""
    at = event.occurred_at
    return NotificationPatch(
        id=event.notification_id or "", service_id=event.service_id, request=None, status=status,
        status_at=status_at, completed_at=completed_at, failure_reason=failure_reason, sent_at=None,
        sent_by=None, billable_units=0, updated_at=at, last_event_at=at,
    )  # fmt: skip


def notification_patch(event: Event) -> NotificationPatch | None:
    """The patch one event makes to its notification's row, or None if it makes none."""
    if event.notification_id is None:
        return None
    at = event.occurred_at
    if isinstance(event, SmsRequested | EmailRequested | LetterRequested):
        return NotificationPatch(
            id=event.notification_id, service_id=event.service_id, request=request_columns(event),
            status=statuses.CREATED, status_at=at, completed_at=None, failure_reason=None, sent_at=None,
            sent_by=None, billable_units=event.fragment_count if isinstance(event, SmsRequested) else 0,
            updated_at=None, last_event_at=at,
        )  # fmt: skip
    if isinstance(event, NotificationSentToProvider):
        international = event.international and event.channel == "sms"
        status = statuses.SENT if international else statuses.SENDING
        completed = event.sent_at if status == statuses.SENT else None
        return NotificationPatch(
            id=event.notification_id, service_id=event.service_id, request=None, status=status,
            status_at=completed or at, completed_at=completed, failure_reason=None, sent_at=event.sent_at,
            sent_by=event.provider, billable_units=event.billable_units, updated_at=at, last_event_at=at,
        )  # fmt: skip
    if isinstance(event, NotificationPending):
        return _status_patch(event, statuses.PENDING, at)
    if isinstance(event, NotificationDelivered):
        done = event.delivered_at
        return _status_patch(event, statuses.DELIVERED, done, done)
    if isinstance(event, NotificationFailed):
        done = event.failed_at
        status = statuses.FAILURE_KIND_TO_STATUS[str(event.failure_kind)]
        return _status_patch(event, status, done, done, event.reason)
    return None


# ---- jobs ------------------------------------------------------------------------------------

JOB_STATUS_WORDS = {
    JobStatus.PENDING: "pending",
    JobStatus.IN_PROGRESS: "in progress",
    JobStatus.FINISHED: "finished",
    JobStatus.CANCELLED: "cancelled",
    JobStatus.SENDING_LIMITS_EXCEEDED: "sending limits exceeded",
    JobStatus.SCHEDULED: "scheduled",
    JobStatus.ERROR: "error",
}
JOB_FINAL_RANK = 3
JOB_STATUS_RANK = {
    "scheduled": 0,
    "pending": 1,
    "in progress": 2,
    **dict.fromkeys(("finished", "cancelled", "sending limits exceeded", "error"), JOB_FINAL_RANK),
}


def job_rank(status: str) -> int:
    """SQL twin: ``notify_job_status_rank``."""
    return JOB_STATUS_RANK.get(status, -1)


def job_wins(new: str, new_at: datetime | None, cur: str, cur_at: datetime | None) -> bool:
    new_rank, cur_rank = job_rank(new), job_rank(cur)
    if new_rank != cur_rank:
        return new_rank > cur_rank
    if new_rank < JOB_FINAL_RANK or new_at is None or cur_at is None:
        return False
    return (new_at, new) < (cur_at, cur)


@fast_init
@dataclass(frozen=True, slots=True)
class JobPatch:
    id: str
    service_id: str | None
    request: dict[str, Any] | None
    status: str
    status_at: datetime | None
    rows_emitted: int
    processing_started: datetime | None
    processing_finished: datetime | None
    updated_at: datetime | None

    def merge(self, other: JobPatch) -> JobPatch:
        lead = other if job_wins(other.status, other.status_at, self.status, self.status_at) else self
        return JobPatch(
            id=self.id,
            service_id=self.service_id or other.service_id,
            request=self.request if self.request is not None else other.request,
            status=lead.status,
            status_at=lead.status_at,
            rows_emitted=max(self.rows_emitted, other.rows_emitted),
            processing_started=_least(self.processing_started, other.processing_started),
            processing_finished=_least(self.processing_finished, other.processing_finished),
            updated_at=_greatest(self.updated_at, other.updated_at),
        )


def job_patch(event: Event) -> JobPatch | None:
    if not isinstance(event, JobRequested | JobStatusChanged | JobProgressed):
        return None
    at = event.occurred_at
    base = JobPatch(event.job_id, event.service_id, None, "", at, 0, None, None, at)
    if isinstance(event, JobRequested):
        request = {
            "template_id": event.template_id,
            "template_version": event.template_version,
            "original_file_name": event.original_file_name,
            "created_by": event.created_by,
            "notification_count": event.row_count,
            "scheduled_for": event.scheduled_for,
            "created_at": at,
        }
        status = "scheduled" if event.scheduled_for is not None else "pending"
        return replace(base, request=request, status=status)
    if isinstance(event, JobStatusChanged):
        word = JOB_STATUS_WORDS.get(event.status, "error")
        return replace(
            base, status=word,
            processing_started=at if word == "in progress" else None,
            processing_finished=at if word == "finished" else None,
        )  # fmt: skip
    return replace(base, rows_emitted=event.rows_emitted)


def fold(patches: list[T | None]) -> dict[str, T]:
    """Merge patches by id (patches are NotificationPatch or JobPatch)."""
    out: dict[str, Any] = {}
    for patch in patches:
        if patch is None:
            continue
        key = patch.id  # type: ignore[attr-defined]
        current = out.get(key)
        out[key] = patch if current is None else current.merge(patch)
    return out
