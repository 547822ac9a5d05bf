"""The sms-sender's claim, against the real PostgreSQL and Kafka: a redelivered request never
reaches the provider twice, and its sent event is announced again in case it was lost."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import codec, topics
from notify_common.errors import PermanentError, RetryableError
from notify_common.events import NotificationFailed, NotificationSentToProvider, SmsRequested, now
from notify_common.kafka import EventProducer, connection_options
from notify_common.settings import CommonSettings
from notify_sms_sender.providers import FakeSmsProvider
from notify_sms_sender.sending import SmsSender


def request() -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()),
        service_id=str(uuid.uuid4()),
        template_id=str(uuid.uuid4()),
        template_version=1,
        key_type="normal",
        api_key_id=None,
        job_id=None,
        job_row_number=None,
        client_reference=None,
        phone_number="447700900123",
        international=False,
        sender="GOVUK",
        body="Hello",
        fragment_count=1,
        rate_multiplier=1,
        created_at=now(),
    )


async def status_events(settings: CommonSettings, expected: int) -> list[object]:
    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topics.NOTIFICATION_STATUS,
        auto_offset_reset="earliest",
        **connection_options(settings),
    )
    await consumer.start()
    found: list[object] = []
    try:
        async with asyncio.timeout(20):
            while len(found) < expected:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    found += [codec.decode(r.value or b"") for r in records]
    finally:
        await consumer.stop()
    return found


async def test_a_request_handled_twice_reaches_the_provider_once(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider()
    sender = SmsSender(engine, producer, provider)
    sms = request()
    await sender.send_one(sms)
    await sender.send_one(sms)  # e.g. redelivered after a crash before the offset commit
    assert [m.notification_id for m in provider.sent] == [sms.notification_id]
    events = await status_events(kafka, 2)
    assert all(
        isinstance(e, NotificationSentToProvider) and e.notification_id == sms.notification_id for e in events
    )


async def test_a_provider_that_refuses_for_good_gives_technical_failure_and_no_second_try(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider(fail_with=PermanentError("rejected"))
    sender = SmsSender(engine, producer, provider)
    sms = request()
    await sender.send_one(sms)
    provider.fail_with = None
    await sender.send_one(sms)
    assert provider.sent == []
    [event] = await status_events(kafka, 1)
    assert isinstance(event, NotificationFailed)
    assert event.failure_kind == "technical_failure"


async def test_a_provider_that_times_out_leaves_the_claim_open_for_a_retry(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> None:
    provider = FakeSmsProvider(fail_with=RetryableError("timeout"))
    sender = SmsSender(engine, producer, provider)
    sms = request()
    try:
        await sender.send_one(sms)
    except RetryableError:
        pass
    else:
        raise AssertionError("a retryable provider error must reach the consumer, which retries it")
    provider.fail_with = None
    await sender.send_one(sms)
    assert [m.notification_id for m in provider.sent] == [sms.notification_id]
