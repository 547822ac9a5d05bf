"""One analytics worker on the real broker: late events land in their own window, duplicated
events are counted once, a notification sent with a test key not at all, and delivery times are
measured from the request."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from notify_analytics.observe import STATUS_OF_EVENT
from notify_common.settings import CommonSettings
from tests.integration.analytics.conftest import (
    Worker,
    lifecycle,
    minutes_ago,
    publish,
    wait_for_count,
)


def minute_of(at_ms: int) -> int:
    return at_ms - at_ms % 60_000


async def test_late_and_duplicated_events_are_counted_once_in_the_window_they_happened_in_and_test_keys_not_at_all(
    kafka: CommonSettings, workers: list[Worker], tmp_path: Path
) -> None:
    first = lifecycle("n1", "s1", minutes_ago(5))
    second = lifecycle("n2", "s1", minutes_ago(3), channel="email")
    third = lifecycle("n3", "s2", minutes_ago(3), fails=True)
    late = lifecycle("n4", "s1", minutes_ago(40))  # arrives last, happened first
    duplicates = [first[0], second[2], third[1]]
    test_key = lifecycle("n5", "s1", minutes_ago(4), key_type="test")  # not counted at all
    workers.append(Worker(kafka, tmp_path / "analytics.log").start())
    await workers[0].wait_ready()

    await publish(kafka, [*first, *second, *third, test_key[0]])
    async with asyncio.timeout(60):  # the test key's request is read before its later events
        while await workers[0].counted("ignored") < 1:
            await asyncio.sleep(0.2)
    await publish(kafka, test_key[1:])
    await publish(kafka, [*late, *duplicates])

    cells = await wait_for_count(kafka, "minute", 12)
    expected: Counter[tuple[int, str, str]] = Counter()
    for _, event in [*first, *second, *third, *late]:
        status = STATUS_OF_EVENT.get(type(event).__name__, "permanent-failure")
        channel = "email" if event.notification_id == "n2" else "sms"
        expected[(minute_of(int(event.occurred_at.timestamp() * 1000)), channel, status)] += 1
    got: Counter[tuple[int, str, str]] = Counter()
    for key, stats in cells.items():
        if key.granularity == "minute":
            got[(key.start_ms, key.channel, key.status)] += stats.count
    assert got == expected
    hours = sum(s.count for k, s in cells.items() if k.granularity == "hour")
    assert hours == 12
    sending = [s for k, s in cells.items() if k.granularity == "day" and k.status == "sending"]
    assert sum(s.created_to_sent.count for s in sending) == 4
    assert sum(s.created_to_sent.total_ms for s in sending) == 4 * 2_000
    assert sum(s.created_to_sent.within(10_000) for s in sending) == 4
    delivered = [s for k, s in cells.items() if k.granularity == "day" and k.status == "delivered"]
    assert sum(s.sent_to_delivered.total_ms for s in delivered) == 3 * 30_000
