"""Provider receipt codes map to Notify's statuses as GOV.UK Notify's notifications-api maps them."""

from __future__ import annotations

import pytest

from notify_receipts.codes import firetext_outcome, mmg_outcome


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("3", "delivered"),
        ("2", "permanent_failure"),
        ("5", "permanent_failure"),
        ("4", "temporary_failure"),
        ("9", "technical_failure"),
        (" 3 ", "delivered"),
    ],
)
def test_mmg_status_codes(status: str, outcome: str) -> None:
    assert mmg_outcome(status) == outcome


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        ("0", None, "delivered"),
        ("2", None, "pending"),
        ("1", "101", "permanent_failure"),
        ("1", "401", "permanent_failure"),
        ("1", "102", "temporary_failure"),
        ("1", "000", "temporary_failure"),
        ("1", "900", "temporary_failure"),
        ("1", None, "permanent_failure"),
        ("7", None, "technical_failure"),
    ],
)
def test_firetext_status_and_code(status: str, code: str | None, outcome: str) -> None:
    assert firetext_outcome(status, code) == outcome
