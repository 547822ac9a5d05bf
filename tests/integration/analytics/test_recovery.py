"""Analytics state survives its workers: a worker killed mid-stream and started again ends with
the same tables as a run that was never interrupted, and two workers split the partitions and
together count what one counts. Each run has topics of its own; the same events go to both."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from notify_common.events import Event
from notify_common.settings import CommonSettings
from tests.integration.analytics.conftest import (
    Worker,
    lifecycle,
    minutes_ago,
    publish,
    results_of,
    wait_for_count,
)

NOTIFICATIONS = 400


def traffic(seed: int) -> list[tuple[str, Event]]:
    rng = random.Random(seed)
    items: list[tuple[str, Event]] = []
    for i in range(NOTIFICATIONS):
        items += lifecycle(
            f"{seed}-n{i}",
            f"service-{i % 3}",
            minutes_ago(rng.uniform(1, 30)),
            channel=rng.choice(("sms", "email")),
            send_after=rng.uniform(0.2, 20),
            deliver_after=rng.uniform(1, 120),
            fails=rng.random() < 0.1,
        )
    # A tenth of the events again, as a producer's retry would send them.
    items += rng.sample(items, len(items) // 10)
    return items


async def test_a_worker_killed_mid_stream_and_restarted_ends_with_the_tables_of_an_uninterrupted_run(
    kafka: CommonSettings, second_kafka: CommonSettings, workers: list[Worker], tmp_path: Path
) -> None:
    items = traffic(1)
    expected = NOTIFICATIONS * 3 * 3  # three events, each in a minute, an hour and a day cell
    uninterrupted = Worker(second_kafka, tmp_path / "uninterrupted.log").start()
    killed = Worker(kafka, tmp_path / "killed.log").start()
    workers += [uninterrupted, killed]
    await asyncio.gather(uninterrupted.wait_ready(), killed.wait_ready())
    await publish(second_kafka, items)

    half = len(items) // 2
    await publish(kafka, items[:half])
    async with asyncio.timeout(60):
        while await killed.counted() < half // 2:
            await asyncio.sleep(0.1)
    publishing = asyncio.create_task(publish(kafka, items[half:]))
    await asyncio.sleep(0.3)
    killed.kill()
    await publishing
    restarted = Worker(kafka, tmp_path / "restarted.log").start()
    workers.append(restarted)
    await restarted.wait_ready()

    reference = await wait_for_count(second_kafka, "minute", expected // 3)
    recovered = await wait_for_count(kafka, "minute", expected // 3)
    assert recovered == reference
    assert sum(s.count for s in reference.values()) == expected


async def test_two_workers_split_the_partitions_and_together_count_what_one_counts(
    kafka: CommonSettings, second_kafka: CommonSettings, workers: list[Worker], tmp_path: Path
) -> None:
    items = traffic(2)
    one = Worker(second_kafka, tmp_path / "one.log").start()
    first = Worker(kafka, tmp_path / "first.log").start()
    second = Worker(kafka, tmp_path / "second.log").start()
    workers += [one, first, second]
    await asyncio.gather(one.wait_ready(), first.wait_ready(), second.wait_ready())
    await asyncio.sleep(3)  # the group settles with both members before the events arrive
    await asyncio.gather(publish(second_kafka, items), publish(kafka, items))

    reference = await wait_for_count(second_kafka, "minute", NOTIFICATIONS * 3)
    together = await wait_for_count(kafka, "minute", NOTIFICATIONS * 3)
    assert together == reference
    assert await first.counted() > 0
    assert await second.counted() > 0
    assert await first.counted() + await second.counted() == NOTIFICATIONS * 3
    assert (await results_of(kafka)) == together
