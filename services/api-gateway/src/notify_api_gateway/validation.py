"""Request validation with JSON Schema (draft-07), producing Notify's messages word for word:
``<field> <message>``, quotes stripped, duplicates removed.

Fast path: each schema is also compiled into plain Python checks (``_compile``) for the keywords our
schemas use, with the same semantics and the very same format checkers. A body they accept is valid;
anything else goes through jsonschema, which finds the errors and words Notify's messages. Phone
numbers are parsed once per request (``phone_fast.checked_phone_number``), not once for the schema
and again for the send."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from notify_common.api_errors import NUL_REFUSED, validation_error
from notify_common.recipients import InvalidRecipientError, validate_email_address
from notify_common.recipients.phone_fast import checked_phone_number
from notify_common.templates.languages import InvalidLanguageTag, checked_language_tag

format_checker = FormatChecker()


@format_checker.checks("validate_uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    if isinstance(value, str):
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
_FAST: dict[int, Callable[[object], bool] | None] = {}
Check = Callable[[object], bool]

# JSON Schema type names as jsonschema's draft-07 type checker reads them (bool is no number).
_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
# Keywords that only annotate (no effect on validity).
_ANNOTATIONS = frozenset({"$schema", "validationMessage", "description", "title"})


class _Unsupported(Exception):
    pass


# The exact Python types JSON decoding gives for each type name: a value of one of them passes
# without calling the checks (which stay the rule for anything else, such as subclasses).
_EXACT: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
    "number": (int, float),
}


def _any_type(names: list[str]) -> Check:
    checks = [_TYPES[name] for name in names]
    exact = frozenset(t for name in names for t in _EXACT[name])
    return lambda v: type(v) in exact or any(c(v) for c in checks)


def _required(names: tuple[str, ...]) -> Check:
    return lambda v: not isinstance(v, dict) or all(k in v for k in names)


def _max_length(n: int) -> Check:
    return lambda v: not isinstance(v, str) or len(v) <= n


def _min_length(n: int) -> Check:
    return lambda v: not isinstance(v, str) or len(v) >= n


def _min_items(n: int) -> Check:
    return lambda v: not isinstance(v, list) or len(v) >= n


def _pattern(pattern: re.Pattern[str]) -> Check:
    return lambda v: not isinstance(v, str) or pattern.search(v) is not None


def _format(name: str) -> Check:
    return lambda v: format_checker.conforms(v, name)


def _enum(options: frozenset[str]) -> Check:
    return lambda v: isinstance(v, str) and v in options


def _items(item: Check) -> Check:
    return lambda v: not isinstance(v, list) or all(map(item, v))


def _object_properties(properties: dict[str, Check], closed: bool) -> Check:
    def check(v: object) -> bool:
        if not isinstance(v, dict):
            return True
        for name, value in v.items():
            sub = properties.get(name)
            if sub is None:
                if closed:
                    return False
            elif not sub(value):
                return False
        return True

    return check


def _all(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(c(v) for c in checks)


def _compile(schema: object) -> Check:
    """Plain checks equivalent to draft-07 validation of ``schema``, for the keywords our schemas
    use; raises ``_Unsupported`` for anything else (that schema then always goes to jsonschema)."""
    if not isinstance(schema, dict):
        raise _Unsupported
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword in ("properties", "additionalProperties"):
            continue
        if keyword == "type":
            names = [value] if isinstance(value, str) else list(value)
            if any(name not in _TYPES for name in names):
                raise _Unsupported
            checks.append(_any_type(names))
        elif keyword == "required":
            checks.append(_required(tuple(value)))
        elif keyword == "maxLength":
            checks.append(_max_length(value))
        elif keyword == "minLength":
            checks.append(_min_length(value))
        elif keyword == "minItems":
            checks.append(_min_items(value))
        elif keyword == "pattern":
            checks.append(_pattern(re.compile(value)))
        elif keyword == "format":
            checks.append(_format(value))
        elif keyword == "enum":
            if not all(isinstance(option, str) for option in value):
                raise _Unsupported
            checks.append(_enum(frozenset(value)))
        elif keyword == "items":
            checks.append(_items(_compile(value)))
        else:
            raise _Unsupported
    if "properties" in schema or "additionalProperties" in schema:
        additional = schema.get("additionalProperties", True)
        if additional is not True and additional is not False:
            raise _Unsupported
        properties = {name: _compile(sub) for name, sub in schema.get("properties", {}).items()}
        checks.append(_object_properties(properties, closed=not additional))
    return _all(checks)


def _fast(schema: Mapping[str, Any]) -> Check | None:
    key = id(schema)
    if key not in _FAST:
        try:
            _FAST[key] = _compile(schema)
        except _Unsupported:
            _FAST[key] = None
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
    fast = _fast(schema)
    if fast is not None and isinstance(body, dict) and fast(body):
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
