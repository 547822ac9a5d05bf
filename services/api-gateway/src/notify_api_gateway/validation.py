"""Request validation with JSON Schema (draft-07), producing Notify's messages word for word:
``<field> <message>``, quotes stripped, duplicates removed (reference §1.4)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from notify_api_gateway.errors import validation_error
from notify_common.recipients import InvalidRecipientError, validate_email_address, validate_phone_number

format_checker = FormatChecker()


@format_checker.checks("validate_uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


@format_checker.checks("phone_number", raises=InvalidRecipientError)
def _phone(value: object) -> bool:
    if isinstance(value, str):
        validate_phone_number(value, allow_international=True)
    return True


@format_checker.checks("email_address", raises=InvalidRecipientError)
def _email(value: object) -> bool:
    if isinstance(value, str):
        validate_email_address(value)
    return True


class ScheduleError(ValueError):
    pass


@format_checker.checks("datetime_within_next_day", raises=ScheduleError)
def _within_next_day(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ScheduleError(
            "datetime format is invalid. It must be a valid ISO8601 date time format, "
            "https://en.wikipedia.org/wiki/ISO_8601"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if when < now - timedelta(minutes=1):
        raise ScheduleError("datetime can not be in the past")
    if when > now + timedelta(hours=24):
        raise ScheduleError("datetime can only be 24 hours in the future")
    return True


def uuid_field() -> dict[str, Any]:
    return {"type": "string", "format": "validate_uuid", "validationMessage": "is not a valid UUID"}


_personalisation = {"type": "object"}
_reference = {"type": "string", "maxLength": 1000}
_scheduled_for = {"type": ["string", "null"], "format": "datetime_within_next_day"}

POST_SMS = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "phone_number": {"type": "string", "format": "phone_number"},
        "template_id": uuid_field(),
        "personalisation": _personalisation,
        "reference": _reference,
        "sms_sender_id": uuid_field(),
        "scheduled_for": _scheduled_for,
    },
    "required": ["phone_number", "template_id"],
    "additionalProperties": False,
}

POST_EMAIL = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
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
        "sanitise_content_for": {"type": ["array", "null"]},
        "scheduled_for": _scheduled_for,
    },
    "required": ["email_address", "template_id"],
    "additionalProperties": False,
}

_VALIDATORS: dict[int, Draft7Validator] = {}


def _validator(schema: Mapping[str, Any]) -> Draft7Validator:
    key = id(schema)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = Draft7Validator(schema, format_checker=format_checker)
    return _VALIDATORS[key]


def _message(error: ValidationError) -> str:
    field = str(error.path[0]) if error.path else None
    cause = error.cause
    if isinstance(cause, InvalidRecipientError):
        text = f"{field} {cause.message}"
    elif isinstance(cause, ScheduleError):
        text = f"{field} {cause}"
    elif field is not None and isinstance(error.schema, dict) and error.schema.get("validationMessage"):
        text = f"{field} {error.schema['validationMessage']}"
    elif field is not None:
        text = f"{field} {error.message}"
    else:
        text = error.message
    return text.replace("'", "")


def validate(body: object, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return the body if it matches ``schema``; else raise the 400 ValidationError Notify would."""
    errors = sorted(_validator(schema).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        messages: list[str] = []
        for error in errors:
            text = _message(error)
            if text not in messages:
                messages.append(text)
        raise validation_error(messages)
    assert isinstance(body, dict)
    return body
