"""Annual sending limits: how many messages a service may send on each channel in a financial year
(1 April to 31 March, London time), as GC Notify has them (docs/limits.md). Pure rules, no I/O.

The count lives in Redis beside the daily ones (``notify_common.ratelimit``); a send that takes a
service past ``WARNING_PERCENTAGES`` of a channel's limit leaves one warning per threshold and
year, for the admin-api to tell the team.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
CHANNELS = ("sms", "email", "letter")
# GC Notify's defaults for text messages and emails; GC Notify sends no letters, so the letter
# default is this platform's own.
DEFAULT_ANNUAL_LIMITS: dict[str, int] = {"sms": 100_000, "email": 20_000_000, "letter": 1_000_000}
WARNING_PERCENTAGES = (80, 90)
# Warnings the limiter leaves for the admin-api to send (a Redis list of JSON objects).
WARNINGS_KEY = "annual-limit-warnings"


def warnings_key(prefix: str) -> str:
    """The list of one platform's warnings: its Kafka topic prefix keeps platforms sharing a
    Redis (test runs) apart."""
    return f"{prefix}{WARNINGS_KEY}"


# A counter outlives its year by this much, so a send at 23:59 on 31 March is still counted.
YEAR_TTL_MARGIN_SECONDS = 7 * 86_400


def financial_year(moment: datetime | None = None) -> int:
    """The financial year ``moment`` (now) falls in, named by the calendar year it starts in."""
    if moment is None:
        return _this_second()[0]
    local = moment.astimezone(LONDON)
    return local.year if local.month >= 4 else local.year - 1


def year_end(year: int) -> datetime:
    """When financial year ``year`` ends: midnight at the start of 1 April, London time."""
    return datetime(year + 1, 4, 1, tzinfo=LONDON)


def seconds_until_year_end(moment: datetime | None = None) -> int:
    if moment is None:
        return _this_second()[1]
    return max(1, math.ceil((year_end(financial_year(moment)) - moment).total_seconds()))


# Now's financial year and seconds until its end, worked out once a second (every send counts on an
# annual limit): a year ends on a whole second, so every moment of one second has the same year,
# and the same seconds until its end (rounded up, as above).
_second = -1
_now_facts = (0, 0)


def _this_second() -> tuple[int, int]:
    global _second, _now_facts
    second = int(time.time())
    if second != _second:
        moment = datetime.fromtimestamp(second, UTC)
        _now_facts = (financial_year(moment), seconds_until_year_end(moment))
        _second = second
    return _now_facts


def threshold(limit: int, percentage: int) -> int:
    """The count at which ``percentage`` of ``limit`` is reached (at least 1)."""
    return max(1, math.ceil(limit * percentage / 100))


def crossed(before: int, after: int, limit: int) -> list[int]:
    """The warning percentages a count going from ``before`` to ``after`` reached."""
    return [p for p in WARNING_PERCENTAGES if before < threshold(limit, p) <= after]


@dataclass(frozen=True)
class AnnualLimits:
    """A service's limit per channel for a financial year."""

    sms: int = DEFAULT_ANNUAL_LIMITS["sms"]
    email: int = DEFAULT_ANNUAL_LIMITS["email"]
    letter: int = DEFAULT_ANNUAL_LIMITS["letter"]

    def of(self, channel: str) -> int:
        limit: int = getattr(self, channel)
        return limit


def over_annual_limit_message(channel: str, limit: int) -> str:
    """GC Notify's words for a send past the annual limit (letters named as the others are)."""
    shown = {"sms": "SMS", "email": "email", "letter": "letter"}[channel]
    return f"Exceeded annual {shown} sending limit of {limit} messages"
