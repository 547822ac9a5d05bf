"""The windows of one partition: late and duplicated events, delivery times, and recovery from
the changelog records the state writes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify_analytics.observe import Observation, observe
from notify_analytics.state import PartitionState
from notify_analytics.windows import WindowKey, WindowStats, window_start

T0 = 1_764_900_000_000  # 2025-12-05T02:00:00Z, on a minute, hour and day... boundary checked below
DAY = 86_400_000


def requested(
    event_id: str, at_ms: int, notification_id: str = "n1", service: str = "s1", key_type: str = "normal"
) -> Observation:
    found = observe(
        "SmsRequested",
        {
            "event_id": event_id,
            "notification_id": notification_id,
            "service_id": service,
            "occurred_at": at_ms * 1000,
            "created_at": at_ms * 1000,
            "key_type": key_type,
        },
    )
    assert found is not None
    return found


def sent(event_id: str, at_ms: int, notification_id: str = "n1") -> Observation:
    found = observe(
        "NotificationSentToProvider",
        {
            "event_id": event_id,
            "notification_id": notification_id,
            "service_id": "s1",
            "occurred_at": at_ms * 1000,
            "channel": "sms",
            "provider": "mmg",
            "sent_at": at_ms * 1000,
        },
    )
    assert found is not None
    return found


def delivered(event_id: str, at_ms: int, notification_id: str = "n1") -> Observation:
    found = observe(
        "NotificationDelivered",
        {
            "event_id": event_id,
            "notification_id": notification_id,
            "service_id": "s1",
            "occurred_at": at_ms * 1000,
            "provider": "mmg",
            "delivered_at": at_ms * 1000,
        },
    )
    assert found is not None
    return found


def totals(state: PartitionState) -> dict[WindowKey, WindowStats]:
    """The totals once the batch being read has ended (events are added to them per batch)."""
    state.take_delta()
    return state.totals


def counts(state: PartitionState, granularity: str) -> dict[tuple[int, str, str, str], int]:
    state.take_delta()
    return {
        (k.start_ms, k.channel, k.provider, k.status): s.count
        for k, s in state.totals.items()
        if k.granularity == granularity
    }


def test_a_late_event_is_counted_in_the_window_it_happened_in() -> None:
    state = PartitionState(dedupe_ms=DAY)
    state.apply(requested("e1", T0 + 5 * 60_000, "n1"))
    state.apply(requested("e2", T0 + 60_000, "n2"))  # arrives after, happened 4 minutes before
    minutes = counts(state, "minute")
    assert minutes == {
        (window_start("minute", T0 + 5 * 60_000), "sms", "none", "created"): 1,
        (window_start("minute", T0 + 60_000), "sms", "none", "created"): 1,
    }
    assert sum(counts(state, "hour").values()) == 2


def test_a_duplicated_event_is_counted_once() -> None:
    state = PartitionState(dedupe_ms=DAY)
    assert state.apply(requested("e1", T0)) is True
    assert state.apply(requested("e1", T0)) is False
    assert counts(state, "day") == {(window_start("day", T0), "sms", "none", "created"): 1}


def test_status_events_take_their_channel_from_the_request_and_time_the_steps() -> None:
    state = PartitionState(dedupe_ms=DAY)
    state.apply(requested("e1", T0))
    state.apply(sent("e2", T0 + 4_000))
    state.apply(delivered("e3", T0 + 64_000))
    day = window_start("day", T0)
    sending = totals(state)[WindowKey("day", day, "s1", "sms", "mmg", "sending")]
    assert sending.created_to_sent.count == 1
    assert sending.created_to_sent.total_ms == 4_000
    assert sending.created_to_sent.within(10_000) == 1
    done = totals(state)[WindowKey("day", day, "s1", "sms", "mmg", "delivered")]
    assert done.sent_to_delivered.total_ms == 60_000
    assert done.sent_to_delivered.within(10_000) == 0


def test_a_failure_is_counted_by_its_kind() -> None:
    failed = observe(
        "NotificationFailed",
        {
            "event_id": "e9",
            "notification_id": "n1",
            "service_id": "s1",
            "occurred_at": T0 * 1000,
            "failure_kind": "permanent_failure",
            "provider": "mmg",
            "failed_at": T0 * 1000,
        },
    )
    assert failed is not None
    assert failed.status == "permanent-failure"
    assert observe("ComplaintReceived", {"event_id": "x", "occurred_at": 0}) is None


def roundtrip(records: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The changelog as compaction leaves it: the last value of each key, None deleting it."""
    latest: dict[str, dict[str, Any]] = {}
    for key, value in records:
        latest[key] = value
    return list(latest.items())


@pytest.mark.parametrize("short_deltas", [False, True])
def test_a_state_restored_from_its_records_equals_the_state_that_wrote_them(short_deltas: bool) -> None:
    state = PartitionState(dedupe_ms=DAY, short_deltas=short_deltas)
    log: list[tuple[str, dict[str, Any]]] = []
    for i in range(30):
        state.apply(requested(f"r{i}", T0 + i * 1_000, f"n{i}"))
        state.apply(sent(f"s{i}", T0 + i * 1_000 + 3_000, f"n{i}"))
        if i % 7 == 0:
            delta = state.take_delta()
            assert delta is not None
            log.append(delta)
        if i == 15:
            log.extend(state.checkpoint())
    delta = state.take_delta()
    assert delta is not None
    log.append(delta)

    restored = PartitionState(dedupe_ms=DAY)
    restored.restore(roundtrip(log))
    assert restored.totals == state.totals
    # Events read again after a crash are recognised and not counted twice.
    assert restored.apply(requested("r3", T0 + 3_000, "n3")) is False
    # What it knew of each notification survived: a late delivery is still timed.
    restored.apply(delivered("d29", T0 + 29_000 + 3_000 + 500, "n29"))
    cell = WindowKey("day", window_start("day", T0), "s1", "sms", "mmg", "delivered")
    assert totals(restored)[cell].sent_to_delivered.total_ms == 500


def test_expired_deltas_are_deleted_only_after_a_checkpoint_holds_their_counts() -> None:
    state = PartitionState(dedupe_ms=60_000)
    state.apply(requested("e1", T0))
    first = state.take_delta()
    assert first is not None
    later = T0 + 10 * 60_000
    assert state.expired(later) == []  # not checkpointed yet: the delta still holds the counts
    log = [first, *state.checkpoint()]
    gone = state.expired(later)
    assert gone == [first[0]]
    restored = PartitionState(dedupe_ms=60_000)
    restored.restore(roundtrip([r for r in log if r[0] not in gone]))
    assert restored.totals == state.totals
    assert restored.totals[next(iter(restored.totals))] == WindowStats(count=1)


def test_a_sending_read_before_its_request_is_timed_when_the_request_arrives() -> None:
    state = PartitionState(dedupe_ms=DAY)
    state.apply(sent("e2", T0 + 4_000))
    state.apply(delivered("e3", T0 + 9_000))
    state.apply(requested("e1", T0))
    day = window_start("day", T0)
    sending = totals(state)[WindowKey("day", day, "s1", "sms", "mmg", "sending")]
    assert (sending.count, sending.created_to_sent.count, sending.created_to_sent.total_ms) == (1, 1, 4_000)
    done = totals(state)[WindowKey("day", day, "s1", "sms", "mmg", "delivered")]
    assert (done.count, done.sent_to_delivered.total_ms) == (1, 5_000)


def test_a_delivery_read_before_its_sending_is_timed_when_the_sending_arrives() -> None:
    state = PartitionState(dedupe_ms=DAY)
    state.apply(requested("e1", T0))
    state.apply(delivered("e3", T0 + 9_000))
    state.apply(sent("e2", T0 + 4_000))
    day = window_start("day", T0)
    done = totals(state)[WindowKey("day", day, "s1", "sms", "mmg", "delivered")]
    assert (done.count, done.sent_to_delivered.count, done.sent_to_delivered.total_ms) == (1, 1, 5_000)


def test_a_batch_writes_each_cell_once_with_all_its_events_and_a_count_alone_when_nothing_was_timed() -> None:
    state = PartitionState(dedupe_ms=DAY)
    for i in range(50):
        state.apply(requested(f"r{i}", T0 + i * 100, f"n{i}"))
    state.apply(sent("s0", T0 + 4_000, "n0"))
    delta = state.take_delta()
    assert delta is not None
    minute = window_start("minute", T0)
    cells = delta[1]["counts"]
    assert cells[WindowKey("minute", minute, "s1", "sms", "none", "created").encode()] == [50]
    assert cells[WindowKey("day", window_start("day", T0), "s1", "sms", "none", "created").encode()] == [50]
    timed = WindowStats.from_list(cells[WindowKey("minute", minute, "s1", "sms", "mmg", "sending").encode()])
    assert (timed.count, timed.created_to_sent.count, timed.created_to_sent.total_ms) == (1, 1, 4_000)
    assert len(cells) == 6  # a minute, an hour and a day cell for each status


def test_a_batch_over_several_minutes_adds_them_up_in_its_hour_and_day_with_their_times() -> None:
    # Events are counted per minute and added to their hour and day when the batch ends.
    state = PartitionState(dedupe_ms=DAY)
    for i in range(3):
        state.apply(requested(f"r{i}", T0 + i * 60_000, f"n{i}"))
        state.apply(sent(f"s{i}", T0 + i * 60_000 + 1_000 * (i + 1), f"n{i}"))
    state.apply(sent("s9", T0 + 90_000, "n9"))  # its request read later, in another batch
    delta = state.take_delta()
    assert delta is not None
    cells = {WindowKey.decode(k): WindowStats.from_list(v) for k, v in delta[1]["counts"].items()}
    hour = WindowKey("hour", window_start("hour", T0), "s1", "sms", "mmg", "sending")
    assert cells[hour].count == 4
    assert cells[hour].created_to_sent.as_list()[:2] == [3, 6_000]
    assert cells[hour].created_to_sent.buckets[:4] == [1, 1, 1, 0]  # at most 1 s, 2 s, 5 s: 1, 2 and 3 s
    assert cells[hour._replace(granularity="day", start_ms=window_start("day", T0))] == cells[hour]
    minutes = sorted(k.start_ms for k in cells if k.granularity == "minute" and k.status == "sending")
    assert minutes == [T0, T0 + 60_000, T0 + 120_000]
    state.apply(requested("r9", T0 + 89_000, "n9"))
    second = state.take_delta()
    assert second is not None
    late = {WindowKey.decode(k): WindowStats.from_list(v) for k, v in second[1]["counts"].items()}
    # The step is timed in the sending's own minute (T0 + 90 s), and in its hour and day.
    assert late[hour].created_to_sent.as_list()[:2] == [1, 1_000]
    assert late[hour._replace(granularity="minute", start_ms=T0 + 60_000)].created_to_sent.count == 1
    assert state.totals[hour].created_to_sent.as_list()[:2] == [4, 7_000]


def test_delta_records_with_every_cell_in_full_still_restore() -> None:
    cell = WindowKey("minute", window_start("minute", T0), "s1", "sms", "none", "created")
    full = WindowStats(count=3)
    restored = PartitionState(dedupe_ms=DAY)
    restored.restore(
        [
            (
                "d|000000000001",
                {
                    "counts": {cell.encode(): full.as_list()},
                    "ids": {"e1": T0 + DAY},
                    "facts": {},
                    "expires": T0 + DAY,
                },
            )
        ]
    )
    assert restored.totals == {cell: full}
    assert restored.apply(requested("e1", T0)) is False


def test_a_notification_sent_with_a_test_key_is_not_counted_and_neither_are_its_later_events() -> None:
    state = PartitionState(dedupe_ms=DAY)
    assert state.apply(requested("e1", T0, "test-1", key_type="test")) is None
    assert state.apply(sent("e2", T0 + 1_000, "test-1")) is None
    assert state.apply(delivered("e3", T0 + 2_000, "test-1")) is None
    assert state.apply(requested("e1", T0, "test-1", key_type="test")) is False  # a duplicate is still one
    assert state.apply(requested("e4", T0, "n2", key_type="team")) is True
    assert counts(state, "day") == {(window_start("day", T0), "sms", "none", "created"): 1}


def test_a_restored_state_still_knows_which_notifications_were_sent_with_a_test_key() -> None:
    state = PartitionState(dedupe_ms=DAY)
    state.apply(requested("e1", T0, "test-1", key_type="test"))
    delta = state.take_delta()
    assert delta is not None
    restored = PartitionState(dedupe_ms=DAY)
    restored.restore([delta])
    assert restored.apply(sent("e2", T0 + 1_000, "test-1")) is None
    assert counts(restored, "day") == {}


def test_deltas_keep_the_format_every_worker_reads_unless_the_shorter_one_is_asked_for() -> None:
    """A worker before the shorter format reads only ``ids`` and ``facts``: a rolling upgrade or a
    rollback must not leave it a changelog it cannot restore."""
    state = PartitionState(dedupe_ms=DAY)
    state.apply(requested("e1", T0, "n1"))
    state.apply(sent("e2", T0 + 1_000, "n1"))
    delta = state.take_delta()
    assert delta is not None
    assert set(delta[1]) == {"counts", "ids", "facts", "expires"}
    assert delta[1]["ids"] == {"e1": T0 + 1_000 + DAY, "e2": T0 + 1_000 + DAY}
    assert delta[1]["facts"] == {"n1": ["sms", T0, T0 + 1_000, T0 + 1_000 + DAY, T0 + 1_000, "mmg"]}


def test_a_delta_writes_what_is_known_of_a_notification_without_the_fields_not_known_yet() -> None:
    state = PartitionState(dedupe_ms=DAY, short_deltas=True)
    state.apply(requested("e1", T0, "n1"))
    first = state.take_delta()
    state.apply(sent("e2", T0 + 1_000, "n1"))
    second = state.take_delta()
    assert first is not None
    assert second is not None
    # channel and created (from the batch's base): nothing after the last field known
    assert first[1]["base"] == T0
    assert first[1]["notifications"] == {"n1": ["sms", 0]}
    assert first[1]["event_ids"] == ["e1"]
    assert first[1]["expires"] == T0 + DAY
    # channel, created, sent, where the sending was counted (its time and provider)
    assert second[1]["base"] == T0 + 1_000
    assert second[1]["notifications"] == {"n1": ["sms", -1_000, 0, 0, "mmg"]}
    assert second[1]["expires"] == T0 + 1_000 + DAY


def test_a_state_restored_from_deltas_written_before_their_shorter_format_knows_all_they_held() -> None:
    """A worker restarted on a changelog written by an older worker: ``ids`` with an expiry each,
    and ``facts`` as ``Fact`` lists, expiry included."""
    first = {
        "counts": {},
        "ids": {"e1": T0 + DAY, "e2": T0 + 1_000 + DAY},
        "facts": {"n1": ["sms", T0, T0 + 1_000, T0 + 1_000 + DAY, T0 + 1_000, "mmg"]},
        "expires": T0 + 1_000 + DAY,
    }
    second = {
        "counts": {},
        "ids": {"e3": T0 + DAY},
        "facts": {"t1": ["sms", T0, None, T0 + DAY, None, None, None, None, None, True]},
        "expires": T0 + DAY,
    }
    restored = PartitionState(dedupe_ms=DAY)
    restored.restore(roundtrip([("d|000000000001", first), ("d|000000000002", second)]))
    assert restored.seen == {"e1": T0 + DAY, "e2": T0 + 1_000 + DAY, "e3": T0 + DAY}
    assert restored.apply(requested("e1", T0, "n1")) is False
    assert restored.apply(sent("e4", T0 + 2_000, "t1")) is None  # a test key's
    restored.apply(delivered("d1", T0 + 1_500, "n1"))
    cell = WindowKey("day", window_start("day", T0), "s1", "sms", "mmg", "delivered")
    assert totals(restored)[cell].sent_to_delivered.total_ms == 500
    assert restored.seq == 3  # the deltas it wrote next follow the old ones


def test_restored_ids_and_facts_expire_with_their_delta() -> None:
    state = PartitionState(dedupe_ms=60_000, short_deltas=True)
    state.apply(requested("e1", T0, "n1"))
    state.apply(sent("e2", T0 + 5_000, "n1"))
    state.apply(requested("e3", T0 + 1_000, "n2"))
    delta = state.take_delta()
    assert delta is not None
    restored = PartitionState(dedupe_ms=60_000)
    restored.restore(roundtrip([delta]))
    # Each is remembered until the batch's latest event expires: at least its own horizon.
    assert restored.seen == dict.fromkeys(("e1", "e2", "e3"), T0 + 65_000)
    assert {n: f.expires_ms for n, f in restored.facts.items()} == {"n1": T0 + 65_000, "n2": T0 + 65_000}
    restored.checkpoint()
    assert restored.expired(T0 + 65_000) == []
    assert restored.apply(requested("e3", T0 + 1_000, "n2")) is False
    assert restored.expired(T0 + 65_001) == [f"d|{1:012d}"]
    assert restored.seen == {}


def test_a_notification_restored_from_shortened_facts_knows_all_it_knew() -> None:
    state = PartitionState(dedupe_ms=DAY)
    log: list[tuple[str, dict[str, Any]]] = []
    for event in (
        requested("e1", T0, "n1"),
        sent("e2", T0 + 1_000, "n1"),
        requested("e3", T0, "t1", key_type="test"),
    ):
        state.apply(event)
        delta = state.take_delta()
        assert delta is not None
        log.append(delta)
    restored = PartitionState(dedupe_ms=DAY)
    restored.restore(roundtrip(log))
    assert restored.facts == state.facts


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            # an event of notification n<k> (requested, sent or delivered), occurring ms after T0
            st.tuples(st.just("event"), st.integers(0, 5), st.integers(0, 2), st.integers(0, 120_000)),
            # a checkpoint at ms after T0 + the horizon, then the expiry at that time
            st.tuples(st.just("expire"), st.integers(0, 130_000)),
        ),
        max_size=60,
    )
)
def test_expiry_forgets_exactly_the_ids_and_facts_past_their_time(steps: list[tuple[Any, ...]]) -> None:
    """However events and expiries interleave (events out of order, a notification's facts kept
    longer by its later events), each expiry forgets exactly the ids and facts whose expiry has
    passed, as a walk of every one of them would, and nothing else."""
    horizon = 60_000
    state = PartitionState(horizon)
    made = (requested, sent, delivered)
    for number, step in enumerate(steps):
        if step[0] == "event":
            _, notification, kind, at = step
            state.apply(made[kind](f"e{number}", T0 + at, notification_id=f"n{notification}"))
            continue
        now = T0 + horizon + step[1]
        state.checkpoint()
        seen, facts = dict(state.seen), {n: f.expires_ms for n, f in state.facts.items()}
        state.expired(now)
        assert state.seen == {e: t for e, t in seen.items() if t >= now}
        assert {n: f.expires_ms for n, f in state.facts.items()} == {
            n: t for n, t in facts.items() if t >= now
        }
