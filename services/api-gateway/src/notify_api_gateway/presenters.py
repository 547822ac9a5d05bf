"""Turns rows into Notify's v2 JSON shapes: notifications, templates, received
text messages. Pure functions of their arguments."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from notify_common import statuses
from notify_common.letter_delivery import estimated_delivery
from notify_common.pricing import cost_data
from notify_common.service_config import Template
from notify_common.templates import placeholders

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def fmt(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime(DATETIME_FORMAT) if value is not None else None


# Precompiled letters pin a per-service hidden template, as in Notify; its id is derived.
PRECOMPILED_NAMESPACE = uuid.UUID("6b1c5cf4-8a53-4d4a-9d87-2f7b0d2b6a11")


def precompiled_template_id(service_id: str) -> str:
    return str(uuid.uuid5(PRECOMPILED_NAMESPACE, service_id))


def template_uri(url_root: str, template_id: str) -> str:
    return f"{url_root}/v2/template/{template_id}"


# What a precompiled letter shows for its address until one is read from the PDF, as in Notify.
PRECOMPILED_ADDRESS = "Provided as PDF"


def _letter_lines(row: dict[str, Any]) -> dict[str, str | None]:
    """``line_1`` to ``line_6`` and ``postcode``: the last address line is the postcode."""
    address = list(row.get("address") or [])
    if not address and str(row["template_id"]) == precompiled_template_id(str(row["service_id"])):
        address = [PRECOMPILED_ADDRESS, None]
    lines: dict[str, str | None] = {
        f"line_{i}": (address[i - 1] if i <= len(address) - 1 else None) for i in range(1, 7)
    }
    lines["postcode"] = address[-1] if address else None
    return lines


def notification(
    row: dict[str, Any], url_root: str, letter_prices: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """One notification, from a projection row (or a row of the same shape from the caches).

    The recipient is shown as it was sent (``recipient_as_sent``); rows projected before that was
    kept show the normalised ``recipient``. ``letter_prices`` are pounds per letter by postage."""
    kind = row["notification_type"]
    status = row["status"]
    if kind == "letter":
        status = statuses.LETTER_STATUS_FOR_API.get(status, status)
    recipient = row.get("recipient_as_sent") or row["recipient"]
    lines = (
        _letter_lines(row)
        if kind == "letter"
        else {**{f"line_{i}": None for i in range(1, 7)}, "postcode": None}
    )
    created_at = row["created_at"]
    body: dict[str, Any] = {
        "id": str(row["id"]),
        "reference": row["client_reference"],
        "email_address": recipient if kind == "email" else None,
        "phone_number": recipient if kind == "sms" else None,
        **lines,
        "type": kind,
        "status": status,
        "template": {
            "version": row["template_version"],
            "id": str(row["template_id"]),
            "uri": template_uri(url_root, str(row["template_id"])),
        },
        "body": row["body"],
        "subject": row["subject"] if kind != "sms" else None,
        "created_at": fmt(created_at),
        "created_by_name": None,
        "sent_at": fmt(row.get("sent_at")),
        "completed_at": fmt(row.get("completed_at")),
        "scheduled_for": fmt(row.get("scheduled_for")),
        "postage": row["postage"] if kind == "letter" else None,
        "one_click_unsubscribe_url": row.get("one_click_unsubscribe_url"),
        # Beyond Notify's shape: the template's language it was sent in (docs/languages.md).
        "language": row.get("language"),
    }
    cost = cost_data(row, kind, created_at, letter_prices or {})
    body["is_cost_data_ready"] = cost["is_cost_data_ready"]
    body["cost_details"] = cost["cost_details"]
    body["cost_in_pounds"] = cost["cost_in_pounds"]
    if kind == "letter":
        body["estimated_delivery"] = fmt(estimated_delivery(created_at, row["postage"]))
    return body


def template(t: Template) -> dict[str, Any]:
    names = placeholders(f"{t.subject or ''} {t.content}" if t.template_type != "sms" else t.content)
    return {
        "id": t.id,
        "type": t.template_type,
        "created_at": fmt(t.created_at),
        "updated_at": fmt(t.updated_at),
        "created_by": t.created_by,
        "version": t.version,
        "body": t.content,
        "subject": t.subject if t.template_type != "sms" else None,
        "name": t.name,
        "personalisation": {name: {"required": True} for name in names},
        "postage": t.postage if t.template_type == "letter" else None,
        "letter_contact_block": t.letter_contact_block if t.template_type == "letter" else None,
        # Beyond Notify's shape: the languages a send may ask for (docs/languages.md).
        "language": t.languages.default,
        "variants": {
            tag: {"subject": v.subject if t.template_type != "sms" else None, "body": v.content}
            for tag, v in sorted(t.languages.variants.items())
        },
        **(
            {
                "letter_languages": t.letter_languages or "english",
                "letter_welsh_subject": t.letter_welsh_subject,
                "letter_welsh_content": t.letter_welsh_content,
            }
            if t.template_type == "letter"
            else {}
        ),
    }


def received_text(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "user_number": row["user_number"],
        "notify_number": row["notify_number"],
        "created_at": fmt(row["created_at"]),
        "service_id": str(row["service_id"]),
        "content": row["content"],
    }
