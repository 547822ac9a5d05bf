"""Notify's response shapes and the small pure helpers behind them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from notify_api_gateway.idempotency import check_key, fingerprint
from notify_api_gateway.presenters import fmt
from notify_api_gateway.routes.bulk import row_bodies
from notify_api_gateway.routes.common import parse_json
from notify_api_gateway.sanitise import sanitise_value
from notify_api_gateway.validation import query_dict
from notify_common.api_errors import ApiError
from notify_common.letter_delivery import estimated_delivery
from notify_common.pricing import sms_rate_on
from notify_common.statuses import internal_statuses


def test_datetimes_use_notifys_format_in_utc() -> None:
    assert fmt(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "2026-01-02T03:04:05.000006Z"


@pytest.mark.parametrize(
    ("created", "postage", "delivery"),
    [
        (
            datetime(2026, 11, 16, 10, 0, tzinfo=UTC),
            "second",
            "2026-11-19",
        ),  # Mon, before 17:30: printed Mon, out Tue
        (datetime(2026, 11, 16, 18, 0, tzinfo=UTC), "second", "2026-11-20"),  # Mon, after 17:30: printed Tue
        (
            datetime(2026, 11, 20, 18, 0, tzinfo=UTC),
            "first",
            "2026-11-25",
        ),  # Fri evening: printed Mon, out Tue
        (datetime(2026, 11, 21, 9, 0, tzinfo=UTC), "economy", "2026-11-27"),  # Saturday: printed Mon
        # Christmas: out Thu 24th; Fri 25th and Mon 28th (Boxing Day observed) are bank holidays.
        (datetime(2026, 12, 23, 10, 0, tzinfo=UTC), "second", "2026-12-30"),
        # Easter: printed Thu 2 April, out Tue 7th after Good Friday and Easter Monday.
        (datetime(2026, 4, 2, 10, 0, tzinfo=UTC), "first", "2026-04-08"),
        # Created on Good Friday: printed Tue 7th, out Wed 8th.
        (datetime(2026, 4, 3, 9, 0, tzinfo=UTC), "second", "2026-04-10"),
    ],
)
def test_estimated_delivery_counts_working_days_from_the_print_deadline(
    created: datetime, postage: str, delivery: str
) -> None:
    assert estimated_delivery(created, postage).date().isoformat() == delivery


def test_public_letter_words_stand_for_internal_statuses() -> None:
    assert internal_statuses(["accepted", "received"]) == [
        "created",
        "sending",
        "delivered",
        "returned-letter",
    ]
    assert "permanent-failure" in internal_statuses(["failed"])


def test_sanitising_removes_links_breaks_domains_and_escapes_markdown() -> None:
    assert sanitise_value("go to https://evil.example/x now") == "go to  now"
    assert sanitise_value("evil.com") == "evil\\. com"
    assert sanitise_value("# *hi*") == "\\# \\*hi\\*"


def test_repeatable_query_fields_become_lists() -> None:
    items = [("status", "a"), ("status", "b"), ("reference", "x"), ("reference", "y")]
    assert query_dict(items, ("status",)) == {"status": ["a", "b"], "reference": "x"}


def test_idempotency_fingerprints_ignore_key_order_but_not_values() -> None:
    assert fingerprint("POST", "/p", b'{"a":1,"b":2}') == fingerprint("POST", "/p", b'{"b": 2, "a": 1}')
    assert fingerprint("POST", "/p", b'{"a":1}') != fingerprint("POST", "/p", b'{"a":2}')
    with pytest.raises(ApiError):
        check_key("")
    with pytest.raises(ApiError):
        check_key("é")


def test_bulk_rows_become_single_send_bodies() -> None:
    table = [["Phone Number", "name", "reference"], ["07700900123", "Ada", "r1"]]
    assert row_bodies("sms", table, "t", "s") == [
        {
            "template_id": "t",
            "personalisation": {"name": "Ada"},
            "phone_number": "07700900123",
            "reference": "r1",
            "sms_sender_id": "s",
        }
    ]
    with pytest.raises(ApiError):
        row_bodies("email", table, "t", None)


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (date(2026, 3, 31), 0.0227),
        (date(2026, 4, 1), 0.024),
        (date(2027, 1, 1), 0.024),
        (date(2020, 1, 1), 0.0227),
    ],
)
def test_the_sms_rate_is_the_one_in_force_on_the_day(day: date, rate: float) -> None:
    assert sms_rate_on(day) == rate


@pytest.mark.parametrize(
    "raw",
    [
        b'{"reference": "a\\u0000b"}',
        b'{"personalisation": {"name": ["x", "\\u0000"]}}',
        b'{"personalisation": {"na\\u0000me": "x"}}',
    ],
)
def test_a_body_holding_a_nul_character_is_refused(raw: bytes) -> None:
    with pytest.raises(ApiError) as refused:
        parse_json(raw)
    assert refused.value.status_code == 400
    assert refused.value.body()["errors"] == [
        {"error": "ValidationError", "message": "Text cannot contain the NUL character (\\u0000)"}
    ]


def test_an_escaped_backslash_before_u0000_is_not_a_nul() -> None:
    assert parse_json(b'{"reference": "a\\\\u0000b"}') == {"reference": "a\\u0000b"}


def test_a_query_holding_a_nul_character_is_refused() -> None:
    with pytest.raises(ApiError) as refused:
        query_dict([("reference", "a\x00b")], ())
    assert refused.value.status_code == 400
