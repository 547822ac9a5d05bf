"""A send picks the template's texts in the language it asks for, else the default, records the
language, and is refused in Notify's error shape for a language the template does not have; a
bilingual letter carries its Welsh part."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from notify_api_gateway.presenters import notification
from notify_api_gateway.presenters import template as present_template
from notify_api_gateway.schemas import POST_EMAIL, POST_LETTER, POST_SMS
from notify_api_gateway.sending import prepare_email, prepare_letter, prepare_sms
from notify_api_gateway.validation import validate
from notify_common.api_errors import ApiError
from notify_common.events import EmailRequested, LetterRequested, SmsRequested
from notify_common.templates.languages import template_languages
from tests.unit.api_gateway.test_sending_rules import caller, ctx, refusal, template

ADDRESS = {"address_line_1": "A Person", "address_line_2": "1 Street", "address_line_3": "SW1A 1AA"}


def bilingual(kind: str) -> Any:
    return replace(
        template(kind, content="Hello ((name))", subject="Your appointment"),
        languages=template_languages("en", {"cy": {"content": "Helo ((name))", "subject": "Eich apwyntiad"}}),
    )


def sms_to_ann(t: Any, **extra: Any) -> dict[str, Any]:
    return {"phone_number": "07700900123", "template_id": t.id, "personalisation": {"name": "Ann"}, **extra}


def email_to_ann(t: Any, **extra: Any) -> dict[str, Any]:
    return {
        "email_address": "a@example.com",
        "template_id": t.id,
        "personalisation": {"name": "Ann"},
        **extra,
    }


def welsh_then_english(welsh_content: str) -> Any:
    """A bilingual letter template: its Welsh part, then the English "Dear ((name))"."""
    return replace(
        template("letter", content="Dear ((name))", subject="Your licence"),
        letter_languages="welsh_then_english",
        letter_welsh_subject="Eich trwydded",
        letter_welsh_content=welsh_content,
    )


def letter_to_ann(t: Any) -> dict[str, Any]:
    return {"template_id": t.id, "personalisation": {**ADDRESS, "name": "Ann"}}


def test_a_text_message_in_welsh_is_written_from_the_welsh_variant_and_records_its_language() -> None:
    t = bilingual("sms")
    send = prepare_sms(caller(), t, sms_to_ann(t, language="cy"), ctx())
    assert isinstance(send.event, SmsRequested)
    assert send.event.body == "Council: Helo Ann"
    assert send.event.language == "cy"
    assert send.row["language"] == "cy"
    assert send.response["content"]["body"] == "Council: Helo Ann"


def test_a_send_without_a_language_gets_the_templates_default_and_records_it() -> None:
    t = bilingual("email")
    send = prepare_email(caller(), t, email_to_ann(t), ctx())
    assert isinstance(send.event, EmailRequested)
    assert (send.event.subject, send.event.body, send.event.language) == (
        "Your appointment",
        "Hello Ann",
        "en",
    )


def test_an_email_in_welsh_has_the_welsh_subject() -> None:
    t = bilingual("email")
    send = prepare_email(caller(), t, email_to_ann(t, language="CY"), ctx())
    assert isinstance(send.event, EmailRequested)
    assert (send.event.subject, send.event.body, send.event.language) == ("Eich apwyntiad", "Helo Ann", "cy")


def test_a_language_the_template_does_not_have_is_a_bad_request() -> None:
    t = bilingual("sms")
    assert refusal(lambda: prepare_sms(caller(), t, sms_to_ann(t, language="fr"), ctx())) == (
        400,
        "BadRequestError",
        "language fr is not available for this template",
    )


def test_the_placeholders_of_the_chosen_language_are_the_ones_required() -> None:
    t = replace(
        template("sms", content="Hello"),
        languages=template_languages("en", {"cy": {"content": "Helo ((enw))"}}),
    )
    body = {"phone_number": "07700900123", "template_id": t.id, "language": "cy"}
    assert refusal(lambda: prepare_sms(caller(), t, body, ctx()))[2] == "Missing personalisation: enw"
    assert prepare_sms(caller(), t, {**body, "language": "en"}, ctx()).event.body == "Council: Hello"  # type: ignore[attr-defined]


@pytest.mark.parametrize("schema", [POST_SMS, POST_EMAIL, POST_LETTER])
def test_a_malformed_language_is_a_validation_error_like_the_other_fields(schema: dict[str, Any]) -> None:
    body = {
        "phone_number": "07700900123",
        "email_address": "a@example.com",
        "template_id": "f6895ff7-86e0-4d38-80ab-c9525856c3ff",
        "personalisation": {},
        "language": "not a tag",
    }
    body = {k: v for k, v in body.items() if k in schema["properties"]}
    with pytest.raises(ApiError) as refused:
        validate(body, schema)
    assert refused.value.status_code == 400
    assert refused.value.error == "ValidationError"
    assert refused.value.messages == ["language not a tag is not a valid language tag"]


def test_a_well_formed_language_passes_the_schema() -> None:
    body = {
        "phone_number": "07700900123",
        "template_id": "f6895ff7-86e0-4d38-80ab-c9525856c3ff",
        "language": "pt-BR",
    }
    assert validate(body, POST_SMS) == body


def test_a_bilingual_letter_carries_its_welsh_part_rendered_and_its_english_part() -> None:
    t = welsh_then_english("Annwyl ((name))")
    send = prepare_letter(caller("test"), t, letter_to_ann(t), ctx())
    assert isinstance(send.event, LetterRequested)
    assert (send.event.welsh_subject, send.event.welsh_body) == ("Eich trwydded", "Annwyl Ann")
    assert (send.event.subject, send.event.body) == ("Your licence", "Dear Ann")


def test_a_bilingual_letter_needs_the_placeholders_of_its_welsh_part_too() -> None:
    t = welsh_then_english("Annwyl ((enw))")
    assert refusal(lambda: prepare_letter(caller("test"), t, letter_to_ann(t), ctx()))[2] == (
        "Missing personalisation: enw"
    )


def test_an_english_letter_has_no_welsh_part() -> None:
    t = template("letter", content="Dear ((name))", subject="Your licence")
    send = prepare_letter(caller("test"), t, letter_to_ann(t), ctx())
    assert isinstance(send.event, LetterRequested)
    assert send.event.welsh_body is None


def test_a_notification_and_a_template_read_back_their_languages() -> None:
    t = bilingual("email")
    send = prepare_email(caller(), t, email_to_ann(t, language="cy"), ctx())
    assert notification(send.row, "https://api.test")["language"] == "cy"
    shown = present_template(t)
    assert shown["language"] == "en"
    assert shown["variants"] == {"cy": {"subject": "Eich apwyntiad", "body": "Helo ((name))"}}
