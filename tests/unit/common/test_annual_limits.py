"""The annual limit rules: the financial year runs from 1 April to 31 March in London time, and a
count reaching 80 % and 90 % of a limit is a warning each."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from notify_common import annual_limits, annual_warnings, ratelimit
from notify_common.annual_limits import (
    AnnualLimits,
    crossed,
    financial_year,
    over_annual_limit_message,
    seconds_until_year_end,
)


@pytest.mark.parametrize(
    ("moment", "year"),
    [
        (datetime(2027, 3, 31, 22, 59, tzinfo=UTC), 2026),  # 23:59 BST on 31 March
        (datetime(2027, 3, 31, 23, 0, tzinfo=UTC), 2027),  # midnight BST on 1 April
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), 2026),
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), 2025),
    ],
)
def test_the_financial_year_starts_on_1_april_in_london(moment: datetime, year: int) -> None:
    assert financial_year(moment) == year


def test_the_year_ends_at_london_midnight_before_1_april() -> None:
    assert seconds_until_year_end(datetime(2027, 3, 31, 22, 0, tzinfo=UTC)) == 3_600


@pytest.mark.parametrize(
    ("before", "after", "reached"),
    [(0, 79, []), (79, 80, [80]), (80, 89, []), (89, 90, [90]), (70, 100, [80, 90]), (90, 100, [])],
)
def test_a_count_reaching_80_and_90_percent_of_the_limit_is_a_warning_each(
    before: int, after: int, reached: list[int]
) -> None:
    assert crossed(before, after, 100) == reached


def test_the_defaults_are_gc_notifys_and_the_refusal_uses_its_words() -> None:
    assert (AnnualLimits().sms, AnnualLimits().email) == (100_000, 20_000_000)
    assert over_annual_limit_message("sms", 5) == "Exceeded annual SMS sending limit of 5 messages"
    assert over_annual_limit_message("email", 5) == "Exceeded annual email sending limit of 5 messages"


class Clock:
    """``time`` for the modules under test: ``time()`` is the test's."""

    def __init__(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def time(self) -> float:
        return self.now


def test_now_s_year_and_day_follow_the_clock_across_the_end_of_a_year(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(datetime(2027, 3, 31, 22, 59, 58, 500_000, tzinfo=UTC))  # 23:59:58.5 BST
    monkeypatch.setattr(annual_limits, "time", clock)
    monkeypatch.setattr(ratelimit, "time", clock)
    assert (financial_year(), seconds_until_year_end(), ratelimit.utc_day()) == (2026, 2, "2027-03-31")
    clock.now += 0.4  # the same second
    assert (financial_year(), seconds_until_year_end()) == (2026, 2)
    clock.now += 0.6  # 23:59:59.5
    assert (financial_year(), seconds_until_year_end()) == (2026, 1)
    clock.now += 0.5  # midnight on 1 April in London
    assert financial_year() == 2027
    assert seconds_until_year_end() == 366 * 86_400  # to 1 April 2028, a leap year away
    clock.now += 3_600  # midnight UTC
    assert ratelimit.utc_day() == "2027-04-01"


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 10, 11, 100, 101, 999, 25_000_000])
def test_an_admission_leaves_the_warnings_each_of_its_annual_counts_reached(limit: int) -> None:
    """``Limiter._warn`` (every accepted send) compares the count with the limit's thresholds before
    asking ``reached``: it must leave exactly what ``reached`` finds, and nothing for daily counts."""
    left: list[object] = []

    class Warnings:
        async def leave(self, service_id: str, warnings: list[object]) -> None:
            left.extend(warnings)

    class Redis:
        def register_script(self, text: str) -> None:
            return None

    async def admit_all() -> None:
        limiter = ratelimit.Limiter(Redis())  # type: ignore[arg-type]
        limiter._warnings = Warnings()  # type: ignore[assignment]
        annual = ratelimit.DailyLimit("sms", limit, 2026)
        daily = ratelimit.DailyLimit("sms", limit)
        near_thresholds = [
            t + d for p in (80, 90) for t in [annual_limits.threshold(limit, p)] for d in range(-6, 7)
        ]
        for n in (1, 2, 5):
            for after in sorted({*range(limit + 6), *near_thresholds}) if limit < 1000 else near_thresholds:
                left.clear()
                limiter._warn("s", [(daily, n), (annual, n)], [after, after])
                await limiter.settled()
                assert left == annual_warnings.reached("sms", 2026, limit, n, after), (n, after)

    asyncio.run(admit_all())
