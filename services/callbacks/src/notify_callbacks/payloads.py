"""The JSON bodies of service callbacks, exactly as Notify sends them
(https://docs.notifications.service.gov.uk/rest-api.html#callbacks). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from notify_common.events import ComplaintReceived, InboundSmsReceived

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def fmt(value: datetime | None) -> str | None:
    return value.strftime(DATETIME_FORMAT) if value is not None else None


def delivery_status(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "reference": row["client_reference"],
        "to": row["recipient"],
        "status": row["status"],
        "created_at": fmt(row["created_at"]),
        "completed_at": fmt(row["completed_at"]),
        "sent_at": fmt(row["sent_at"]),
        "notification_type": row["notification_type"],
        "template_id": str(row["template_id"]),
        "template_version": row["template_version"],
    }


def complaint(row: Mapping[str, Any], event: ComplaintReceived) -> dict[str, Any]:
    return {
        "notification_id": str(row["id"]),
        "complaint_id": event.complaint_id,
        "reference": row["client_reference"],
        "to": row["recipient"],
        "complaint_date": fmt(event.complained_at),
    }


def returned_letter(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "notification_id": str(row["id"]),
        "reference": row["client_reference"],
        "date_sent": fmt(row["sent_at"]),
        "sent_by": row["sent_by"],
        "template_name": None,
        "template_id": str(row["template_id"]),
        "template_version": row["template_version"],
        "spreadsheet_file_name": None,
        "spreadsheet_row_number": row["job_row_number"],
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
