"""The sms-sender's fairness lanes (docs/adr/0002) through the real consumers, Kafka and PostgreSQL:
with a backlog of bulk requests being worked through by a slow provider, priority requests are
handed over before the backlog is drained, and both lanes commit what they have finished; while
the claims database is unavailable a lane holds its batch back and spends no attempt."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.errors import RetryableError
from notify_common.kafka import EventProducer, RetryPolicy, connection_options
from notify_common.lane_consumer import LaneConsumer
from notify_common.runtime import ConsumerApp, consumers
from notify_common.send_claims import Claim, ClaimStore
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_sms_sender.__main__ import lanes
from notify_sms_sender.balancer import ProviderBalancer
from notify_sms_sender.delivery_times import DeliveryTimes
from notify_sms_sender.provider_selector import ProviderSelector
from notify_sms_sender.providers import SmsMessage, SmsProvider
from notify_sms_sender.sending import SmsSender
from notify_sms_sender.settings import SmsSenderSettings
from notify_sms_sender.tables import sms_send_claims
from tests.support.senders import ident, sms_request

BULK = 300


@dataclass
class SlowProvider:
    """Takes ``delay_s`` per message and remembers the order messages arrived in."""

    name: str = "mmg"
    delay_s: float = 0.05
    arrived: list[str] = field(default_factory=list)

    async def send(self, message: SmsMessage) -> str:
        await asyncio.sleep(self.delay_s)
        self.arrived.append(message.notification_id)
        return message.notification_id

    async def close(self) -> None:
        return None


class FlakyClaims(ClaimStore):
    """The real claim store, whose database refuses the next ``failures_left`` claims (as the
    store translates a refused connection)."""

    failures_left = 0

    async def claim(self, proposals: Mapping[str, str | None]) -> dict[str, Claim]:
        if self.failures_left > 0:
            self.failures_left -= 1
            try:
                raise psycopg.OperationalError("connection failed: Connection refused")
            except psycopg.OperationalError as exc:
                raise RetryableError("claims database unavailable: OperationalError") from exc
        return await super().claim(proposals)


@pytest.fixture
def claims(engine: AsyncEngine) -> FlakyClaims:
    return FlakyClaims(engine, sms_send_claims)


@pytest.fixture
async def running(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer, claims: FlakyClaims
) -> AsyncIterator[tuple[SlowProvider, LaneConsumer, LaneConsumer]]:
    settings = SmsSenderSettings(
        **kafka.model_dump(),
        sms_concurrency=2,
        sms_bulk_concurrency=2,
        # As deployed: the whole backlog fits in one batch, so a single consumer would hand the
        # priority requests over only after it.
        sms_batch_size=500,
        sms_max_in_flight=1_000,
    )
    provider = SlowProvider()
    providers: dict[str, SmsProvider] = {"mmg": provider}
    selector = ProviderSelector(ProviderBalancer({"mmg": 100}), None, DeliveryTimes(), rng=random.Random(3))
    policy = RetryPolicy(max_attempts=3)
    sender = SmsSender(
        claims,
        producer,
        providers,
        selector,
        Rescheduler(producer, topics.GROUP_SMS_SENDER, policy),
    )
    app = ConsumerApp(
        group=topics.GROUP_SMS_SENDER, lanes=lanes(settings, sender), retry=policy, max_records=500
    )
    # The consumers the runtime runs for the sms-sender's lanes.
    priority, bulk = consumers(settings, app, producer)
    assert isinstance(priority, LaneConsumer)
    assert isinstance(bulk, LaneConsumer)
    await priority.start()
    await bulk.start()
    tasks = [asyncio.create_task(lane.run()) for lane in (priority, bulk)]
    try:
        yield provider, priority, bulk
    finally:
        priority.request_stop()
        bulk.request_stop()
        await asyncio.gather(*tasks)


async def committed(settings: CommonSettings, topic: str) -> int:
    """The sms-sender group's committed offsets on ``topic``, summed over its partitions."""
    consumer = AIOKafkaConsumer(
        group_id=settings.kafka_topic_prefix + topics.GROUP_SMS_SENDER,
        enable_auto_commit=False,
        **connection_options(settings),
    )
    await consumer.start()
    try:
        physical = settings.kafka_topic_prefix + topic
        partitions = next(t.partitions for t in topics.TOPICS if t.name == topic)
        total = 0
        for p in range(partitions):
            offset = await consumer.committed(TopicPartition(physical, p))
            total += offset or 0
        return total
    finally:
        await consumer.stop()


async def test_priority_requests_are_handed_over_while_a_bulk_backlog_is_still_pending(
    kafka: CommonSettings, producer: EventProducer, running: tuple[SlowProvider, LaneConsumer, LaneConsumer]
) -> None:
    provider, _, _ = running
    backlog = [sms_request() for _ in range(BULK)]
    await producer.publish_many((topics.SMS_REQUESTED_BULK, r) for r in backlog)
    async with asyncio.timeout(60):
        while len(provider.arrived) < 10:  # the backlog is being worked through
            await asyncio.sleep(0.05)
    urgent = [sms_request() for _ in range(5)]
    await producer.publish_many((topics.SMS_REQUESTED, r) for r in urgent)
    wanted = {ident(r) for r in urgent}
    async with asyncio.timeout(60):
        while not wanted <= set(provider.arrived):
            await asyncio.sleep(0.02)
    bulk_ids = {ident(r) for r in backlog}
    bulk_sent = sum(1 for nid in provider.arrived if nid in bulk_ids)
    # At 2 calls of 50 ms at a time, the backlog takes about 7.5 s: the priority messages did not
    # queue behind it.
    assert bulk_sent < BULK, "the priority requests waited for the whole bulk backlog"
    provider.delay_s = 0.0  # let the backlog finish quickly for the lanes to stop
    # Each message once, whichever lane it came through.
    assert len(provider.arrived) == len(set(provider.arrived))


async def test_each_lane_commits_what_it_has_handed_over(
    kafka: CommonSettings, producer: EventProducer, running: tuple[SlowProvider, LaneConsumer, LaneConsumer]
) -> None:
    provider, priority, bulk = running
    provider.delay_s = 0.0
    bulk_requests = [sms_request() for _ in range(40)]
    priority_requests = [sms_request() for _ in range(30)]
    await producer.publish_many((topics.SMS_REQUESTED_BULK, r) for r in bulk_requests)
    await producer.publish_many((topics.SMS_REQUESTED, r) for r in priority_requests)
    async with asyncio.timeout(60):
        while len(provider.arrived) < 70:
            await asyncio.sleep(0.05)
        while (
            await committed(kafka, topics.SMS_REQUESTED_BULK) < 40
            or await committed(kafka, topics.SMS_REQUESTED) < 30
        ):
            await asyncio.sleep(0.2)
    assert sorted(provider.arrived) == sorted(ident(r) for r in [*bulk_requests, *priority_requests])
    assert priority.handled == 30
    assert bulk.handled == 40


async def records_on(settings: CommonSettings, topic: str) -> int:
    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topic, auto_offset_reset="earliest", **connection_options(settings)
    )
    await consumer.start()
    try:
        return sum(len(records) for records in (await consumer.getmany(timeout_ms=2000)).values())
    finally:
        await consumer.stop()


async def test_a_lane_holds_its_batch_back_while_the_claims_database_is_unavailable(
    kafka: CommonSettings,
    producer: EventProducer,
    running: tuple[SlowProvider, LaneConsumer, LaneConsumer],
    claims: FlakyClaims,
) -> None:
    provider, priority, _ = running
    provider.delay_s = 0.0
    claims.failures_left = 3
    requests = [sms_request() for _ in range(10)]
    await producer.publish_many((topics.SMS_REQUESTED, r) for r in requests)
    async with asyncio.timeout(60):
        while len(provider.arrived) < 10 or await committed(kafka, topics.SMS_REQUESTED) < 10:
            await asyncio.sleep(0.1)
    assert claims.failures_left == 0
    assert sorted(provider.arrived) == sorted(ident(r) for r in requests)
    assert await records_on(kafka, topics.retry_topic(topics.GROUP_SMS_SENDER)) == 0
    assert await records_on(kafka, topics.dead_letter_topic(topics.GROUP_SMS_SENDER)) == 0
    assert priority.handled == 10
