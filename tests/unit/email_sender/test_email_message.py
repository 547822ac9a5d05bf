"""The email as built for every provider: headers, the plain-text part and the HTML derived from it."""

from __future__ import annotations

from notify_email_sender.message import OutgoingEmail, html_body, mime_message
from notify_email_sender.settings import EmailSenderSettings


def outgoing(**changes: str | None) -> OutgoingEmail:
    fields: dict[str, str | None] = {
        "notification_id": "0c5d7f0e-6a8f-4d55-8f60-3f2b9f7a1c11",
        "to": "ada@example.com",
        "from_name": "Passport Office",
        "from_address": "passport.office@notifications.service.gov.uk",
        "subject": "Your passport",
        "text_body": "Dear Ada,\n\nYour passport is ready.",
        "reply_to": "help@example.gov.uk",
        "unsubscribe_url": "https://example.gov.uk/unsubscribe/1",
        **changes,
    }
    return OutgoingEmail(**fields)  # type: ignore[arg-type]


def test_the_message_carries_the_services_name_reply_to_and_one_click_unsubscribe() -> None:
    message = mime_message(outgoing())
    assert message["From"] == "Passport Office <passport.office@notifications.service.gov.uk>"
    assert message["To"] == "ada@example.com"
    assert message["Reply-To"] == "help@example.gov.uk"
    assert message["List-Unsubscribe"] == "<https://example.gov.uk/unsubscribe/1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == "<0c5d7f0e-6a8f-4d55-8f60-3f2b9f7a1c11@notifications.service.gov.uk>"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_without_reply_to_or_unsubscribe_url_those_headers_are_left_out() -> None:
    message = mime_message(outgoing(reply_to=None, unsubscribe_url=None))
    assert message["Reply-To"] is None
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None


def test_a_service_name_with_a_comma_is_quoted_in_from() -> None:
    assert mime_message(outgoing(from_name="Tax, Benefits"))["From"] == (
        '"Tax, Benefits" <passport.office@notifications.service.gov.uk>'
    )


def test_the_html_part_keeps_the_texts_structure_and_escapes_everything_else() -> None:
    text = (
        "Heading\n=======\n\nDear <Ada> & co,\nsecond line\n\n• one\n• two\n\n1. first\n2. second\n\n"
        "-----\n\nSee https://example.gov.uk/a?b=1&c=2."
    )
    body = html_body(text)
    assert "<h2>Heading</h2>" in body
    assert "<p>Dear &lt;Ada&gt; &amp; co,<br>second line</p>" in body
    assert "<ul><li>one</li><li>two</li></ul>" in body
    assert "<ol><li>first</li><li>second</li></ol>" in body
    assert "<hr>" in body
    assert '<a href="https://example.gov.uk/a?b=1&amp;c=2">https://example.gov.uk/a?b=1&amp;c=2</a>.' in body


def test_delivery_is_simulated_only_against_emulators_in_development_unless_set() -> None:
    assert EmailSenderSettings(aws_endpoint_url="http://127.0.0.1:15055").simulate_delivery()
    assert not EmailSenderSettings(aws_endpoint_url=None).simulate_delivery()
    assert not EmailSenderSettings(environment="production", aws_endpoint_url="http://x").simulate_delivery()
    assert EmailSenderSettings(email_provider="smtp").simulate_delivery()
    assert not EmailSenderSettings(email_provider="smtp", email_simulate_delivery=False).simulate_delivery()
