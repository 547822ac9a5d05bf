"""The topics analytics reads, grouped by partition count: a worker's state is kept per
partition number of a group, so the topics of a group must be co-partitioned (same count, keyed
by notification id)."""

from __future__ import annotations

from dataclasses import dataclass

from notify_common import topics


@dataclass(frozen=True)
class Source:
    name: str
    topics: tuple[str, ...]
    partitions: int
    state_topic: str


SOURCES: tuple[Source, ...] = (
    Source(
        "lifecycle",
        (
            topics.SMS_REQUESTED,
            topics.SMS_REQUESTED_BULK,
            topics.EMAIL_REQUESTED,
            topics.EMAIL_REQUESTED_BULK,
            topics.NOTIFICATION_STATUS,
        ),
        topics.TOPICS_BY_NAME[topics.NOTIFICATION_STATUS].partitions,
        topics.ANALYTICS_STATE_LIFECYCLE,
    ),
    Source(
        "letters",
        (topics.LETTER_REQUESTED, topics.LETTER_REQUESTED_BULK),
        topics.TOPICS_BY_NAME[topics.LETTER_REQUESTED].partitions,
        topics.ANALYTICS_STATE_LETTERS,
    ),
)


def check_copartitioned() -> None:
    """Refuse to start if the declaration no longer keeps each group's topics co-partitioned."""
    for source in SOURCES:
        counts = {topics.TOPICS_BY_NAME[t].partitions for t in (*source.topics, source.state_topic)}
        if counts != {source.partitions}:
            raise ValueError(f"the {source.name} topics have different partition counts: {sorted(counts)}")
