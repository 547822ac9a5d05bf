"""The pure send decisions: Notify's checks in Notify's order, what is published, what is counted."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from notify_api_gateway.auth import Authenticated
from notify_api_gateway.sending import SendContext, daily_limits, prepare_email, prepare_letter, prepare_sms
from notify_common.annual_limits import AnnualLimits
from notify_common.api_errors import ApiError
from notify_common.events import EmailRequested, LetterRequested, SmsRequested
from notify_common.ratelimit import DailyLimit, annual_limit
from notify_common.service_config import ApiKey, ServiceConfig, Template
from tests.support.services import council

SERVICE_ID = str(uuid.uuid4())
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def caller(
    key_type: str = "normal",
    *,
    restricted: bool = False,
    permissions: tuple[str, ...] = ("sms", "email", "letter"),
    **config: Any,
) -> Authenticated:
    service = council(
        SERVICE_ID,
        restricted=restricted,
        permissions=permissions,
        sms_message_limit=10,
        contact_link="https://www.example.gov.uk/contact",
    )
    key = ApiKey(id=str(uuid.uuid4()), service_id=SERVICE_ID, name="k", key_type=key_type, revoked=False)
    return Authenticated(
        service=service, api_key=key, config=ServiceConfig(service=service, keys=[], **config)
    )


def template(
    kind: str, content: str = "Hi ((name))", subject: str | None = "About ((name))", **kw: Any
) -> Template:
    return Template(
        id=str(uuid.uuid4()),
        service_id=SERVICE_ID,
        version=3,
        name="t",
        template_type=kind,
        subject=subject if kind != "sms" else None,
        content=content,
        postage=kw.get("postage"),
        archived=kw.get("archived", False),
        created_at=NOW,
        updated_at=None,
        created_by=None,
        letter_contact_block=kw.get("letter_contact_block"),
    )


def ctx(**kw: Any) -> SendContext:
    return SendContext(
        notification_id=str(uuid.uuid4()),
        created_at=NOW,
        url_root="https://api.test",
        email_domain="mail.test",
        **{"download_root": "https://files.test", **kw},
    )


def refusal(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.status_code, caught.value.error, caught.value.messages[0]


def test_a_text_message_is_rendered_with_the_prefix_and_normalised_recipient() -> None:
    t = template("sms")
    send = prepare_sms(
        caller(),
        t,
        {"phone_number": "07700 900123", "template_id": t.id, "personalisation": {"Name": "Ada"}},
        ctx(),
    )
    assert isinstance(send.event, SmsRequested)
    assert send.event.phone_number == "447700900123"
    assert send.event.template_version == 3
    assert send.response["content"] == {"body": "Council: Hi Ada", "from_number": "GOVUK"}
    assert send.response["template"]["uri"] == f"https://api.test/v2/template/{t.id}"
    assert send.row["status"] == "created"
    assert send.daily_limits == [DailyLimit("sms", 10), annual_limit("sms", 100_000)]
    assert not send.simulated


def test_an_international_text_counts_against_both_limits() -> None:
    t = template("sms")
    send = prepare_sms(
        caller(permissions=("sms", "international_sms")),
        t,
        {"phone_number": "+33612345678", "template_id": t.id, "personalisation": {"name": "a"}},
        ctx(),
    )
    assert [(lim.name, lim.annual) for lim in send.daily_limits] == [
        ("sms", False),
        ("international_sms", False),
        ("sms", True),
    ]


def test_smoke_test_numbers_are_simulated() -> None:
    t = template("sms")
    assert prepare_sms(
        caller(),
        t,
        {"phone_number": "+447700900111", "template_id": t.id, "personalisation": {"name": "a"}},
        ctx(),
    ).simulated


@pytest.mark.parametrize(
    ("the_caller", "the_template", "personalisation", "expected"),
    [
        (
            caller(permissions=("email",)),
            template("sms"),
            {"name": "a"},
            "Service is not allowed to send text messages",
        ),
        (caller(), None, {"name": "a"}, "Template not found"),
        (caller(), template("sms", archived=True), {"name": "a"}, "Template has been deleted"),
        (caller(), template("email"), {"name": "a"}, "email template is not suitable for sms notification"),
        (caller(), template("sms"), {}, "Missing personalisation: name"),
        (caller(), template("sms"), {"name": None}, "Missing personalisation: name"),
        (caller(), template("sms", content="((name))"), {"name": " "}, "Your message is empty."),
        (caller(), template("sms"), {"name": {"file": "abc"}}, "Can only send a file by email"),
        (
            caller("team"),
            template("sms"),
            {"name": "a"},
            "Can’t send to this recipient using a team-only API key",
        ),
        (
            caller(restricted=True),
            template("sms"),
            {"name": "a"},
            "Can’t send to this recipient when service is in trial mode – see https://www.notifications.service.gov.uk/trial-mode",
        ),
    ],
)
def test_text_message_refusals(
    the_caller: Authenticated, the_template: Template | None, personalisation: dict[str, Any], expected: str
) -> None:
    body = {
        "phone_number": "07700900123",
        "template_id": str(uuid.uuid4()),
        "personalisation": personalisation,
    }
    assert refusal(lambda: prepare_sms(the_caller, the_template, body, ctx())) == (
        400,
        "BadRequestError",
        expected,
    )


def test_team_keys_may_send_to_the_guest_list_and_test_keys_to_anyone() -> None:
    t = template("sms")
    body = {"phone_number": "07700900123", "template_id": t.id, "personalisation": {"name": "a"}}
    assert (
        prepare_sms(
            caller("team", allowed_mobiles=frozenset({"447700900123"})), t, body, ctx()
        ).event.key_type
        == "team"
    )
    assert prepare_sms(caller("test", restricted=True), t, body, ctx()).event.key_type == "test"


def test_a_test_key_on_a_trial_service_counts_against_the_live_defaults() -> None:
    assert daily_limits(caller("test", restricted=True), "sms") == [DailyLimit("sms", 250_000)]


def test_live_and_team_keys_count_against_the_services_annual_limit_and_test_keys_do_not() -> None:
    limited = dataclasses.replace(caller().service, annual_limits=AnnualLimits(email=1_234))
    for key_type in ("normal", "team"):
        sender = dataclasses.replace(caller(key_type), service=limited)
        assert daily_limits(sender, "email")[-1] == annual_limit("email", 1_234)
    assert not any(lim.annual for lim in daily_limits(caller("test"), "email"))


def test_an_email_uses_the_reply_to_and_reports_sanitising() -> None:
    reply_to_id = str(uuid.uuid4())
    t = template("email")
    body = {
        "email_address": "A@Example.com",
        "template_id": t.id,
        "personalisation": {"name": "see x.com"},
        "sanitise_content_for": ["name"],
        "email_reply_to_id": reply_to_id,
    }
    send = prepare_email(caller(reply_tos={reply_to_id: "reply@council.gov.uk"}), t, body, ctx())
    assert isinstance(send.event, EmailRequested)
    assert send.event.reply_to == "reply@council.gov.uk"
    assert send.event.email_address == "a@example.com"
    assert send.response["content"]["from_email"] == "council@mail.test"
    assert send.event.email_from == "council"  # the email-sender needs no look-up of the service
    assert send.response["sanitised_content"] == {
        "name": {"unsanitised": "see x.com", "sanitised": "see x\\. com"}
    }


def test_an_unknown_reply_to_is_refused() -> None:
    t = template("email")
    missing = str(uuid.uuid4())
    body = {
        "email_address": "a@b.com",
        "template_id": t.id,
        "personalisation": {"name": "a"},
        "email_reply_to_id": missing,
    }
    assert refusal(lambda: prepare_email(caller(), t, body, ctx()))[2] == (
        f"email_reply_to_id {missing} does not exist in database for service id {SERVICE_ID}"
    )


def test_a_letter_takes_its_address_and_postage() -> None:
    t = template("letter", postage="first")
    personalisation = {
        "name": "Ada",
        "address line 1": "Ada",
        "address_line_2": "1 Road",
        "postcode": "sw1a 1aa",
    }
    send = prepare_letter(caller(), t, {"template_id": t.id, "personalisation": personalisation}, ctx())
    assert isinstance(send.event, LetterRequested)
    assert send.event.address_lines == ("Ada", "1 Road", "SW1A 1AA")
    assert send.event.postage == "first"
    assert send.event.contact_block == ""  # none, said so: the letter-sender needs no look-up
    assert send.response["content"] == {"body": "Hi Ada", "subject": "About Ada"}


def test_a_letter_carries_its_templates_contact_block_for_the_letter_sender() -> None:
    t = template("letter", letter_contact_block="Council\nTown Hall\nSW1A 2AA")
    personalisation = {
        "name": "Ada",
        "address line 1": "Ada",
        "address line 2": "1 Road",
        "postcode": "SW1A 1AA",
    }
    send = prepare_letter(caller(), t, {"template_id": t.id, "personalisation": personalisation}, ctx())
    assert isinstance(send.event, LetterRequested)
    assert send.event.contact_block == "Council\nTown Hall\nSW1A 2AA"


@pytest.mark.parametrize(
    ("the_caller", "expected"),
    [
        (caller("team"), (403, "BadRequestError", "Cannot send letters with a team api key")),
        (
            caller(restricted=True),
            (403, "BadRequestError", "Cannot send letters when service is in trial mode"),
        ),
        (caller(permissions=("sms",)), (400, "BadRequestError", "Service is not allowed to send letters")),
    ],
)
def test_letter_refusals(the_caller: Authenticated, expected: tuple[int, str, str]) -> None:
    t = template("letter")
    assert (
        refusal(
            lambda: prepare_letter(
                the_caller, t, {"template_id": t.id, "personalisation": {"name": "a"}}, ctx()
            )
        )
        == expected
    )


def test_a_text_message_keeps_the_number_as_sent_beside_the_normalised_one_for_the_sender() -> None:
    t = template("sms")
    when = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    body = {"phone_number": "07700 900123", "template_id": t.id, "personalisation": {"name": "a"}}
    send = prepare_sms(caller(), t, body, ctx(scheduled_for=when))
    assert isinstance(send.event, SmsRequested)
    assert (send.event.phone_number, send.event.phone_number_as_sent) == ("447700900123", "07700 900123")
    assert send.event.scheduled_for == when
    assert (send.row["recipient"], send.row["recipient_as_sent"]) == ("447700900123", "07700 900123")


def test_an_email_keeps_the_address_as_sent_and_matches_the_guest_list_lower_cased() -> None:
    t = template("email")
    body = {"email_address": "Someone@Example.com", "template_id": t.id, "personalisation": {"name": "a"}}
    send = prepare_email(caller("team", allowed_emails=frozenset({"someone@example.com"})), t, body, ctx())
    assert isinstance(send.event, EmailRequested)
    assert (send.event.email_address, send.event.email_address_as_sent) == (
        "someone@example.com",
        "Someone@Example.com",
    )
    assert send.event.scheduled_for is None
    assert (send.row["recipient"], send.row["recipient_as_sent"]) == (
        "someone@example.com",
        "Someone@Example.com",
    )


def test_a_scheduled_letter_carries_its_time_on_the_event() -> None:
    t = template("letter", content="Hi", subject="S")
    when = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    personalisation = {"address_line_1": "A Person", "address_line_2": "1 Street", "postcode": "SW1A 1AA"}
    send = prepare_letter(
        caller("test"), t, {"template_id": t.id, "personalisation": personalisation}, ctx(scheduled_for=when)
    )
    assert isinstance(send.event, LetterRequested)
    assert send.event.scheduled_for == when


@pytest.mark.parametrize("key_type", ["normal", "team", "test"])
@pytest.mark.parametrize("restricted", [True, False])
@pytest.mark.parametrize(
    ("channel", "international"), [("sms", False), ("sms", True), ("email", False), ("letter", False)]
)
def test_the_limits_a_send_counts_on_follow_the_services_limits_as_they_change(
    key_type: str, restricted: bool, channel: str, international: bool
) -> None:
    # The limits are made once for the same values (every send asks), never kept past a change.
    for limit in (10, 11, 10):
        service = dataclasses.replace(
            caller().service,
            restricted=restricted,
            sms_message_limit=limit,
            email_message_limit=limit + 1,
            letter_message_limit=limit + 2,
            international_sms_message_limit=limit + 3,
            annual_limits=AnnualLimits(sms=limit * 100, email=limit * 101, letter=limit * 102),
        )
        sender = dataclasses.replace(caller(key_type), service=service)
        if key_type == "test" and restricted:
            daily = {"sms": 250_000, "email": 250_000, "letter": 20_000, "international_sms": 100}
        else:
            daily = {"sms": limit, "email": limit + 1, "letter": limit + 2, "international_sms": limit + 3}
        names = [channel, "international_sms"] if international else [channel]
        expected = [DailyLimit(name, daily[name]) for name in names]
        if key_type != "test":
            expected.append(annual_limit(channel, service.annual_limits.of(channel)))
        assert daily_limits(sender, channel, international=international) == expected
