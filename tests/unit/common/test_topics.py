"""The topic declaration is the single source for topics and consumer groups."""

from __future__ import annotations

import pytest

from notify_common import topics


def test_topic_names_are_unique() -> None:
    names = [t.name for t in topics.TOPICS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("group", topics.CONSUMER_GROUPS)
def test_every_consumer_group_has_a_retry_topic_it_reads_and_a_dead_letter_topic(group: str) -> None:
    assert topics.retry_topic(group) in topics.topics_read_by(group)
    assert topics.dead_letter_topic(group) in topics.TOPICS_BY_NAME
    assert topics.dead_letter_topic(group) not in topics.topics_read_by(group)


@pytest.mark.parametrize("channel", ["sms", "email", "letter"])
def test_each_channel_has_a_priority_lane_and_a_separate_bulk_lane(channel: str) -> None:
    priority, bulk = topics.requested_topic(channel), topics.requested_topic(channel, bulk=True)
    assert priority != bulk
    sender = f"{channel}-sender"
    assert {priority, bulk} <= set(topics.topics_read_by(sender))
    assert {priority, bulk} <= set(topics.topics_read_by(topics.GROUP_PROJECTOR))


def test_the_projector_reads_every_lifecycle_topic() -> None:
    read = set(topics.topics_read_by(topics.GROUP_PROJECTOR))
    assert {topics.NOTIFICATION_STATUS, topics.JOBS, topics.INBOUND_SMS, topics.CALLBACK_OUTCOMES} <= read


def test_the_exported_document_lists_every_topic_with_its_config() -> None:
    doc = topics.as_document()
    exported = {t["name"]: t for t in doc["topics"]}  # type: ignore[attr-defined]
    assert set(exported) == set(topics.TOPICS_BY_NAME)
    assert exported[topics.SMS_REQUESTED]["partitions"] == 6
    assert doc["consumer_groups"] == list(topics.CONSUMER_GROUPS)


def test_topic_config_carries_retention_and_cleanup_policy() -> None:
    config = topics.TOPICS_BY_NAME[topics.NOTIFICATION_STATUS].config()
    assert config == {"retention.ms": str(92 * topics.DAY_MS), "cleanup.policy": "delete"}


@pytest.mark.parametrize(
    "name",
    [
        *(n for lanes in topics.REQUESTED_TOPICS.values() for n in lanes),
        topics.NOTIFICATION_STATUS,
        topics.INBOUND_SMS,
    ],
)
def test_topics_carrying_personal_data_are_not_kept_longer_than_the_longest_service_retention(
    name: str,
) -> None:
    # 90 days is the longest retention a service can choose; 2 days of margin for the retention task.
    assert topics.TOPICS_BY_NAME[name].retention_ms == 92 * topics.DAY_MS
