"""The beta API's requests, answers and errors, pure (docs/legacy-beta.md).

A beta send ``{"to", "template", "personalisation"}`` becomes the body of the v2 send; reads
present a projection row with the beta's three status words. Errors are the beta's shape:
``{"result": "error", "message": ...}``, the message a string, or for a body that fails
validation an object of field -> list of messages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from notify_api_gateway.presenters import fmt
from notify_common import statuses as s
from notify_common.api_errors import ApiError

PAGE_SIZE = 50
# v2's statuses in the beta's words; a failure of any kind is "failed".
BETA_STATUS = {
    s.CREATED: "sending",
    s.SENDING: "sending",
    s.PENDING: "sending",
    s.SENT: "delivered",
    s.DELIVERED: "delivered",
}
NOT_ENABLED = "The beta API is not enabled for this service"
V2_FIELDS = {"sms": "phone_number", "email": "email_address"}


@dataclass
class BetaError(Exception):
    status_code: int
    message: str | dict[str, list[str]]
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"result": "error", "message": self.message}


def from_api_error(exc: ApiError) -> BetaError:
    return BetaError(exc.status_code, "; ".join(exc.messages), dict(exc.headers))


def not_found() -> BetaError:
    return BetaError(404, "No result found")


def beta_status(status: str) -> str:
    return BETA_STATUS.get(status, "failed")


def to_v2_body(parsed: object, channel: str) -> dict[str, Any]:
    """The v2 send body for a beta send, or a ``BetaError`` naming every bad field."""
    if not isinstance(parsed, dict):
        raise BetaError(400, {"body": ["Must be a JSON object."]})
    errors: dict[str, list[str]] = {}
    to, template = parsed.get("to"), parsed.get("template")
    personalisation = parsed.get("personalisation")
    if not isinstance(to, str) or not to.strip():
        errors["to"] = ["Missing data for required field."]
    if not isinstance(template, str):
        errors["template"] = ["Missing data for required field."]
    else:
        try:
            uuid.UUID(template)
        except ValueError:
            errors["template"] = ["Not a valid template id."]
    if personalisation is not None and not isinstance(personalisation, dict):
        errors["personalisation"] = ["Must be an object."]
    if errors:
        raise BetaError(400, errors)
    return {V2_FIELDS[channel]: to, "template_id": template, "personalisation": personalisation or {}}


def notification(row: dict[str, Any]) -> dict[str, Any]:
    """One notification (a projection row, or a row of the same shape from the caches)."""
    return {
        "notification": {
            "status": beta_status(row["status"]),
            "createdAt": fmt(row["created_at"]),
            "to": row.get("recipient_as_sent") or row["recipient"],
            "method": row["notification_type"],
            "sentAt": fmt(row.get("sent_at")),
            "id": str(row["id"]),
            "message": row["body"],
            "job_id": str(row["job_id"]) if row.get("job_id") else None,
            "sender": row.get("sent_by"),
        }
    }
