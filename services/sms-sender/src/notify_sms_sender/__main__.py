"""Entry point: ``notify-sms-sender`` sends requested text messages through weighted providers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import boto3
import uvloop
from botocore.config import Config
from sqlalchemy import text

from notify_common import metrics, topics
from notify_common.db import create_engine
from notify_common.health import HealthServer
from notify_common.instrumentation import setup_instrumentation
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.logs import configure_logging
from notify_common.provision import provision_topics
from notify_common.runtime import install_stop_signals
from notify_common.send_claims import ClaimStore
from notify_common.send_recovery import HandoverLookup, ProjectedReceipts, Recovery
from notify_common.send_retries import Rescheduler
from notify_sms_sender.delivery_times import DeliveryTimes
from notify_sms_sender.lanes import Lane
from notify_sms_sender.providers import SmsProvider
from notify_sms_sender.providers.firetext import FiretextProvider
from notify_sms_sender.providers.http_client import HttpClient
from notify_sms_sender.providers.http_errors import session as http_session
from notify_sms_sender.providers.mmg import MmgProvider
from notify_sms_sender.providers.research import ResearchModeProvider
from notify_sms_sender.providers.sns import SnsProvider
from notify_sms_sender.providers.status import SimulatorStatusLookup
from notify_sms_sender.router import ProviderRouter, ReceiptWatcher
from notify_sms_sender.routing import ProviderBalancer, parse_weights
from notify_sms_sender.sending import SmsSender
from notify_sms_sender.settings import SmsSenderSettings
from notify_sms_sender.weights import WeightStore

log = logging.getLogger(__name__)


def build_providers(settings: SmsSenderSettings, client: HttpClient) -> dict[str, SmsProvider]:
    available: dict[str, SmsProvider] = {}
    names = parse_weights(settings.sms_provider_weights)
    if "mmg" in names:
        available["mmg"] = MmgProvider(
            client,
            settings.mmg_endpoint(),
            settings.mmg_username,
            settings.mmg_password.get_secret_value(),
            settings.mmg_receipt_endpoint(),
        )
    if "firetext" in names:
        available["firetext"] = FiretextProvider(
            client,
            settings.firetext_endpoint(),
            settings.firetext_api_key.get_secret_value(),
            settings.firetext_international_api_key.get_secret_value(),
            settings.firetext_receipt_endpoint(),
        )
    if "sns" in names:
        sns = boto3.client(
            "sns",
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            config=Config(
                max_pool_connections=32,
                connect_timeout=5,
                read_timeout=settings.provider_timeout_seconds,
                retries={"max_attempts": 1},
            ),
        )
        available["sns"] = SnsProvider(sns)
    unknown = set(names) - set(available)
    if unknown:
        raise ValueError(f"unknown SMS providers in NOTIFY_SMS_PROVIDER_WEIGHTS: {sorted(unknown)}")
    return available


def build_lookups(settings: SmsSenderSettings, client: HttpClient) -> dict[str, HandoverLookup]:
    """Status lookups for the providers that have one: the simulator's, when it plays them."""
    lookups: dict[str, HandoverLookup] = {}
    if settings.mmg_url is None:
        lookups["mmg"] = SimulatorStatusLookup(client, f"{settings.simulator_url}/mmg/status")
    if settings.firetext_url is None:
        lookups["firetext"] = SimulatorStatusLookup(client, f"{settings.simulator_url}/firetext/status")
    return lookups


@dataclass
class SmsSenderApp:
    """What the composition root wires up: the sender, its lanes' handlers, start and stop."""

    sender: SmsSender
    policy: RetryPolicy
    start: Callable[[], Awaitable[None]]
    ready: Callable[[], Awaitable[bool]]
    stop: Callable[[], Awaitable[None]]


def build(settings: SmsSenderSettings, producer: EventProducer) -> SmsSenderApp:
    engine = create_engine(settings, pool_size=4)
    # One pool of connections per provider, enough for both lanes' calls at once.
    client = http_session(
        settings.sms_concurrency + settings.sms_bulk_concurrency, settings.provider_timeout_seconds
    )
    providers = build_providers(settings, client)
    research = {
        "mmg": ResearchModeProvider("mmg", client, settings.mmg_receipt_endpoint()),
        "firetext": ResearchModeProvider("firetext", client, settings.firetext_receipt_endpoint()),
    }
    resting = parse_weights(settings.sms_provider_weights)
    delivery_times = DeliveryTimes(slow_after_s=settings.sms_slow_delivery_seconds)
    router = ProviderRouter(ProviderBalancer(resting), WeightStore(engine), delivery_times)
    policy = RetryPolicy(
        max_attempts=settings.sms_max_attempts,
        base_delay_s=settings.sms_retry_base_delay_seconds,
        max_delay_s=settings.sms_retry_max_delay_seconds,
    )
    rescheduler = Rescheduler(
        producer, topics.GROUP_SMS_SENDER, policy, throttle_delay_s=settings.sms_throttle_delay_seconds
    )
    sender = SmsSender(
        ClaimStore(engine, "sms", lease_s=settings.sms_claim_lease_seconds),
        producer,
        providers,
        router,
        rescheduler,
        research=research,
        recovery=Recovery(
            ProjectedReceipts(engine),
            lookups=build_lookups(settings, client),
            window_s=min(settings.sms_recovery_window_seconds, settings.sms_claim_lease_seconds / 3),
        ),
        concurrency=settings.sms_concurrency,
        settle_linger_s=settings.sms_settle_linger_seconds,
    )
    background: list[asyncio.Task[None]] = []

    async def start() -> None:
        await router.start()
        background.append(asyncio.create_task(router.maintain()))
        if settings.sms_watch_receipts:
            background.append(asyncio.create_task(ReceiptWatcher(settings, delivery_times).run()))

    async def ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def stop() -> None:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for provider in providers.values():
            await provider.close()
        await client.close()
        await engine.dispose()

    return SmsSenderApp(sender, policy, start, ready, stop)


def lanes(settings: SmsSenderSettings, app: SmsSenderApp, producer: EventProducer) -> tuple[Lane, Lane]:
    """The priority lane (priority requests and every retry) and the bulk lane, which yields to it."""
    common = {
        "group": topics.GROUP_SMS_SENDER,
        "producer": producer,
        "retry": app.policy,
        "max_records": settings.sms_batch_size,
        "max_in_flight": settings.sms_max_in_flight,
    }
    priority = Lane(
        settings,
        name="priority",
        topics=[topics.SMS_REQUESTED, topics.retry_topic(topics.GROUP_SMS_SENDER)],
        handler=app.sender.lane(settings.sms_concurrency),
        **common,  # type: ignore[arg-type]
    )
    bulk = Lane(
        settings,
        name="bulk",
        topics=[topics.SMS_REQUESTED_BULK],
        handler=app.sender.lane(settings.sms_bulk_concurrency),
        yield_to=priority,
        **common,  # type: ignore[arg-type]
    )
    return priority, bulk


async def serve(settings: SmsSenderSettings) -> None:
    settings.check_production_ready()
    log.info("starting", extra={"settings": settings.redacted()})
    if settings.kafka_provision_topics:
        await provision_topics(settings)
    producer = EventProducer(settings, client_id="sms-sender")
    await producer.start()
    app = build(settings, producer)
    metrics.start_sender_series("sms")
    priority, bulk = lanes(settings, app, producer)

    async def ready() -> bool:
        now = time.monotonic()
        polled = all(now - lane.last_poll_monotonic < 30 for lane in (priority, bulk))
        return priority.assigned and polled and await app.ready()

    health = HealthServer(settings.http_host, settings.http_port, ready)
    await app.start()
    await priority.start()
    await bulk.start()
    await health.start()

    def stop() -> None:
        priority.request_stop()
        bulk.request_stop()

    install_stop_signals(stop)
    log.info("consuming", extra={"group": topics.GROUP_SMS_SENDER, "port": settings.http_port})
    running = [asyncio.create_task(lane.run()) for lane in (priority, bulk)]
    try:
        await asyncio.wait(running, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        stop()  # one lane failed (or both stopped): the other finishes its batches and stops too
        outcomes = await asyncio.gather(*running, return_exceptions=True)
        await health.stop()
        await app.stop()
        await producer.stop()
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        raise failures[0]
    log.info("stopped cleanly", extra={"handled": priority.handled + bulk.handled})


def main() -> int:
    settings = SmsSenderSettings()
    configure_logging("sms-sender", settings.log_level)
    setup_instrumentation("sms-sender")
    # uvloop roughly halves the cost of the socket I/O that most of a send is.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
