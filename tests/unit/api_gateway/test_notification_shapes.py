"""GET /v2/notifications/{id} reads back what was sent, in GOV.UK Notify's shape: the recipient as
given, a precompiled letter's fields, and cost data that is ready only when it is a number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from notify_api_gateway.presenters import notification, precompiled_template_id

SERVICE = "0b1e4a6c-3f52-4a53-9e1e-2f4f5b1d7a10"
ROOT = "https://api.example"
CREATED = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


def row(kind: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "7d7b3e1e-49b1-4c55-9e0b-3f1c1c7f2a01",
        "service_id": SERVICE,
        "template_id": "5b4c3a2d-1e0f-4a1b-8c7d-6e5f4a3b2c1d",
        "template_version": 3,
        "notification_type": kind,
        "client_reference": None,
        "recipient": None,
        "address": None,
        "status": "created",
        "body": "Hello",
        "subject": "Subject" if kind != "sms" else None,
        "postage": "second" if kind == "letter" else None,
        "billable_units": 1 if kind == "sms" else 0,
        "rate_multiplier": 1,
        "created_at": CREATED,
    }
    return {**base, **overrides}


def test_a_phone_number_reads_back_as_it_was_sent() -> None:
    shown = notification(row("sms", recipient="447700900123", recipient_as_sent="07700900123"), ROOT)
    assert shown["phone_number"] == "07700900123"


def test_an_email_address_reads_back_with_its_capitals() -> None:
    sent = row("email", recipient="someone@example.com", recipient_as_sent="Someone@Example.com")
    assert notification(sent, ROOT)["email_address"] == "Someone@Example.com"


def test_a_row_projected_before_recipients_were_kept_as_sent_shows_the_normalised_one() -> None:
    assert notification(row("sms", recipient="447700900123"), ROOT)["phone_number"] == "447700900123"


def test_a_precompiled_letter_reads_back_provided_as_pdf() -> None:
    letter = row(
        "letter",
        template_id=precompiled_template_id(SERVICE),
        template_version=1,
        address=[],
        subject="Pre-compiled PDF",
        body="",
    )
    shown = notification(letter, ROOT)
    assert shown["line_1"] == "Provided as PDF"
    assert [shown[f"line_{i}"] for i in range(2, 7)] == [None] * 5
    assert shown["postcode"] is None
    assert shown["type"] == "letter"
    assert shown["subject"] == "Pre-compiled PDF"
    assert shown["template"] == {
        "version": 1,
        "id": precompiled_template_id(SERVICE),
        "uri": f"{ROOT}/v2/template/{precompiled_template_id(SERVICE)}",
    }


def test_a_templated_letter_reads_its_lines_and_postcode_from_the_address() -> None:
    shown = notification(row("letter", address=["A Person", "1 Street", "SW1A 1AA"]), ROOT)
    assert (shown["line_1"], shown["line_2"], shown["line_3"]) == ("A Person", "1 Street", None)
    assert shown["postcode"] == "SW1A 1AA"


@pytest.mark.parametrize(
    ("status", "units"),
    [("created", 0), ("pending-virus-check", 0), ("sending", 2), ("delivered", 2)],
)
def test_letter_cost_is_not_ready_while_it_cannot_be_priced(status: str, units: int) -> None:
    shown = notification(row("letter", status=status, billable_units=units), ROOT)
    assert shown["is_cost_data_ready"] is False
    assert shown["cost_details"] == {}
    assert shown["cost_in_pounds"] is None


def test_a_letter_with_a_price_for_its_postage_is_costed_once_its_sheets_are_known() -> None:
    sent = row("letter", status="sending", billable_units=2)
    shown = notification(sent, ROOT, letter_prices={"second": 0.85})
    assert shown["is_cost_data_ready"] is True
    assert shown["cost_details"] == {"billable_sheets_of_paper": 2, "postage": "second"}
    assert shown["cost_in_pounds"] == 0.85
    waiting = notification(row("letter", status="created"), ROOT, letter_prices={"second": 0.85})
    assert (waiting["is_cost_data_ready"], waiting["cost_details"], waiting["cost_in_pounds"]) == (
        False,
        {},
        None,
    )


@pytest.mark.parametrize(
    "status", ["technical-failure", "validation-failed", "virus-scan-failed", "cancelled"]
)
def test_a_letter_that_was_never_sent_costs_nothing(status: str) -> None:
    shown = notification(row("letter", status=status, billable_units=0), ROOT)
    assert shown["is_cost_data_ready"] is True
    assert shown["cost_details"] == {"billable_sheets_of_paper": 0, "postage": "second"}
    assert shown["cost_in_pounds"] == 0.0


@pytest.mark.parametrize("units", [0, 2])
def test_a_text_message_not_yet_handed_to_a_provider_has_no_cost_data(units: int) -> None:
    """Notify bills fragments when it hands a message over; until then its cost is not ready."""
    shown = notification(row("sms", recipient="447700900123", billable_units=units), ROOT)
    assert (shown["is_cost_data_ready"], shown["cost_details"], shown["cost_in_pounds"]) == (False, {}, None)


def test_a_text_message_is_costed_by_fragments_multiplier_and_rate() -> None:
    sent = row("sms", recipient="447700900123", status="sending", billable_units=2, rate_multiplier=3)
    shown = notification(sent, ROOT)
    assert shown["is_cost_data_ready"] is True
    assert shown["cost_details"] == {
        "billable_sms_fragments": 2,
        "international_rate_multiplier": 3,
        "sms_rate": 0.024,
    }
    assert shown["cost_in_pounds"] == pytest.approx(0.144)


def test_an_email_costs_nothing_and_is_always_ready() -> None:
    shown = notification(row("email", recipient="a@b.example"), ROOT)
    assert (shown["is_cost_data_ready"], shown["cost_details"], shown["cost_in_pounds"]) == (True, {}, 0.0)


def test_scheduled_for_and_the_unsubscribe_link_are_read_back() -> None:
    when = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    shown = notification(
        row(
            "email",
            recipient="a@b.example",
            scheduled_for=when,
            one_click_unsubscribe_url="https://example.gov.uk/unsubscribe",
        ),
        ROOT,
    )
    assert shown["scheduled_for"] == "2026-11-17T09:00:00.000000Z"
    assert shown["one_click_unsubscribe_url"] == "https://example.gov.uk/unsubscribe"
