"""The limits a process keeps while Redis is away: the same token bucket, daily counts starting
from what Redis last said, all-or-none counting, and the counts handed back to Redis later."""

from __future__ import annotations

from notify_common.local_limits import LocalLimits


def test_the_bucket_allows_its_capacity_at_once_then_refills_at_the_rate() -> None:
    limits = LocalLimits()
    assert [limits.take_token("k", 1.0, 2, now=0.0) for _ in range(2)] == [0.0, 0.0]
    assert limits.take_token("k", 1.0, 2, now=0.0) == 1.0
    assert limits.take_token("k", 1.0, 2, now=0.5) == 0.5
    assert limits.take_token("k", 1.0, 2, now=1.0) == 0.0


def test_daily_counts_start_from_what_redis_last_said() -> None:
    limits = LocalLimits()
    limits.seen("sms", 9)
    assert limits.count([("sms", 1, 10)]) == 0
    assert limits.count([("sms", 1, 10)]) == 1


def test_counting_is_all_or_none_and_names_the_first_counter_over_its_limit() -> None:
    limits = LocalLimits()
    assert limits.count([("sms", 1, 5), ("international_sms", 1, 0)]) == 2
    assert limits.take_pending() == {}
    assert limits.count([("sms", 2, 5), ("international_sms", 1, 1)]) == 0
    assert limits.take_pending() == {"sms": 2, "international_sms": 1}
    assert limits.take_pending() == {}


def test_counts_not_added_to_redis_are_kept_for_the_next_try() -> None:
    limits = LocalLimits()
    limits.count([("sms", 3, 5)])
    pending = limits.take_pending()
    limits.put_back(pending)
    assert limits.has_pending()
    assert limits.take_pending() == {"sms": 3}


def test_a_count_given_back_frees_its_room_and_is_not_added_to_redis() -> None:
    limits = LocalLimits()
    assert limits.count([("sms", 1, 1)]) == 0
    limits.give_back([("sms", 1)])
    assert limits.count([("sms", 1, 1)]) == 0
    assert limits.take_pending() == {"sms": 1}


def test_what_redis_says_after_an_outage_still_counts_what_is_not_yet_added() -> None:
    limits = LocalLimits()
    limits.count([("sms", 2, 10)])
    limits.seen("sms", 5)
    assert limits.count([("sms", 3, 10)]) == 0
    assert limits.count([("sms", 1, 10)]) == 1
