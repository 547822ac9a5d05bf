"""The unsubscribe parts of an email: the hosted link appended to the body only for a template that
asks for it, the header naming the send's own URL first, and a long link never folded into an
encoded word (which mail clients would not read as a URL)."""

from __future__ import annotations

import dataclasses
import email
from email import policy

from notify_common.events import EmailRequested, now
from notify_common.unsubscribe import UnsubscribeLinks
from notify_email_sender.message import OutgoingEmail, mime_message, smtp_bytes
from notify_email_sender.unsubscribe import HostedUnsubscribe, unsubscribe_parts

ID = "0c5d7f0e-6a8f-4d55-8f60-3f2b9f7a1c11"
HOSTED = HostedUnsubscribe(UnsubscribeLinks("k" * 64), "https://api.example.gov.uk")
LINK = HOSTED.url(ID)


def request(**changes: object) -> EmailRequested:
    base = EmailRequested(
        notification_id=ID,
        service_id="6b4f8a2e-0d1c-4c55-9e0b-2f1b7c3d9a10",
        template_id="2d8e1f6a-9c3b-4e7d-a5f0-1b2c3d4e5f60",
        template_version=1,
        key_type="normal",
        email_address="ada@example.com",
        subject="Hello",
        body="Dear Ada",
        from_name="Passport Office",
        created_at=now(),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_template_with_the_link_gets_it_in_the_body_and_the_header() -> None:
    body, header = unsubscribe_parts(request(has_unsubscribe_link=True), ID, HOSTED)
    assert body == f"Dear Ada\n\n---\n\nUnsubscribe from these emails: {LINK}"
    assert header == LINK


def test_the_sends_own_url_is_the_header_while_the_body_keeps_the_hosted_link() -> None:
    own = "https://service.example.gov.uk/u"
    body, header = unsubscribe_parts(
        request(has_unsubscribe_link=True, one_click_unsubscribe_url=own), ID, HOSTED
    )
    assert body.endswith(LINK)
    assert header == own


def test_without_the_flag_only_the_sends_own_url_counts() -> None:
    own = "https://service.example.gov.uk/u"
    assert unsubscribe_parts(request(one_click_unsubscribe_url=own), ID, HOSTED) == ("Dear Ada", own)
    assert unsubscribe_parts(request(), ID, HOSTED) == ("Dear Ada", None)


def test_a_long_list_unsubscribe_url_stays_one_plain_header_line_on_the_wire() -> None:
    outgoing = OutgoingEmail(
        notification_id=ID,
        to="ada@example.com",
        from_name="Passport Office",
        from_address="passport.office@notifications.service.gov.uk",
        subject="Hello",
        text_body="Dear Ada",
        unsubscribe_url=LINK,
    )
    for raw in (mime_message(outgoing).as_bytes(), smtp_bytes(mime_message(outgoing))):
        assert f"List-Unsubscribe: <{LINK}>".encode() in raw
        parsed = email.message_from_bytes(raw, policy=policy.default)
        assert parsed["List-Unsubscribe"] == f"<{LINK}>"
