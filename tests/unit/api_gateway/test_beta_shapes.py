"""The beta's bodies and answers: its three status words and its error shape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from notify_api_gateway.legacy import beta
from notify_common import statuses
from notify_common.api_errors import ApiError

TEMPLATE = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("status", "word"),
    [
        (statuses.CREATED, "sending"),
        (statuses.SENDING, "sending"),
        (statuses.PENDING, "sending"),
        (statuses.SENT, "delivered"),
        (statuses.DELIVERED, "delivered"),
        (statuses.TECHNICAL_FAILURE, "failed"),
        (statuses.TEMPORARY_FAILURE, "failed"),
        (statuses.PERMANENT_FAILURE, "failed"),
        (statuses.VALIDATION_FAILED, "failed"),
        (statuses.CANCELLED, "failed"),
    ],
)
def test_v2_statuses_read_as_the_betas_three_words(status: str, word: str) -> None:
    assert beta.beta_status(status) == word


def test_a_beta_send_is_the_v2_send_of_the_same_template() -> None:
    given = {"to": "+447777111222", "template": TEMPLATE, "personalisation": {"name": "Ada"}}
    assert beta.to_v2_body(given, "sms") == {
        "phone_number": "+447777111222",
        "template_id": TEMPLATE,
        "personalisation": {"name": "Ada"},
    }
    assert beta.to_v2_body({"to": "a@example.com", "template": TEMPLATE}, "email") == {
        "email_address": "a@example.com",
        "template_id": TEMPLATE,
        "personalisation": {},
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], {"body": ["Must be a JSON object."]}),
        (
            {"template": "nope", "personalisation": []},
            {
                "to": ["Missing data for required field."],
                "template": ["Not a valid template id."],
                "personalisation": ["Must be an object."],
            },
        ),
        ({"to": "+447777111222"}, {"template": ["Missing data for required field."]}),
    ],
)
def test_a_bad_beta_body_names_every_bad_field(body: object, message: dict[str, Any]) -> None:
    with pytest.raises(beta.BetaError) as exc:
        beta.to_v2_body(body, "sms")
    assert (exc.value.status_code, exc.value.body()) == (400, {"result": "error", "message": message})


def test_v2_refusals_keep_their_status_and_message() -> None:
    error = beta.from_api_error(ApiError(429, "RateLimitError", "Exceeded", headers={"Retry-After": "3"}))
    assert (error.status_code, error.body(), error.headers) == (
        429,
        {"result": "error", "message": "Exceeded"},
        {"Retry-After": "3"},
    )


def test_a_notification_reads_in_the_betas_shape() -> None:
    notification_id, job_id = uuid.uuid4(), uuid.uuid4()
    row = {
        "id": notification_id,
        "status": "temporary-failure",
        "created_at": datetime(2016, 1, 2, 3, 4, 5, tzinfo=UTC),
        "sent_at": None,
        "recipient": "447777111222",
        "notification_type": "sms",
        "body": "Hello",
        "job_id": job_id,
        "sent_by": "mmg",
    }
    assert beta.notification(row) == {
        "notification": {
            "status": "failed",
            "createdAt": "2016-01-02T03:04:05.000000Z",
            "to": "447777111222",
            "method": "sms",
            "sentAt": None,
            "id": str(notification_id),
            "message": "Hello",
            "job_id": str(job_id),
            "sender": "mmg",
        }
    }


def test_a_notification_reads_back_its_recipient_as_it_was_sent() -> None:
    row = {
        "id": uuid.uuid4(),
        "status": "created",
        "created_at": datetime(2016, 1, 2, 3, 4, 5, tzinfo=UTC),
        "recipient": "447777111222",
        "recipient_as_sent": "07777 111222",
        "notification_type": "sms",
        "body": "Hello",
    }
    assert beta.notification(row)["notification"]["to"] == "07777 111222"
