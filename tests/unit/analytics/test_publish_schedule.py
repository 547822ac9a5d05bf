"""When a worker publishes its changed cells: at every tick, but while it is more than a batch
behind only every catch-up interval; and how far behind it is, from what its partitions hold."""

from __future__ import annotations

from faust.types import TP

from notify_analytics.faust_app import messages_behind
from notify_analytics.worker import PublishSchedule


def ticks(schedule: PublishSchedule, behind: list[int], every: float = 10.0) -> list[bool]:
    return [schedule.due((n + 1) * every, lag) for n, lag in enumerate(behind)]


def test_a_worker_keeping_up_publishes_at_every_tick() -> None:
    assert ticks(PublishSchedule(60.0, 1000, started=0.0), [0, 10, 1000, 0]) == [True] * 4


def test_a_worker_behind_by_more_than_a_batch_publishes_only_every_catch_up_interval_from_its_start() -> None:
    schedule = PublishSchedule(60.0, 1000, started=0.0)
    due = ticks(schedule, [50_000] * 13 + [0, 0])
    assert due == [*[False] * 5, True, *[False] * 5, True, False, True, True]


def test_how_far_behind_counts_the_assigned_partitions_of_the_counted_topics_from_the_last_read() -> None:
    counted, other = TP("requested", 0), TP("changelog", 0)
    never_read, revoked = TP("requested", 1), TP("requested", 2)
    ends = {counted: 100, other: 500, never_read: 30, revoked: 700}
    read = {counted: 89, other: 0, revoked: 10}
    assert messages_behind(ends, read, {counted, other, never_read}, {"requested"}) == 10 + 30
