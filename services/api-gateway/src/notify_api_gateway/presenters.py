"""Turns rows into Notify's v2 JSON shapes: notifications, templates, received
text messages. Pure functions of their arguments."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from notify_api_gateway.repository import Template
from notify_common import statuses
from notify_common.pricing import sms_rate_on
from notify_common.templates import placeholders

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
LETTER_STATUS_FOR_API = {
    statuses.CREATED: "accepted",
    statuses.SENDING: "accepted",
    statuses.DELIVERED: "received",
    statuses.RETURNED_LETTER: "received",
}
LONDON = ZoneInfo("Europe/London")
PRINT_DEADLINE = time(17, 30)
# Working days from despatch to earliest delivery, per postage.
DELIVERY_DAYS = {"first": 1, "second": 2, "economy": 3, "europe": 3, "rest-of-world": 6}


def fmt(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime(DATETIME_FORMAT) if value is not None else None


# Precompiled letters pin a per-service hidden template, as in Notify; its id is derived.
PRECOMPILED_NAMESPACE = uuid.UUID("6b1c5cf4-8a53-4d4a-9d87-2f7b0d2b6a11")


def precompiled_template_id(service_id: str) -> str:
    return str(uuid.uuid5(PRECOMPILED_NAMESPACE, service_id))


def template_uri(url_root: str, template_id: str) -> str:
    return f"{url_root}/v2/template/{template_id}"


# Bank holidays in England and Wales (the `holidays` package; years are filled in as asked for).
BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def _add_working_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def estimated_delivery(created_at: datetime, postage: str | None) -> datetime:
    """Letters are printed at 17:30 London time on working days and despatched the next working
    day; the estimate is the earliest delivery day for the postage. Weekends and England and Wales
    bank holidays are not working days."""
    local = created_at.astimezone(LONDON)
    print_day = local.date()
    if local.time() >= PRINT_DEADLINE or not is_working_day(print_day):
        print_day = _add_working_days(print_day, 1)
    despatch = _add_working_days(print_day, 1)
    delivery = _add_working_days(despatch, DELIVERY_DAYS.get(postage or "second", 2))
    return datetime.combine(delivery, time(16, 0), tzinfo=UTC)


# What a precompiled letter shows for its address until one is read from the PDF, as in Notify.
PRECOMPILED_ADDRESS = "Provided as PDF"
# Letters Notify never bills for: they cost nothing, and their cost data is ready at once.
LETTERS_NEVER_SENT = frozenset(
    {statuses.CANCELLED, statuses.TECHNICAL_FAILURE, statuses.VALIDATION_FAILED, statuses.VIRUS_SCAN_FAILED}
)


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


def _cost_data(
    row: dict[str, Any], kind: str, created_at: datetime, letter_prices: Mapping[str, float]
) -> dict[str, Any]:
    """``cost_details``, ``cost_in_pounds`` and ``is_cost_data_ready`` as Notify's serializer gives
    them: not ready (``{}`` and null) until the cost is known; letters are priced only where a price
    per letter is configured for their postage."""
    status, units = row["status"], row.get("billable_units") or 0
    not_ready: dict[str, Any] = {"cost_details": {}, "cost_in_pounds": None, "is_cost_data_ready": False}
    if kind == "email":
        return {"cost_details": {}, "cost_in_pounds": 0.0, "is_cost_data_ready": True}
    if kind == "sms":
        # Notify counts the fragments it bills when it hands the message to a provider; the
        # fragments known at the request are not yet its cost.
        if status == statuses.CREATED:
            return not_ready
        multiplier = row.get("rate_multiplier") or 1
        rate = sms_rate_on(created_at.astimezone(LONDON).date())
        details = {
            "billable_sms_fragments": units,
            "international_rate_multiplier": multiplier,
            "sms_rate": rate,
        }
        return {
            "cost_details": details,
            "cost_in_pounds": round(units * multiplier * rate, 4),
            "is_cost_data_ready": True,
        }
    postage = row["postage"]
    if status in LETTERS_NEVER_SENT:
        details = {"billable_sheets_of_paper": 0, "postage": postage}
        return {"cost_details": details, "cost_in_pounds": 0.0, "is_cost_data_ready": True}
    price = letter_prices.get(postage or "second")
    if status == statuses.PENDING_VIRUS_CHECK or not units or price is None:
        return not_ready
    details = {"billable_sheets_of_paper": units, "postage": postage}
    return {"cost_details": details, "cost_in_pounds": price, "is_cost_data_ready": True}


def notification(
    row: dict[str, Any], url_root: str, letter_prices: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """One notification, from a projection row (or a row of the same shape from the caches).

    The recipient is shown as it was sent (``recipient_as_sent``); rows projected before that was
    kept show the normalised ``recipient``. ``letter_prices`` are pounds per letter by postage."""
    kind = row["notification_type"]
    status = row["status"]
    if kind == "letter":
        status = LETTER_STATUS_FOR_API.get(status, status)
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
    cost = _cost_data(row, kind, created_at, letter_prices or {})
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
