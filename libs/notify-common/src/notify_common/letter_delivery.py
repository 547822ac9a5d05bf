"""When a letter is expected to arrive: GOV.UK Notify's estimate, shown as ``estimated_delivery`` on
every letter the public API returns (https://docs.notifications.service.gov.uk/rest-api.html).
Pure: a function of the time the letter was sent and its postage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
PRINT_DEADLINE = time(17, 30)
# Working days from despatch to earliest delivery, per postage.
DELIVERY_DAYS = {"first": 1, "second": 2, "economy": 3, "europe": 3, "rest-of-world": 6}

# Bank holidays in England and Wales (the `holidays` package; years are filled in as asked for).
BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def _add_working_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def estimated_delivery(created_at: datetime, postage: str | None) -> datetime:
    """Letters are printed at 17:30 London time on working days and despatched the next working
    day; the estimate is the earliest delivery day for the postage. Weekends and England and Wales
    bank holidays are not working days."""
    local = created_at.astimezone(LONDON)
    print_day = local.date()
    if local.time() >= PRINT_DEADLINE or not is_working_day(print_day):
        print_day = _add_working_days(print_day, 1)
    despatch = _add_working_days(print_day, 1)
    delivery = _add_working_days(despatch, DELIVERY_DAYS.get(postage or "second", 2))
    return datetime.combine(delivery, time(16, 0), tzinfo=UTC)
