"""The JSON Schemas (draft-07) of every public request, as GOV.UK Notify declares them in
notifications-api (``app/v2/*/…_schemas.py``): ``additionalProperties: false`` everywhere, Notify's
custom formats and messages."""

from __future__ import annotations

from typing import Any

from notify_common import statuses

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
TEMPLATE_TYPES = ["sms", "email", "letter"]
# Notify's NOTIFICATION_STATUS_TYPES, then the two public letter words.
NOTIFICATION_STATUSES = [
    statuses.CANCELLED,
    statuses.CREATED,
    statuses.SENDING,
    statuses.SENT,
    statuses.DELIVERED,
    statuses.PENDING,
    "failed",
    statuses.TECHNICAL_FAILURE,
    statuses.TEMPORARY_FAILURE,
    statuses.PERMANENT_FAILURE,
    statuses.PENDING_VIRUS_CHECK,
    statuses.VALIDATION_FAILED,
    statuses.VIRUS_SCAN_FAILED,
    statuses.RETURNED_LETTER,
    "accepted",
    "received",
]


def uuid_field() -> dict[str, Any]:
    return {"type": "string", "format": "validate_uuid", "validationMessage": "is not a valid UUID"}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "$schema": DRAFT_07,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_personalisation = {"type": "object"}
_reference = {"type": "string", "maxLength": 1000}
_scheduled_for = {"type": ["string", "null"], "format": "datetime_within_next_day"}
# Beyond Notify's schemas: which of the template's languages to send in (docs/languages.md).
_language = {"type": "string", "format": "language_tag"}

POST_SMS = _object(
    {
        "phone_number": {"type": "string", "format": "phone_number"},
        "template_id": uuid_field(),
        "personalisation": _personalisation,
        "reference": _reference,
        "sms_sender_id": uuid_field(),
        "scheduled_for": _scheduled_for,
        "language": _language,
    },
    ["phone_number", "template_id"],
)

POST_EMAIL = _object(
    {
        "email_address": {"type": "string", "format": "email_address"},
        "template_id": uuid_field(),
        "personalisation": _personalisation,
        "reference": _reference,
        "email_reply_to_id": uuid_field(),
        "one_click_unsubscribe_url": {
            "type": "string",
            "format": "uri",
            "pattern": "^https.*",
            "validationMessage": "is not a valid https url",
        },
        "sanitise_content_for": {"type": ["array", "null"], "items": {"type": "string"}},
        "scheduled_for": _scheduled_for,
        "language": _language,
    },
    ["email_address", "template_id"],
)

POST_LETTER = _object(
    {
        "template_id": uuid_field(),
        "personalisation": _personalisation,
        "reference": _reference,
        "scheduled_for": _scheduled_for,
        "language": _language,
    },
    ["template_id", "personalisation"],
)

POST_PRECOMPILED_LETTER = _object(
    {
        "reference": {"type": "string"},
        "content": {"type": "string"},
        "postage": {"type": "string", "format": "postage"},
    },
    ["reference", "content"],
)

GET_NOTIFICATIONS = _object(
    {
        "template_type": {"type": "array", "items": {"enum": TEMPLATE_TYPES}},
        "status": {"type": "array", "items": {"enum": NOTIFICATION_STATUSES}},
        "reference": {"type": "string"},
        "older_than": uuid_field(),
        "include_jobs": {"enum": ["true", "True"]},
    },
    [],
)

GET_RECEIVED_TEXTS = _object({"older_than": uuid_field()}, [])

GET_TEMPLATES = _object({"type": {"enum": TEMPLATE_TYPES}}, [])

POST_TEMPLATE_PREVIEW = _object({"personalisation": _personalisation, "language": _language}, [])

POST_BULK = _object(
    {
        "template_id": uuid_field(),
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "rows": {
            "type": "array",
            "minItems": 2,
            "items": {"type": "array", "items": {"type": ["string", "number", "null"]}},
        },
        "csv": {"type": "string", "minLength": 1},
        "scheduled_for": {"type": ["string", "null"], "format": "datetime_within_next_week"},
        "reply_to_id": uuid_field(),
        "reference": _reference,
    },
    ["template_id", "name"],
)
