"""Where a worker's source partitions are placed when faust seeks them back to their committed
offsets (after every recovery, and whenever it has dropped records it fetched): a partition with
no committed offset goes back to its earliest record, as the reset policy would place it, so the
records dropped are read again; aiokafka's own seek leaves such a partition where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from aiokafka import TopicPartition

from notify_analytics.faust_app import BatchDrainingConsumer
from notify_analytics.settings import AnalyticsSettings
from notify_analytics.worker import build_app
from notify_common import topics
from notify_common.kafka import TopicNames


class FakeKafkaConsumer:
    """The two calls the seek makes of aiokafka's consumer."""

    def __init__(self, committed: dict[TopicPartition, int | None]) -> None:
        self.committed = committed
        self.to_beginning: list[TopicPartition] = []

    async def seek_to_committed(self) -> dict[TopicPartition, int | None]:
        return dict(self.committed)

    async def seek_to_beginning(self, *partitions: TopicPartition) -> bool:
        self.to_beginning += partitions
        return True


def consumer_thread(settings: AnalyticsSettings, fake: FakeKafkaConsumer) -> Any:
    app, _ = build_app(settings)
    consumer = app.consumer
    assert isinstance(consumer, BatchDrainingConsumer)
    thread = cast(Any, consumer._new_consumer_thread())
    thread._ensure_consumer = lambda: fake

    async def in_this_loop(method: Any, *args: Any, **kwargs: Any) -> Any:
        return await method(*args, **kwargs)

    thread.call_thread = in_this_loop
    return thread


async def test_source_partitions_with_no_committed_offset_go_back_to_their_earliest(tmp_path: Path) -> None:
    settings = AnalyticsSettings(analytics_data_dir=tmp_path)
    names = TopicNames(settings.kafka_topic_prefix)
    status = names.physical(topics.NOTIFICATION_STATUS)
    changelog = names.physical(topics.ANALYTICS_STATE_LIFECYCLE)
    committed: dict[TopicPartition, int | None] = {
        TopicPartition(status, 0): None,
        TopicPartition(status, 1): 0,
        TopicPartition(status, 2): 17,
        TopicPartition(changelog, 0): None,
    }
    fake = FakeKafkaConsumer(committed)

    answered = await consumer_thread(settings, fake).seek_to_committed()

    assert answered == committed
    assert sorted(fake.to_beginning) == [TopicPartition(status, 0), TopicPartition(status, 1)]


async def test_partitions_all_committed_are_only_sought_to_their_commits(tmp_path: Path) -> None:
    settings = AnalyticsSettings(analytics_data_dir=tmp_path)
    status = TopicNames(settings.kafka_topic_prefix).physical(topics.NOTIFICATION_STATUS)
    fake = FakeKafkaConsumer({TopicPartition(status, p): 5 + p for p in range(3)})

    await consumer_thread(settings, fake).seek_to_committed()

    assert fake.to_beginning == []
