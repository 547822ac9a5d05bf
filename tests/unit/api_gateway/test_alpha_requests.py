"""The alpha's requests as it defined them, turned into v2 sends through the implicit template."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from notify_api_gateway.legacy import alpha
from notify_api_gateway.legacy.implicit import implicit_template, implicit_template_id
from notify_api_gateway.sending import SendContext, prepare_email, prepare_sms
from notify_common.api_errors import ApiError
from notify_common.events import EmailRequested, SmsRequested
from tests.unit.api_gateway.test_sending_rules import SERVICE_ID, caller

NOW = datetime(2015, 11, 3, 9, 37, 27, 414363, tzinfo=UTC)


def sms(**fields: Any) -> dict[str, Any]:
    return {"notification": {"to": "+447777111222", "message": "Your code is 1234", **fields}}


def email(**fields: Any) -> dict[str, Any]:
    return {
        "notification": {
            "to": "ada@example.com",
            "from": "council@example.gov.uk",
            "subject": "Your code",
            "message": "It is 1234",
            **fields,
        }
    }


def details(exc: pytest.ExceptionInfo[alpha.AlphaError]) -> dict[str, str]:
    return {d["key"]: d["message"] for d in exc.value.body()["error_details"]}


@pytest.mark.parametrize(
    ("number", "accepted"),
    [
        ("+447777111222", True),
        ("+447700900123", True),
        ("07777111222", False),  # a leading zero
        ("+4407777111222", False),
        ("+44 7777 111222", False),  # spaces
        ("+44-7777-111222", False),  # punctuation
        ("+442079460000", False),  # a landline
        ("+33612345678", False),  # not the UK
        ("+44777711122", False),  # too short
        ("+4477771112223", False),  # too long
    ],
)
def test_only_uk_mobiles_written_plus_44_without_a_leading_zero_are_accepted(
    number: str, accepted: bool
) -> None:
    if accepted:
        assert alpha.parse_sms(sms(to=number)).v2_body["phone_number"] == number
    else:
        with pytest.raises(alpha.AlphaError) as exc:
            alpha.parse_sms(sms(to=number))
        assert exc.value.status_code == 400
        assert details(exc) == {"to": "Invalid phone number, must be of format +447XXXXXXXXX"}


@pytest.mark.parametrize(("length", "accepted"), [(0, False), (1, True), (160, True), (161, False)])
def test_a_text_message_is_1_to_160_characters(length: int, accepted: bool) -> None:
    body = sms(message="x" * length)
    if accepted:
        assert alpha.parse_sms(body).v2_body["personalisation"] == {"message": "x" * length}
    else:
        with pytest.raises(alpha.AlphaError) as exc:
            alpha.parse_sms(body)
        assert details(exc) == {"message": "Length must be between 1 and 160."}


def test_every_bad_field_is_reported_in_the_alphas_error_shape() -> None:
    with pytest.raises(alpha.AlphaError) as exc:
        alpha.parse_sms({"notification": {"to": 7, "jobId": "100", "description": ""}})
    assert exc.value.body() == {
        "error": "Invalid JSON",
        "error_details": [
            {"key": "to", "message": "Not a valid string."},
            {"key": "message", "message": "Missing data for required field."},
            {"key": "jobId", "message": "Not a valid job id: a positive integer."},
            {"key": "description", "message": "Must be text of 1 to 255 characters."},
        ],
    }


@pytest.mark.parametrize("body", [[], "text", {"to": "+447777111222"}, {"notification": "x"}])
def test_a_body_without_a_notification_object_is_invalid(body: object) -> None:
    with pytest.raises(alpha.AlphaError) as exc:
        alpha.parse_sms(body)
    assert details(exc) == {"notification": "Missing data for required field."}


def test_job_id_and_description_are_carried_through() -> None:
    send = alpha.parse_sms(sms(jobId=100, description="October reminders"))
    assert (send.job_id, send.description) == (100, "October reminders")


def test_an_email_needs_valid_to_and_from_addresses_a_subject_and_a_message() -> None:
    with pytest.raises(alpha.AlphaError) as exc:
        alpha.parse_email(email(to="not-an-address", subject="", message="  ", **{"from": None}), {})
    assert details(exc) == {
        "to": "Invalid email address.",
        "from": "Missing data for required field.",
        "subject": "Length must be between 1 and 255.",
        "message": "Must not be empty.",
    }


def test_an_emails_from_address_is_its_reply_to_only_when_the_service_has_it() -> None:
    reply_to_id = str(uuid.uuid4())
    known = alpha.parse_email(email(), {reply_to_id: "Council@Example.gov.uk"})
    assert known.v2_body["email_reply_to_id"] == reply_to_id
    unknown = alpha.parse_email(email(), {reply_to_id: "other@example.gov.uk"})
    assert "email_reply_to_id" not in unknown.v2_body
    assert unknown.v2_body == {
        "email_address": "ada@example.com",
        "personalisation": {"subject": "Your code", "message": "It is 1234"},
    }


def test_the_implicit_template_is_per_service_and_channel_and_never_changes() -> None:
    other = str(uuid.uuid4())
    assert implicit_template_id(SERVICE_ID, "sms") == implicit_template_id(SERVICE_ID, "sms")
    assert implicit_template_id(SERVICE_ID, "sms") != implicit_template_id(SERVICE_ID, "email")
    assert implicit_template_id(SERVICE_ID, "sms") != implicit_template_id(other, "sms")
    assert implicit_template(SERVICE_ID, "sms").version == 1


def context(job_id: str | None = None) -> SendContext:
    return SendContext(
        notification_id=str(uuid.uuid4()),
        created_at=NOW,
        url_root="https://api.example",
        email_domain="notifications.service.gov.uk",
        job_id=job_id,
    )


def test_a_raw_text_message_becomes_the_v2_text_message_of_the_implicit_template() -> None:
    send = alpha.parse_sms(sms(message="Your code is ((1234))"))
    job_id = str(uuid.uuid4())
    prepared = prepare_sms(caller(), implicit_template(SERVICE_ID, "sms"), send.v2_body, context(job_id))
    event = prepared.event
    assert isinstance(event, SmsRequested)
    assert event.body == "Council: Your code is ((1234))"  # the message as written, with the prefix
    assert event.phone_number == "447777111222"
    assert event.template_id == implicit_template_id(SERVICE_ID, "sms")
    assert event.job_id == job_id
    assert prepared.row["job_id"] == job_id


def test_a_raw_email_becomes_the_v2_email_of_the_implicit_template() -> None:
    send = alpha.parse_email(email(), {})
    prepared = prepare_email(caller(), implicit_template(SERVICE_ID, "email"), send.v2_body, context())
    assert isinstance(prepared.event, EmailRequested)
    assert (prepared.event.subject, prepared.event.body) == ("Your code", "It is 1234")


def test_v2_refusals_keep_their_status_and_message_in_the_alphas_shape() -> None:
    send = alpha.parse_sms(sms())
    with pytest.raises(ApiError) as exc:
        prepare_sms(
            caller(permissions=("email",)), implicit_template(SERVICE_ID, "sms"), send.v2_body, context()
        )
    error = alpha.from_api_error(exc.value)
    assert (error.status_code, error.body()) == (
        400,
        {"error": "Service is not allowed to send text messages"},
    )


def test_the_created_answer_is_the_alphas() -> None:
    send = alpha.parse_sms(sms())
    assert alpha.created(send, "abc", 7, NOW) == {
        "notification": {
            "createdAt": "2015-11-03T09:37:27.414363Z",
            "id": "abc",
            "jobId": 7,
            "message": "Your code is 1234",
            "method": "sms",
            "status": "created",
            "to": "+447777111222",
        }
    }


def test_a_raw_emails_address_is_kept_as_given_for_reading_back() -> None:
    send = alpha.parse_email(email(to="Ada@Example.com"), {})
    prepared = prepare_email(caller(), implicit_template(SERVICE_ID, "email"), send.v2_body, context())
    assert isinstance(prepared.event, EmailRequested)
    assert (prepared.event.email_address, prepared.event.email_address_as_sent) == (
        "ada@example.com",
        "Ada@Example.com",
    )
