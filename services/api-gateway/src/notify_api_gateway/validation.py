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


class PostageError(ValueError):
    pass


POSTAGE_TYPES = ("first", "second", "economy")


@format_checker.checks("postage", raises=PostageError)
def _postage(value: object) -> bool:
    if isinstance(value, str) and value not in POSTAGE_TYPES:
        raise PostageError("invalid. It must be either first, second or economy.")
    return True


def _check_schedule(value: object, horizon: timedelta, too_far: str) -> bool:
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
    if when > now + horizon:
        raise ScheduleError(too_far)
    return True


@format_checker.checks("datetime_within_next_day", raises=ScheduleError)
def _within_next_day(value: object) -> bool:
    return _check_schedule(value, timedelta(hours=24), "datetime can only be 24 hours in the future")


@format_checker.checks("datetime_within_next_week", raises=ScheduleError)
def _within_next_week(value: object) -> bool:
    return _check_schedule(value, timedelta(days=7), "datetime can only be 7 days in the future")


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
    elif isinstance(cause, ScheduleError | PostageError):
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


def query_dict(items: list[tuple[str, str]], array_fields: tuple[str, ...]) -> dict[str, Any]:
    """A query string as the schemas see it: repeatable fields as lists, the rest as their first value."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in array_fields:
            out.setdefault(key, []).append(value)
        else:
            out.setdefault(key, value)
    return out


def parse_scheduled_for(value: str | None) -> datetime | None:
    """The UTC time of an already validated ``scheduled_for``."""
    if not value:
        return None
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
