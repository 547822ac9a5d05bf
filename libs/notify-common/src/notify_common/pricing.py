"""What a notification costs. A text message fragment: one rate per financial year, starting each
1 April; the public API reports it on each text it returns and the admin API bills usage with it,
so both read it from here. ``cost_data``: a notification's cost as the public API reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from notify_common import statuses

LONDON = ZoneInfo("Europe/London")

# Pounds per SMS fragment, from the 1 April each rate starts (GOV.UK Notify's rate rose to 2.4p on
# 1 April 2026, https://www.notifications.service.gov.uk/pricing); cost data is indicative, as in Notify.
SMS_RATES: tuple[tuple[date, float], ...] = ((date(2026, 4, 1), 0.024), (date.min, 0.0227))


def sms_rate_on(day: date) -> float:
    return next(rate for start, rate in SMS_RATES if day >= start)


# Letters Notify never bills for: they cost nothing, and their cost data is ready at once.
LETTERS_NEVER_SENT = frozenset(
    {statuses.CANCELLED, statuses.TECHNICAL_FAILURE, statuses.VALIDATION_FAILED, statuses.VIRUS_SCAN_FAILED}
)


def cost_data(
    row: dict[str, Any], kind: str, created_at: datetime, letter_prices: Mapping[str, float]
) -> dict[str, Any]:
    """``cost_details``, ``cost_in_pounds`` and ``is_cost_data_ready`` as Notify's serializer gives
    them: not ready (``{}`` and null) until the cost is known; letters are priced only where a price
    per letter is configured for their postage."""
    status, units = row["status"], row.get("billable_units") or 0
    not_ready: dict[str, Any] = {"cost_details": {}, "cost_in_pounds": None, "is_cost_data_ready": False}
    if kind == "email":
        return {"cost_details": {}, "cost_in_pounds": 0.0, "is_cost_data_ready": True}
    if kind == "sms":
        # Notify counts the fragments it bills when it hands the message to a provider; the
        # fragments known at the request are not yet its cost.
        if status == statuses.CREATED:
            return not_ready
        multiplier = row.get("rate_multiplier") or 1
        rate = sms_rate_on(created_at.astimezone(LONDON).date())
        details = {
            "billable_sms_fragments": units,
            "international_rate_multiplier": multiplier,
            "sms_rate": rate,
        }
        return {
            "cost_details": details,
            "cost_in_pounds": round(units * multiplier * rate, 4),
            "is_cost_data_ready": True,
        }
    postage = row["postage"]
    if status in LETTERS_NEVER_SENT:
        details = {"billable_sheets_of_paper": 0, "postage": postage}
        return {"cost_details": details, "cost_in_pounds": 0.0, "is_cost_data_ready": True}
    price = letter_prices.get(postage or "second")
    if status == statuses.PENDING_VIRUS_CHECK or not units or price is None:
        return not_ready
    details = {"billable_sheets_of_paper": units, "postage": postage}
    return {"cost_details": details, "cost_in_pounds": price, "is_cost_data_ready": True}
