"""The alpha API's requests, answers and errors, pure (docs/legacy-alpha.md).

``parse_sms`` / ``parse_email`` check a body as the alpha defined it and turn it into the body of
the equivalent v2 send through the service's implicit template (``implicit``); the v2 checks then
run unchanged (``sending.prepare_sms`` / ``prepare_email``). Errors are the alpha's shape:
``{"error": "...", "error_details": [{"key", "message"}]}``, ``error_details`` only for validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notify_api_gateway.legacy.implicit import MESSAGE, SUBJECT
from notify_api_gateway.presenters import fmt
from notify_common.api_errors import ApiError
from notify_common.recipients import InvalidRecipientError, validate_email_address

UK_MOBILE = re.compile(r"\+447[0-9]{9}")
SMS_MAX_CHARACTERS = 160
SUBJECT_MAX_CHARACTERS = 255
DESCRIPTION_MAX_CHARACTERS = 255
INVALID_JSON = "Invalid JSON"
MISSING_TOKEN = "Unauthorized, authentication token must be provided"  # noqa: S105 - a message
INVALID_TOKEN = "Forbidden, invalid bearer token provided"  # noqa: S105 - a message
NOT_ENABLED = "Forbidden, the alpha API is not enabled for this service"


@dataclass
class AlphaError(Exception):
    status_code: int
    error: str
    details: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error}
        if self.details:
            body["error_details"] = [{"key": k, "message": m} for k, m in self.details]
        return body


def invalid(*details: tuple[str, str]) -> AlphaError:
    return AlphaError(400, INVALID_JSON, list(details))


def from_api_error(exc: ApiError) -> AlphaError:
    """A refusal by the shared v2 checks (permission, trial mode, limits...), in the alpha's shape."""
    return AlphaError(exc.status_code, "; ".join(exc.messages), headers=dict(exc.headers))


@dataclass(frozen=True)
class AlphaSend:
    channel: str
    to: str
    message: str
    v2_body: dict[str, Any]
    job_id: int | None
    description: str | None


def _notification(parsed: object) -> dict[str, Any]:
    if not isinstance(parsed, dict):
        raise invalid(("notification", "Missing data for required field."))
    notification = parsed.get("notification")
    if not isinstance(notification, dict):
        raise invalid(("notification", "Missing data for required field."))
    return notification


def _text(notification: dict[str, Any], key: str, errors: list[tuple[str, str]]) -> str:
    value = notification.get(key)
    if value is None:
        errors.append((key, "Missing data for required field."))
        return ""
    if not isinstance(value, str):
        errors.append((key, "Not a valid string."))
        return ""
    return value


def _job_fields(notification: dict[str, Any], errors: list[tuple[str, str]]) -> tuple[int | None, str | None]:
    job_id = notification.get("jobId")
    if job_id is not None and (isinstance(job_id, bool) or not isinstance(job_id, int) or job_id < 1):
        errors.append(("jobId", "Not a valid job id: a positive integer."))
        job_id = None
    description = notification.get("description")
    if description is not None and (
        not isinstance(description, str) or not 1 <= len(description) <= DESCRIPTION_MAX_CHARACTERS
    ):
        errors.append(("description", f"Must be text of 1 to {DESCRIPTION_MAX_CHARACTERS} characters."))
        description = None
    return job_id, description


def parse_sms(parsed: object) -> AlphaSend:
    notification = _notification(parsed)
    errors: list[tuple[str, str]] = []
    to = _text(notification, "to", errors)
    if to and not UK_MOBILE.fullmatch(to):
        errors.append(("to", "Invalid phone number, must be of format +447XXXXXXXXX"))
    message = _text(notification, "message", errors)
    if isinstance(notification.get("message"), str) and not 1 <= len(message) <= SMS_MAX_CHARACTERS:
        errors.append(("message", f"Length must be between 1 and {SMS_MAX_CHARACTERS}."))
    job_id, description = _job_fields(notification, errors)
    if errors:
        raise invalid(*errors)
    return AlphaSend(
        channel="sms",
        to=to,
        message=message,
        v2_body={"phone_number": to, "personalisation": {MESSAGE: message}},
        job_id=job_id,
        description=description,
    )


def parse_email(parsed: object, reply_tos: dict[str, str]) -> AlphaSend:
    """``reply_tos`` (id -> address) are the service's reply-to addresses: a ``from`` that is one
    of them becomes the email's reply-to, as ``email_reply_to_id`` would in v2."""
    notification = _notification(parsed)
    errors: list[tuple[str, str]] = []
    addresses: dict[str, str] = {}
    given: dict[str, str] = {}
    for key in ("to", "from"):
        value = _text(notification, key, errors)
        if value:
            try:
                addresses[key] = validate_email_address(value)
                given[key] = value
            except InvalidRecipientError:
                errors.append((key, "Invalid email address."))
    subject = _text(notification, "subject", errors)
    if isinstance(notification.get("subject"), str) and not 1 <= len(subject) <= SUBJECT_MAX_CHARACTERS:
        errors.append(("subject", f"Length must be between 1 and {SUBJECT_MAX_CHARACTERS}."))
    message = _text(notification, "message", errors)
    if isinstance(notification.get("message"), str) and not message.strip():
        errors.append(("message", "Must not be empty."))
    job_id, description = _job_fields(notification, errors)
    if errors:
        raise invalid(*errors)
    body: dict[str, Any] = {
        "email_address": given["to"],  # as given: normalised by the v2 send, read back as sent
        "personalisation": {SUBJECT: subject, MESSAGE: message},
    }
    reply_to_id = next((i for i, a in reply_tos.items() if a.lower() == addresses["from"]), None)
    if reply_to_id is not None:
        body["email_reply_to_id"] = reply_to_id
    return AlphaSend(
        channel="email",
        to=notification["to"],
        message=message,
        v2_body=body,
        job_id=job_id,
        description=description,
    )


def created(send: AlphaSend, notification_id: str, alpha_job_id: int, created_at: datetime) -> dict[str, Any]:
    return {
        "notification": {
            "createdAt": fmt(created_at),
            "id": notification_id,
            "jobId": alpha_job_id,
            "message": send.message,
            "method": send.channel,
            "status": "created",
            "to": send.to,
        }
    }
