"""Status events carry what their consumers need about the notification (type, client reference,
recipient as given, template and version, creation time, CSV row), copied from the request by the
senders (the failed event by the shared sender framework's policy), and they survive the wire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from notify_common import codec
from notify_common.events import (
    EmailRequested,
    FailureKind,
    LetterRequested,
    NotificationDelivered,
    NotificationFailed,
    NotificationSentToProvider,
    SmsRequested,
    facts_carried,
    facts_of,
)
from notify_common.sending import ChannelPolicy
from notify_email_sender.outcomes import simulated_outcome
from notify_sms_sender.sending import sent_event as sms_sent

CREATED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
TEMPLATE = str(uuid.uuid4())


def sms() -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), template_id=TEMPLATE,
        template_version=3, key_type="normal", client_reference="ref-1", job_row_number=7,
        phone_number="447700900123", phone_number_as_sent="07700 900123", international=False,
        sender="GOVUK", body="hi", fragment_count=1, created_at=CREATED,
    )  # fmt: skip


def test_the_sms_senders_sent_and_failed_events_carry_the_requests_facts() -> None:
    request = sms()
    expected = {
        "notification_type": "sms", "client_reference": "ref-1", "recipient": "07700 900123",
        "template_id": TEMPLATE, "template_version": 3, "created_at": CREATED, "job_row_number": 7,
    }  # fmt: skip
    sent = sms_sent(request, "mmg", "ref", CREATED)
    failed = ChannelPolicy[SmsRequested]().failed_event(request, FailureKind.TECHNICAL_FAILURE, "mmg", "boom")
    assert facts_carried(sent) == expected
    assert facts_carried(failed) == expected
    assert sent.service_id == failed.service_id == request.service_id


def test_an_email_reports_its_normalised_address_when_it_has_no_as_sent_one_and_so_does_its_outcome() -> None:
    request = EmailRequested(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), template_id=TEMPLATE,
        template_version=1, key_type="test", email_address="a@example.com", subject="s", body="b",
        from_name="n", created_at=CREATED,
    )  # fmt: skip
    outcome = simulated_outcome(
        str(request.notification_id), request.service_id, request.email_address, "ses", "r",
        facts_of(request) | {"notification_sent_at": CREATED},
    )  # fmt: skip
    assert isinstance(outcome, NotificationDelivered)
    assert outcome.recipient == "a@example.com"
    assert outcome.notification_type == "email"
    assert outcome.notification_sent_at == CREATED


def test_a_letters_failed_event_names_no_recipient() -> None:
    request = LetterRequested(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), template_id=TEMPLATE,
        template_version=1, key_type="normal", address_lines=("A", "B", "SW1A 1AA"), postage="second",
        subject="s", body="b", created_at=CREATED,
    )  # fmt: skip
    failed = ChannelPolicy[LetterRequested]().failed_event(
        request, FailureKind.VALIDATION_FAILED, "dvla", "too long"
    )
    assert failed.notification_type == "letter"
    assert failed.recipient is None


def test_the_facts_survive_the_wire_and_older_events_decode_without_them() -> None:
    sent = sms_sent(sms(), "mmg", "ref", CREATED)
    assert codec.decode(codec.encode(sent)) == sent
    bare = NotificationFailed(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()),
        failure_kind=FailureKind.PERMANENT_FAILURE, failed_at=CREATED,
    )  # fmt: skip
    decoded = codec.decode(codec.encode(bare))
    assert isinstance(decoded, NotificationFailed)
    assert set(facts_carried(decoded).values()) == {None}
    assert isinstance(codec.decode(codec.encode(sent)), NotificationSentToProvider)
