"""Request validation with JSON Schema (draft-07), producing Notify's messages word for word:
``<field> <message>``, quotes stripped, duplicates removed.

Fast path: each schema is also compiled by jsonschema-rs (draft-07, in Rust), with the very same
format checkers. A body it accepts is valid; anything else goes through jsonschema, which finds
the errors and words Notify's messages. Phone
numbers are parsed once per request (``phone_fast.checked_phone_number``), not once for the schema
and again for the send."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema_rs
from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from notify_common.api_errors import NUL_REFUSED, validation_error
from notify_common.recipients import InvalidRecipientError, validate_email_address
from notify_common.recipients.phone_fast import checked_phone_number
from notify_common.templates.languages import InvalidLanguageTag, checked_language_tag

format_checker = FormatChecker()
# The form nearly every id arrives in; ``uuid.UUID`` accepts it (and other forms, asked of it).
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@format_checker.checks("validate_uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value) is None:
        uuid.UUID(value)
    return True


@format_checker.checks("phone_number", raises=InvalidRecipientError)
def _phone(value: object) -> bool:
    if isinstance(value, str):
        checked_phone_number(value, allow_international=True, allow_landline=False)
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


@format_checker.checks("language_tag", raises=InvalidLanguageTag)
def _language_tag(value: object) -> bool:
    if isinstance(value, str):
        checked_language_tag(value)
    return True


_VALIDATORS: dict[int, Draft7Validator] = {}
_FAST: dict[int, jsonschema_rs.Draft7Validator] = {}


def _conforms(
    check: Callable[[object], object], raises: type[Exception] | tuple[type[Exception], ...]
) -> Callable[[object], bool]:
    """``format_checker.conforms`` for one format, without looking the format up and raising and
    catching a ``FormatError`` for each value: the same check, the same answer."""

    def conforms(value: object) -> bool:
        try:
            return bool(check(value))
        except raises:
            return False

    return conforms


# Every format the checker knows, for the fast validator: the very same checks, called from Rust.
_FORMATS: dict[str, Callable[[object], bool]] = {
    name: _conforms(check, raises) for name, (check, raises) in format_checker.checkers.items()
}


def _fast(schema: Mapping[str, Any]) -> jsonschema_rs.Draft7Validator:
    key = id(schema)
    if key not in _FAST:
        _FAST[key] = jsonschema_rs.Draft7Validator(dict(schema), formats=_FORMATS, validate_formats=True)
    return _FAST[key]


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
    elif isinstance(cause, ScheduleError | PostageError | InvalidLanguageTag):
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
    if isinstance(body, dict) and _fast(schema).is_valid(body):
        return body
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
        if "\x00" in value or "\x00" in key:
            raise validation_error(NUL_REFUSED)
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
