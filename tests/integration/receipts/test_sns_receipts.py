"""Receipts for text messages sent through SNS: messages published to SNS in moto, their send events
projected into the real PostgreSQL, delivery-status records written to CloudWatch Logs in moto as
SNS writes them, and the status events the receipts service publishes to the real Kafka — each
once, however often the overlapping windows read them."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.events import FailureKind, NotificationDelivered, NotificationFailed, now
from notify_common.kafka import EventProducer
from notify_common.settings import CommonSettings
from notify_projector.projection import project
from notify_receipts.lookups import Lookups
from notify_receipts.sent import record_sent
from notify_receipts.settings import ReceiptsSettings
from notify_receipts.sns_sms_poller import AdvisoryLeader, SnsSmsReceiptPoller
from notify_sms_sender.providers import SmsMessage
from notify_sms_sender.providers.sns import SnsProvider
from notify_sms_sender.sending import sent_event
from tests.support import env
from tests.support.processes import ServiceProcess
from tests.support.senders import free_port, read_topic, sms_request


def aws(service: str) -> Any:
    make: Any = boto3.client  # one helper for both services; the stubs overload per literal name
    return make(
        service,
        region_name="eu-west-2",
        endpoint_url=env.MOTO_URL,
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )


@dataclass(frozen=True)
class Sent:
    notification_id: str
    message_id: str


@pytest.fixture
def log_groups() -> Iterator[list[str]]:
    """SNS's two log groups, under an account id of this test's own (moto is shared)."""
    account = str(random.randint(10**11, 10**12 - 1))
    groups = ReceiptsSettings(aws_region="eu-west-2").sns_sms_log_groups(account)
    logs = aws("logs")
    for group in groups:
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="sms")
    yield groups
    for group in groups:
        logs.delete_log_group(logGroupName=group)


async def send_through_sns(engine: AsyncEngine, count: int) -> list[Sent]:
    """Text messages published to SNS in moto, and their send events (as the sms-sender publishes
    them: provider ``sns``, SNS's MessageId as the provider reference) projected and learnt."""
    provider = SnsProvider(aws("sns"))
    sent, events = [], []
    for _ in range(count):
        request = sms_request()
        assert request.notification_id is not None
        message = SmsMessage(request.notification_id, request.phone_number, request.body, "GOVUK", False)
        message_id = await provider.send(message)
        sent.append(Sent(request.notification_id, message_id))
        events.append(sent_event(request, "sns", message_id, now()))
    await provider.close()
    await project(engine, events)
    await record_sent(engine, events)  # as the receipts service's consumer learns them
    return sent


def write_records(group: str, records: list[tuple[str, str, str]]) -> None:
    """Delivery-status records as SNS logs them: (message id, status, provider response)."""
    stamp = int(time.time() * 1000)
    delivery = {
        "mnc": 10, "numberOfMessageParts": 1, "destination": "+447700900123", "priceInUSD": 0.04,
        "smsType": "Transactional", "mcc": 234, "dwellTimeMs": 300, "dwellTimeMsUntilDeviceAck": 1200,
    }  # fmt: skip
    events = []
    for message_id, status, response in records:
        record = {
            "notification": {"messageId": message_id, "timestamp": "2026-01-05 10:00:00.000"},
            "delivery": {**delivery, "providerResponse": response},
            "status": status,
        }
        events.append({"timestamp": stamp, "message": orjson.dumps(record).decode()})
    aws("logs").put_log_events(logGroupName=group, logStreamName="sms", logEvents=events)


@pytest.fixture
async def sent(engine: AsyncEngine) -> list[Sent]:
    return await send_through_sns(engine, 3)


async def test_polled_twice_over_overlapping_windows_each_record_becomes_one_status_event(
    engine: AsyncEngine,
    kafka: CommonSettings,
    producer: EventProducer,
    log_groups: list[str],
    sent: list[Sent],
) -> None:
    delivered, unreachable, opted_out = sent
    success_group, failure_group = log_groups
    write_records(
        success_group, [(delivered.message_id, "SUCCESS", "Message has been accepted by phone carrier")]
    )
    write_records(
        failure_group,
        [
            (unreachable.message_id, "FAILURE", "Phone is currently unreachable/unavailable"),
            (opted_out.message_id, "FAILURE", "Phone number is opted out"),
            ("not-one-of-ours", "SUCCESS", "Message has been accepted by phone carrier"),
        ],
    )
    leader = AdvisoryLeader(engine)
    poller = SnsSmsReceiptPoller(aws("logs"), log_groups, Lookups(engine), producer, leader, batch_size=2)

    assert await leader.acquire()
    rival = AdvisoryLeader(engine)
    try:
        assert not await rival.acquire()  # one replica polls
        assert await poller.poll_once() == 3
        assert await poller.poll_once() == 0  # the same records, read again
    finally:
        await leader.release()
        await rival.release()

    records = await read_topic(kafka, topics.NOTIFICATION_STATUS, 3, settle=1.0)
    by_id = {r.event.notification_id: r.event for r in records}
    assert len(records) == len(by_id) == 3
    ok = by_id[delivered.notification_id]
    assert isinstance(ok, NotificationDelivered)
    assert (ok.provider, ok.provider_reference) == ("sns", delivered.message_id)
    assert ok.service_id != "00000000-0000-0000-0000-000000000000"
    failures = {nid: by_id[nid] for nid in (unreachable.notification_id, opted_out.notification_id)}
    assert all(isinstance(e, NotificationFailed) for e in failures.values())
    assert [getattr(e, "failure_kind", None) for e in failures.values()] == [
        FailureKind.TEMPORARY_FAILURE,
        FailureKind.PERMANENT_FAILURE,
    ]
    assert poller.pending == 1  # the stranger's message waits to be given up


@pytest.fixture
def receipts_polling(
    kafka: CommonSettings, log_groups: list[str], tmp_path: Path
) -> Iterator[ServiceProcess]:
    process = ServiceProcess(
        "receipts",
        free_port(),
        env.service_env(
            NOTIFY_KAFKA_TOPIC_PREFIX=kafka.kafka_topic_prefix,
            NOTIFY_SMS_PROVIDER_WEIGHTS="mmg:45,firetext:45,sns:10",
            NOTIFY_SNS_RECEIPTS_LOG_GROUPS=",".join(log_groups),
            NOTIFY_SNS_RECEIPTS_INTERVAL_SECONDS="0.5",
        ),
        tmp_path,
    )
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()


async def test_the_receipts_service_polls_when_sms_goes_through_sns_and_stops_cleanly(
    kafka: CommonSettings, log_groups: list[str], sent: list[Sent], receipts_polling: ServiceProcess
) -> None:
    delivered, failed, _ = sent
    write_records(
        log_groups[0], [(delivered.message_id, "SUCCESS", "Message has been accepted by phone carrier")]
    )
    write_records(log_groups[1], [(failed.message_id, "FAILURE", "Invalid phone number")])

    records = await read_topic(kafka, topics.NOTIFICATION_STATUS, 2, timeout=30.0, settle=2.0)

    kinds = {r.event.notification_id: type(r.event).__name__ for r in records}
    assert len(records) == 2  # polled several times meanwhile, published once each
    assert kinds == {
        delivered.notification_id: "NotificationDelivered",
        failed.notification_id: "NotificationFailed",
    }
    assert receipts_polling.stop() == 0
    log_text = receipts_polling.log_path.read_text()
    assert "447700900123" not in log_text
