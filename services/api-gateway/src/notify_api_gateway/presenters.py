"""Turns projected rows into Notify's v2 JSON shapes (reference §1.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notify_common import statuses

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
SMS_RATE = 0.0227  # pounds per fragment; cost data is indicative, as in Notify
LETTER_STATUS_FOR_API = {
    statuses.CREATED: "accepted",
    statuses.SENDING: "accepted",
    statuses.DELIVERED: "received",
    statuses.RETURNED_LETTER: "received",
}


def fmt(value: datetime | None) -> str | None:
    return value.strftime(DATETIME_FORMAT) if value is not None else None


def template_uri(url_root: str, template_id: str) -> str:
    return f"{url_root}/v2/template/{template_id}"


def notification(row: dict[str, Any], url_root: str) -> dict[str, Any]:
    kind = row["notification_type"]
    status = row["status"]
    if kind == "letter":
        status = LETTER_STATUS_FOR_API.get(status, status)
    address = list(row.get("address") or [])
    lines = {f"line_{i}": (address[i - 1] if i <= len(address) - 1 else None) for i in range(1, 7)}
    body: dict[str, Any] = {
        "id": str(row["id"]),
        "reference": row["client_reference"],
        "email_address": row["recipient"] if kind == "email" else None,
        "phone_number": row["recipient"] if kind == "sms" else None,
        **lines,
        "postcode": address[-1] if kind == "letter" and address else None,
        "type": kind,
        "status": status,
        "template": {
            "version": row["template_version"],
            "id": str(row["template_id"]),
            "uri": template_uri(url_root, str(row["template_id"])),
        },
        "body": row["body"],
        "subject": row["subject"] if kind != "sms" else None,
        "created_at": fmt(row["created_at"]),
        "created_by_name": None,
        "sent_at": fmt(row["sent_at"]),
        "completed_at": fmt(row["completed_at"]),
        "scheduled_for": None,
        "postage": row["postage"] if kind == "letter" else None,
        "one_click_unsubscribe_url": None,
        "is_cost_data_ready": kind != "letter" or row["billable_units"] > 0,
    }
    if kind == "sms":
        units = row["billable_units"]
        body["cost_details"] = {
            "billable_sms_fragments": units,
            "international_rate_multiplier": row["rate_multiplier"],
            "sms_rate": SMS_RATE,
        }
        body["cost_in_pounds"] = round(units * row["rate_multiplier"] * SMS_RATE, 4)
    elif kind == "letter":
        body["cost_details"] = {"billable_sheets_of_paper": row["billable_units"], "postage": row["postage"]}
        body["cost_in_pounds"] = None
        body["estimated_delivery"] = None
    else:
        body["cost_details"] = {}
        body["cost_in_pounds"] = 0.0
    return body
