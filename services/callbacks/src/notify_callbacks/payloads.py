"""The JSON bodies of service callbacks, exactly as Notify sends them
(https://docs.notifications.service.gov.uk/rest-api.html#callbacks), built from the status event
alone: status events carry the notification's facts (type, reference, recipient, template, times).
Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notify_common.events import (
    ComplaintReceived,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationFailed,
    NotificationSentToProvider,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
StatusEvent = NotificationSentToProvider | NotificationDelivered | NotificationFailed


def fmt(value: datetime | None) -> str | None:
    """``value`` in ``DATETIME_FORMAT``. ``isoformat`` writes the same digits in the same places,
    followed by the offset, for years from 1000 on, at two thirds of ``strftime``'s cost (three
    times a callback); before 1000 ``%Y`` is not padded to four digits, so ``strftime`` it is."""
    if value is None:
        return None
    if value.year < 1000:
        return value.strftime(DATETIME_FORMAT)
    return value.isoformat(timespec="microseconds")[:26] + "Z"


def delivery_status(
    event: StatusEvent, status: str, completed_at: datetime, sent_at: datetime | None
) -> dict[str, Any]:
    return {
        "id": event.notification_id,
        "reference": event.client_reference,
        "to": event.recipient,
        "status": status,
        "created_at": fmt(event.created_at),
        "completed_at": fmt(completed_at),
        "sent_at": fmt(sent_at),
        "notification_type": event.notification_type,
        "template_id": event.template_id,
        "template_version": event.template_version,
    }


def complaint(event: ComplaintReceived) -> dict[str, Any]:
    return {
        "notification_id": event.notification_id,
        "complaint_id": event.complaint_id,
        "reference": event.client_reference,
        "to": event.recipient,
        "complaint_date": fmt(event.complained_at),
    }


def returned_letter(event: NotificationFailed) -> dict[str, Any]:
    return {
        "notification_id": event.notification_id,
        "reference": event.client_reference,
        "date_sent": fmt(event.notification_sent_at),
        "sent_by": event.provider,
        "template_name": None,
        "template_id": event.template_id,
        "template_version": event.template_version,
        "spreadsheet_file_name": None,
        "spreadsheet_row_number": event.job_row_number,
        "upload_letter_file_name": None,
    }


def inbound_sms(event: InboundSmsReceived) -> dict[str, Any]:
    return {
        "id": event.inbound_sms_id,
        "source_number": event.user_number,
        "destination_number": event.notify_number,
        "message": event.content,
        "date_received": fmt(event.received_at),
    }
