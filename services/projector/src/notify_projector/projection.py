"""Folds lifecycle events into the ``notifications`` view in PostgreSQL.

Every write is an idempotent upsert guarded by ``notify_status_rank``, so a batch may be replayed,
duplicated or reordered and the view still ends in the same state: a status only ever moves
forward, the first final status wins, and a request event arriving after its status events fills
in the request's columns without touching the status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import statuses
from notify_common.events import (
    EmailRequested,
    Event,
    LetterRequested,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
    SmsRequested,
)

UPSERT_REQUESTED = text("""
INSERT INTO notifications (id, service_id, template_id, template_version, notification_type, key_type,
    api_key_id, job_id, job_row_number, recipient, address, client_reference, status, body, subject,
    postage, international, billable_units, rate_multiplier, created_at, last_event_at)
VALUES (:id, :service_id, :template_id, :template_version, :notification_type, :key_type, :api_key_id,
    :job_id, :job_row_number, :recipient, CAST(:address AS jsonb), :client_reference, 'created', :body,
    :subject, :postage, :international, :billable_units, :rate_multiplier, :created_at, :occurred_at)
ON CONFLICT (id) DO UPDATE SET
    service_id = EXCLUDED.service_id, template_id = EXCLUDED.template_id,
    template_version = EXCLUDED.template_version,
    notification_type = EXCLUDED.notification_type, key_type = EXCLUDED.key_type,
    api_key_id = EXCLUDED.api_key_id, job_id = EXCLUDED.job_id, job_row_number = EXCLUDED.job_row_number,
    recipient = EXCLUDED.recipient, address = EXCLUDED.address,
    client_reference = EXCLUDED.client_reference, body = EXCLUDED.body, subject = EXCLUDED.subject,
    postage = EXCLUDED.postage, international = EXCLUDED.international,
    billable_units = GREATEST(notifications.billable_units, EXCLUDED.billable_units),
    rate_multiplier = EXCLUDED.rate_multiplier, created_at = EXCLUDED.created_at
""")

# The status and what belongs to it (completion time, failure reason) change only when the new
# status ranks higher; facts that any event may bring first (sent_at, provider, billable units)
# are kept from whichever event brought them.
UPSERT_STATUS = text(
    """
INSERT INTO notifications (id, service_id, status, sent_at, sent_by, billable_units, updated_at,
    completed_at, failure_reason, last_event_at)
VALUES (:id, :service_id, :status, :sent_at, :sent_by, :billable_units, :occurred_at,
    :completed_at, :failure_reason, :occurred_at)
ON CONFLICT (id) DO UPDATE SET
    status = CASE WHEN ADVANCES THEN EXCLUDED.status ELSE notifications.status END,
    completed_at = CASE WHEN ADVANCES THEN EXCLUDED.completed_at ELSE notifications.completed_at END,
    failure_reason = CASE WHEN ADVANCES THEN EXCLUDED.failure_reason ELSE notifications.failure_reason END,
    updated_at = GREATEST(notifications.updated_at, EXCLUDED.updated_at),
    sent_at = COALESCE(notifications.sent_at, EXCLUDED.sent_at),
    sent_by = COALESCE(notifications.sent_by, EXCLUDED.sent_by),
    billable_units = GREATEST(notifications.billable_units, EXCLUDED.billable_units),
    last_event_at = GREATEST(notifications.last_event_at, EXCLUDED.last_event_at)
""".replace("ADVANCES", "notify_status_rank(EXCLUDED.status) > notify_status_rank(notifications.status)")
)


def requested_row(event: SmsRequested | EmailRequested | LetterRequested) -> dict[str, Any]:
    common: dict[str, Any] = {
        "id": event.notification_id,
        "service_id": event.service_id,
        "template_id": event.template_id,
        "template_version": event.template_version,
        "key_type": event.key_type,
        "api_key_id": event.api_key_id,
        "job_id": event.job_id,
        "job_row_number": event.job_row_number,
        "client_reference": event.client_reference,
        "body": event.body,
        "created_at": event.created_at,
        "occurred_at": event.occurred_at,
        "address": None,
        "subject": None,
        "postage": None,
        "international": False,
        "billable_units": 0,
        "rate_multiplier": 1,
    }
    if isinstance(event, SmsRequested):
        common.update(
            notification_type="sms",
            recipient=event.phone_number,
            international=event.international,
            billable_units=event.fragment_count,
            rate_multiplier=event.rate_multiplier,
        )
    elif isinstance(event, EmailRequested):
        common.update(notification_type="email", recipient=event.email_address, subject=event.subject)
    else:
        common.update(
            notification_type="letter",
            recipient=None,
            subject=event.subject,
            postage=event.postage,
            address=orjson.dumps(list(event.address_lines)).decode(),
        )
    return common


def status_row(event: Event) -> dict[str, Any] | None:
    base: dict[str, Any] = {
        "id": event.notification_id,
        "service_id": event.service_id,
        "occurred_at": event.occurred_at,
        "sent_at": None,
        "sent_by": None,
        "billable_units": 0,
        "completed_at": None,
        "failure_reason": None,
    }
    if isinstance(event, NotificationSentToProvider):
        status = statuses.SENT if event.international else statuses.SENDING
        base.update(
            status=status,
            sent_at=event.sent_at,
            sent_by=event.provider,
            billable_units=event.billable_units,
            completed_at=event.sent_at if status == statuses.SENT else None,
        )
    elif isinstance(event, NotificationPending):
        base.update(status=statuses.PENDING, sent_by=event.provider)
    elif isinstance(event, NotificationDelivered):
        base.update(status=statuses.DELIVERED, sent_by=event.provider, completed_at=event.delivered_at)
    elif isinstance(event, NotificationFailed):
        base.update(
            status=statuses.FAILURE_KIND_TO_STATUS[str(event.failure_kind)],
            sent_by=event.provider,
            completed_at=event.failed_at,
            failure_reason=event.reason,
        )
    else:
        return None
    return base


async def project(engine: AsyncEngine, events: Sequence[Event]) -> int:
    """Apply a batch of events in one transaction; returns how many rows statements were run."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if isinstance(event, SmsRequested | EmailRequested | LetterRequested):
            grouped["requested"].append(requested_row(event))
        else:
            row = status_row(event)
            if row is not None:
                grouped["status"].append(row)
    if not grouped:
        return 0
    async with engine.begin() as conn:
        if grouped["requested"]:
            await conn.execute(UPSERT_REQUESTED, grouped["requested"])
        if grouped["status"]:
            await conn.execute(UPSERT_STATUS, grouped["status"])
    return sum(len(v) for v in grouped.values())
