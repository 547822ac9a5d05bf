"""The SMS provider adapters against the provider simulator (run as a real process) and SNS in
moto, research mode against the real receipts service, and failover between the two HTTP
providers when one of them fails, through the real consumer, claims and weight store."""

from __future__ import annotations

import asyncio
import random
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_common.events import Channel, NotificationFailed, NotificationSentToProvider
from notify_common.http_client import HttpClient
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.lane_consumer import LaneConsumer
from notify_common.send_claims import ClaimStore
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_sms_sender.balancer import BalancingRules, ProviderBalancer
from notify_sms_sender.delivery_times import DeliveryTimes
from notify_sms_sender.provider_selector import ProviderSelector
from notify_sms_sender.providers import ProviderTimeoutError, SmsMessage, SmsProvider
from notify_sms_sender.providers.firetext import FiretextProvider
from notify_sms_sender.providers.http_errors import session as http_session
from notify_sms_sender.providers.mmg import MmgProvider
from notify_sms_sender.providers.research import ResearchModeProvider
from notify_sms_sender.providers.sns import SnsProvider
from notify_sms_sender.sending import SmsSender
from notify_sms_sender.settings import SmsSenderSettings
from notify_sms_sender.tables import sms_send_claims
from notify_sms_sender.weights import WeightStore
from tests.support import env
from tests.support.moto import moto_data
from tests.support.processes import ServiceProcess
from tests.support.senders import free_port, read_topic, sms_request


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process = ServiceProcess(
        "provider-simulator",
        free_port(),
        env.service_env(
            NOTIFY_SIMULATOR_SEND_RECEIPTS="false",
            NOTIFY_SIMULATOR_PRINTER="false",
            NOTIFY_SIMULATOR_TIMEOUT_SECONDS="3",
        ),
        Path(tmp_path_factory.mktemp("simulator-logs")),
    )
    process.start()
    try:
        process.wait_ready()
        yield process.url
    finally:
        process.kill()


@pytest.fixture
async def client(simulator: str) -> AsyncIterator[httpx.AsyncClient]:
    """For talking to the simulator's own API (faults, what it received)."""
    async with httpx.AsyncClient(timeout=10) as http:
        await http.put(f"{simulator}/api/fault", json={"mode": "none"})
        await http.delete(f"{simulator}/api/messages")
        yield http


@pytest.fixture
async def session() -> AsyncIterator[HttpClient]:
    """The providers' transport, as the sender builds it, with a short timeout."""
    async with http_session(concurrency=50, timeout_s=1.0, connect_timeout_s=1.0) as providers_session:
        yield providers_session


def mmg(session: HttpClient, simulator: str) -> MmgProvider:
    return MmgProvider(session, f"{simulator}/mmg", "notify", "secret", "http://127.0.0.1:1/receipts")


def firetext(session: HttpClient, simulator: str) -> FiretextProvider:
    return FiretextProvider(
        session, f"{simulator}/firetext", "key", "intl-key", "http://127.0.0.1:1/receipts"
    )


def message(to: str = "447700900123", content: str = "Hello") -> SmsMessage:
    return SmsMessage(
        notification_id=sms_request().notification_id or "",
        to=to,
        content=content,
        sender="GOVUK",
        international=False,
    )


async def messages(client: httpx.AsyncClient, simulator: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = (await client.get(f"{simulator}/api/messages")).json()["messages"]
    return found


@pytest.mark.parametrize("provider_name", ["mmg", "firetext"])
async def test_each_http_provider_hands_the_message_over_with_the_notification_id_as_reference(
    client: httpx.AsyncClient, session: HttpClient, simulator: str, provider_name: str
) -> None:
    provider = mmg(session, simulator) if provider_name == "mmg" else firetext(session, simulator)
    sms = message(content="Your code is 123456")
    assert await provider.send(sms) == sms.notification_id
    [received] = await messages(client, simulator)
    assert received["provider"] == provider_name
    assert (received["reference"], received["recipient"], received["content"], received["sender"]) == (
        sms.notification_id,
        "447700900123",
        "Your code is 123456",
        "GOVUK",
    )


@pytest.mark.parametrize(
    ("mode", "error"),
    [("errors", RetryableError), ("throttle", ThrottledError), ("timeouts", ProviderTimeoutError)],
)
@pytest.mark.parametrize("provider_name", ["mmg", "firetext"])
async def test_each_http_provider_reports_the_simulators_faults_as_the_right_error(
    client: httpx.AsyncClient,
    session: HttpClient,
    simulator: str,
    provider_name: str,
    mode: str,
    error: type[Exception],
) -> None:
    await client.put(f"{simulator}/api/fault", json={"mode": mode, "provider": provider_name})
    provider = mmg(session, simulator) if provider_name == "mmg" else firetext(session, simulator)
    with pytest.raises(error):
        await provider.send(message())
    assert await messages(client, simulator) == []


async def test_a_request_the_provider_refuses_is_a_permanent_error(
    client: httpx.AsyncClient, session: HttpClient, simulator: str
) -> None:
    with pytest.raises(PermanentError, match="400"):
        await firetext(session, simulator).send(message(content=""))


async def test_a_provider_that_cannot_be_reached_is_a_retryable_error_not_an_ambiguous_one(
    session: HttpClient,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    provider = MmgProvider(session, f"http://127.0.0.1:{port}/mmg", "u", "p", "http://127.0.0.1:1/r")
    with pytest.raises(RetryableError) as caught:
        await provider.send(message())
    assert not isinstance(caught.value, ProviderTimeoutError)


async def test_sns_publishes_the_text_message_in_moto(client: httpx.AsyncClient) -> None:
    sns = boto3.client(
        "sns",
        region_name="eu-west-2",
        endpoint_url=env.MOTO_URL,
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    provider = SnsProvider(sns)
    sms = message(to="447700900456", content=f"SNS check {random.randint(0, 10**9)}")
    reference = await provider.send(sms)
    data = moto_data()
    published = [m for m in data["sns"]["SMS"] if m["message_id"] == reference]
    assert [(m["phone_number"], m["message"]) for m in published] == [("+447700900456", sms.content)]
    await provider.close()


@pytest.fixture
def receipts(kafka: CommonSettings, tmp_path: Path) -> Iterator[str]:
    process = ServiceProcess(
        "receipts",
        free_port(),
        env.service_env(NOTIFY_KAFKA_TOPIC_PREFIX=kafka.kafka_topic_prefix),
        tmp_path,
    )
    process.start()
    try:
        process.wait_ready()
        yield process.url
    finally:
        process.kill()


async def test_research_mode_posts_each_providers_receipt_to_the_receipts_service(
    kafka: CommonSettings, receipts: str, engine: AsyncEngine, producer: EventProducer
) -> None:
    perm = message(to="447700900002")
    temp = message(to="447700900003")
    service_id = str(uuid.uuid4())
    async with engine.begin() as conn:  # the sms-sender's claims, made before it "sends"
        for sms, provider in ((perm, "mmg"), (temp, "firetext")):
            await conn.execute(
                text(
                    "INSERT INTO sms_send_claims (notification_id, channel, provider) VALUES (:id, 'sms', :p)"
                ),
                {"id": sms.notification_id, "p": provider},
            )
    settings = SmsSenderSettings(receipts_url=receipts)
    async with http_session(concurrency=4, timeout_s=5) as http:
        await ResearchModeProvider("mmg", http, settings.mmg_receipt_endpoint()).send(perm)
        await ResearchModeProvider("firetext", http, settings.firetext_receipt_endpoint()).send(temp)
    # The sender announces each hand-over; the receipts service learns from it whose they are.
    for sms, provider in ((perm, "mmg"), (temp, "firetext")):
        sent = NotificationSentToProvider(
            notification_id=sms.notification_id,
            service_id=service_id,
            channel=Channel.SMS,
            provider=provider,
            provider_reference=sms.notification_id,
            sent_at=datetime.now(UTC),
        )
        await producer.publish(topics.NOTIFICATION_STATUS, sent)
    records = await read_topic(kafka, topics.NOTIFICATION_STATUS, 4, timeout=60)
    events = {r.event.notification_id: r.event for r in records if isinstance(r.event, NotificationFailed)}
    assert {e.service_id for e in events.values()} == {service_id}
    perm_event, temp_event = events[perm.notification_id], events[temp.notification_id]
    assert isinstance(perm_event, NotificationFailed)
    assert (perm_event.failure_kind, perm_event.provider) == ("permanent_failure", "mmg")
    assert isinstance(temp_event, NotificationFailed)
    assert (temp_event.failure_kind, temp_event.provider) == ("temporary_failure", "firetext")


async def test_when_one_provider_fails_traffic_fails_over_to_the_other_and_nothing_is_sent_twice(
    engine: AsyncEngine,
    kafka: CommonSettings,
    producer: EventProducer,
    client: httpx.AsyncClient,
    session: HttpClient,
    simulator: str,
) -> None:
    await client.put(f"{simulator}/api/fault", json={"mode": "errors", "provider": "mmg"})
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM sms_provider_weights"))
        await conn.execute(text("DELETE FROM sms_provider_weight_changes"))
    providers: dict[str, SmsProvider] = {
        "mmg": mmg(session, simulator),
        "firetext": firetext(session, simulator),
    }
    store = WeightStore(engine, min_interval_s=1.0)
    balancer = ProviderBalancer(
        {"mmg": 50, "firetext": 50}, BalancingRules(error_threshold=5, error_cooldown_s=1.0)
    )
    selector = ProviderSelector(balancer, store, DeliveryTimes(), rng=random.Random(5), refresh_every_s=0.2)
    await selector.start()
    policy = RetryPolicy(max_attempts=20, base_delay_s=0.05, max_delay_s=0.2)
    sender = SmsSender(
        ClaimStore(engine, sms_send_claims),
        producer,
        providers,
        selector,
        Rescheduler(producer, topics.GROUP_SMS_SENDER, policy),
    )
    # The priority lane as the sms-sender runs it: many batches in flight, retries through the
    # retry topic, not-yet-due retries pausing their partition.
    consumer = LaneConsumer(
        kafka,
        name="priority",
        group=topics.GROUP_SMS_SENDER,
        topics=[topics.SMS_REQUESTED, topics.retry_topic(topics.GROUP_SMS_SENDER)],
        handler=sender.lane(50),
        producer=producer,
        retry=policy,
        max_records=50,
        max_in_flight=100,
    )
    requests = [sms_request() for _ in range(200)]
    await producer.publish_many((topics.SMS_REQUESTED, r) for r in requests)
    await consumer.start()
    running = asyncio.create_task(consumer.run())
    maintaining = asyncio.create_task(selector.maintain())
    try:
        async with asyncio.timeout(60):
            while (await client.get(f"{simulator}/api/stats")).json()["messages"] < len(requests):
                await asyncio.sleep(0.2)
    finally:
        consumer.request_stop()
        await running
        maintaining.cancel()
    stats = (await client.get(f"{simulator}/api/stats")).json()
    assert stats["by_provider"] == {"firetext": 200}
    assert stats["duplicate_handovers"] == 0
    delivered = {m["reference"] for m in await messages(client, simulator)}
    assert delivered == {r.notification_id for r in requests}
    async with engine.connect() as conn:
        changes = (
            await conn.execute(
                text("SELECT reason, weights_after FROM sms_provider_weight_changes ORDER BY id")
            )
        ).all()
        rows = (await conn.execute(text("SELECT provider, weight FROM sms_provider_weights"))).all()
    weights: dict[str, int] = {provider: weight for provider, weight in rows}
    assert changes, "the errors must have moved traffic away from mmg"
    assert {reason for reason, _ in changes} == {"errors"}
    assert changes[0][1] == {"mmg": 40, "firetext": 60}
    assert weights["mmg"] < 50
    assert weights["mmg"] + weights["firetext"] == 100
