"""Weighted SMS provider choice: shifting away on errors and slow receipts, drifting back to rest."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from notify_sms_sender.balancer import (
    ERRORS,
    RECOVERY,
    SLOW_RECEIPTS,
    BalancingRules,
    ProviderBalancer,
    parse_weights,
    shift_away,
    toward,
)
from notify_sms_sender.delivery_times import DeliveryTimes

RESTING = {"mmg": 51, "firetext": 49}


def test_weights_are_read_from_settings_text() -> None:
    assert parse_weights("mmg:51, firetext:49") == RESTING
    with pytest.raises(ValueError, match="not all zero"):
        parse_weights("mmg:0,firetext:0")


def test_choice_follows_the_weights() -> None:
    balancer = ProviderBalancer({"mmg": 80, "firetext": 20})
    rng = random.Random(7)
    counts = Counter(balancer.choose(rng, 0.0) for _ in range(10_000))
    assert 7_700 < counts["mmg"] < 8_300
    assert counts["mmg"] + counts["firetext"] == 10_000


def test_a_provider_with_no_weight_is_never_chosen() -> None:
    balancer = ProviderBalancer({"mmg": 100, "sns": 0})
    rng = random.Random(1)
    assert {balancer.choose(rng, 0.0) for _ in range(1_000)} == {"mmg"}


def test_a_throttling_provider_is_skipped_while_it_cools_down() -> None:
    balancer = ProviderBalancer(dict(RESTING))
    balancer.cool_down("mmg", until=10.0)
    rng = random.Random(3)
    assert {balancer.choose(rng, 5.0) for _ in range(500)} == {"firetext"}
    assert "mmg" in {balancer.choose(rng, 11.0) for _ in range(500)}


def test_errors_over_the_threshold_move_ten_points_to_the_other_provider_once_a_minute() -> None:
    balancer = ProviderBalancer(dict(RESTING), BalancingRules(error_threshold=50))
    changes = [balancer.record_error("mmg", now=float(i) / 10) for i in range(51)]
    assert changes[:50] == [None] * 50
    change = changes[50]
    assert change is not None
    assert change.reason == ERRORS
    assert change.before == RESTING
    assert change.after == {"mmg": 41, "firetext": 59}
    # More errors within the minute change nothing; after it, another step.
    assert all(balancer.record_error("mmg", now=10.0 + i / 10) is None for i in range(60))
    # Once the minute since the change has passed, the errors still in the window shift again.
    later = balancer.record_error("mmg", now=70.0)
    assert later is not None
    assert later.after == {"mmg": 31, "firetext": 69}


def test_errors_spread_out_over_more_than_the_window_change_nothing() -> None:
    balancer = ProviderBalancer(dict(RESTING), BalancingRules(error_threshold=50, error_window_s=60))
    assert all(balancer.record_error("mmg", now=float(i * 2)) is None for i in range(200))
    assert balancer.current == RESTING


def test_a_slow_provider_loses_ten_points_unless_every_provider_is_slow() -> None:
    balancer = ProviderBalancer(dict(RESTING))
    assert balancer.record_slow_ratios({"mmg": 0.5, "firetext": 0.4}, now=0.0) is None
    change = balancer.record_slow_ratios({"mmg": 0.2, "firetext": 0.01}, now=0.0)
    assert change is not None
    assert change.reason == SLOW_RECEIPTS
    assert change.after == {"mmg": 41, "firetext": 59}
    # Not again within five minutes of a change.
    assert balancer.record_slow_ratios({"mmg": 0.2, "firetext": 0.01}, now=200.0) is None
    assert balancer.record_slow_ratios({"mmg": 0.2, "firetext": 0.01}, now=301.0) is not None


def test_weights_drift_back_to_rest_ten_points_at_a_time_after_a_quiet_spell() -> None:
    balancer = ProviderBalancer(dict(RESTING), current={"mmg": 21, "firetext": 79}, last_change_at=0.0)
    assert balancer.tend_to_rest(now=100.0) is None
    steps = []
    now = 0.0
    while (change := balancer.tend_to_rest(now := now + 901.0)) is not None:
        assert change.reason == RECOVERY
        steps.append(change.after)
    assert steps == [{"mmg": 31, "firetext": 69}, {"mmg": 41, "firetext": 59}, RESTING]


def test_shifting_and_drifting_keep_the_total_with_three_providers() -> None:
    weights = {"mmg": 40, "firetext": 40, "sns": 20}
    shifted = shift_away(weights, "sns", 10)
    assert shifted == {"mmg": 45, "firetext": 45, "sns": 10}
    assert shift_away({"mmg": 5, "firetext": 95}, "mmg", 10) == {"mmg": 0, "firetext": 100}
    back = toward({"mmg": 70, "firetext": 20, "sns": 10}, weights, 10)
    assert sum(back.values()) == 100
    assert 60 <= back["mmg"] <= 61  # the widest gap moves by the step, give or take rounding


def test_slow_ratios_count_late_receipts_and_missing_ones_but_not_young_messages() -> None:
    times = DeliveryTimes(slow_after_s=300, window_s=900, sample_every=1)
    ids = [f"00000000-0000-0000-0000-{i:012x}" for i in range(4)]
    times.record_sent(ids[0], "mmg", 0.0)
    times.record_sent(ids[1], "mmg", 0.0)
    times.record_sent(ids[2], "firetext", 0.0)
    times.record_sent(ids[3], "firetext", 390.0)  # too young to judge at 400
    times.record_receipt(ids[0], 10.0)  # fast
    times.record_receipt(ids[2], 350.0)  # slow
    assert times.slow_ratios(400.0) == {"mmg": 0.5, "firetext": 1.0}
    # Everything sent before the window is forgotten.
    assert times.slow_ratios(2_000.0) == {}


def test_only_a_sample_of_notifications_is_tracked() -> None:
    times = DeliveryTimes(sample_every=8)
    for i in range(800):
        times.record_sent(f"00000000-0000-0000-0000-{i:012x}", "mmg", 0.0)
    assert times.slow_ratios(400.0) == {"mmg": 1.0}
    assert len(times._tracked) == 100
