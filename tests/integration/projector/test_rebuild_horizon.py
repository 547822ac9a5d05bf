"""A rebuild after the log lost its oldest records (topic retention, docs/lifecycle.md): the days
the replay no longer holds keep their facts and job counts from the live tables, row for row, and
the days it holds are recomputed from the log. The broker's retention is played by deleting the
oldest records of the personal-data topics (DeleteRecords), exactly what retention does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.records_to_delete import RecordsToDelete
from sqlalchemy import text

from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, Received, connection_options
from notify_common.settings import CommonSettings
from notify_projector.horizon import LONDON, first_full_day
from notify_projector.periodic import apply_retention
from notify_projector.projection import project
from notify_projector.rebuild import rebuild
from notify_projector.tables import PROJECTION_TABLES
from tests.integration.projector.test_rebuild import snapshot
from tests.support.lifecycle import eventually, running_consumer
from tests.support.streams import lifecycle_stream

PERSONAL = [t.name for t in topics.TOPICS if t.retention_ms == topics.PERSONAL_DATA_RETENTION]


def one_am_london(days_ago: int) -> datetime:
    day = datetime.now(LONDON).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(1), tzinfo=LONDON).astimezone(UTC)


async def end_offsets(settings: CommonSettings, names: Sequence[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**connection_options(settings))
    await consumer.start()
    try:
        partitions = [
            TopicPartition(settings.kafka_topic_prefix + name, p)
            for name in names
            for p in range(topics.TOPICS_BY_NAME[name].partitions)
        ]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def delete_before(settings: CommonSettings, offsets: dict[TopicPartition, int]) -> None:
    admin = AIOKafkaAdminClient(**connection_options(settings))
    await admin.start()
    try:
        await admin.delete_records(
            {tp: RecordsToDelete(o) for tp, o in offsets.items() if o > 0}, timeout_ms=10_000
        )
    finally:
        await admin.close()


async def test_a_rebuild_keeps_the_facts_of_days_the_log_no_longer_holds_and_recomputes_the_rest(
    own_database: CommonSettings, producer: EventProducer
) -> None:
    settings = own_database
    gone = lifecycle_stream(300, seed=21, t0=one_am_london(20))  # will have left the log
    first_kept = lifecycle_stream(300, seed=22, t0=one_am_london(10))  # the oldest records kept
    recent = lifecycle_stream(300, seed=23, t0=one_am_london(2))
    engine = create_engine(settings, pool_size=4)

    async def handle(batch: Sequence[Received]) -> None:
        await project(engine, [r.event for r in batch])

    group, read = topics.GROUP_PROJECTOR, topics.topics_read_by(topics.GROUP_PROJECTOR)
    async with running_consumer(settings, producer, group, read, handle) as live:
        await producer.publish_many(gone.events)
        await eventually(lambda: live.handled >= len(gone.events), timeout=60)
        cut = await end_offsets(settings, PERSONAL)
        await producer.publish_many(first_kept.events)
        kept_from = await end_offsets(settings, PERSONAL)
        await producer.publish_many(recent.events)
        total = len(gone.events) + len(first_kept.events) + len(recent.events)
        await eventually(lambda: live.handled >= total, timeout=60)
    # Partitions that lost records and kept some of the stream ten days ago (so the oldest record
    # kept anywhere is from that day: the horizon is the day after it).
    truncate = {tp: o for tp, o in cut.items() if 0 < o < kept_from[tp]}
    assert truncate
    await apply_retention(engine, default_days=7, batch=10_000)  # as the live projector does
    before = await snapshot(engine)

    gone_day = one_am_london(20).astimezone(LONDON).date()
    recent_day = one_am_london(2).astimezone(LONDON).date()
    assert any(row[0] == gone_day for row in before["ft_notification_status"])
    assert any(row[0] == recent_day for row in before["ft_notification_status"])
    # A fact of a day the log still holds, made wrong: the rebuild must recompute it.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE ft_notification_status SET notification_count = notification_count + 100 WHERE bst_date = :d"
            ),
            {"d": recent_day},
        )
    await delete_before(settings, truncate)

    report = await rebuild(settings, batch_size=1000, retention_days=7)

    after = await snapshot(engine)
    await engine.dispose()
    expected_horizon: date = first_full_day(one_am_london(10))
    assert report.horizon == expected_horizon
    assert report.events == total - sum(truncate.values())  # the lost records were not replayed
    for table in PROJECTION_TABLES:
        assert after[table] == before[table], table
    # the jobs of the lost day kept the counts of their lost notifications
    gone_jobs = {e.job_id for _, e in gone.events if hasattr(e, "job_id") and e.job_id}
    kept_counts = [row for row in after["jobs"] if str(row[0]) in gone_jobs]
    assert len(kept_counts) == len(gone_jobs) > 0
    assert all(int(str(row[8])) > 0 for row in kept_counts)  # notifications_requested
