"""Entry point: ``notify-sms-sender`` sends requested text messages through weighted providers."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import boto3
from botocore.config import Config
from sqlalchemy import text

from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.runtime import ConsumerApp, run_consumer
from notify_common.send_claims import ClaimStore
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_sms_sender.delivery_times import DeliveryTimes
from notify_sms_sender.providers import SmsProvider
from notify_sms_sender.providers.firetext import FiretextProvider
from notify_sms_sender.providers.http_errors import session as http_session
from notify_sms_sender.providers.mmg import MmgProvider
from notify_sms_sender.providers.research import ResearchModeProvider
from notify_sms_sender.providers.sns import SnsProvider
from notify_sms_sender.router import ProviderRouter, ReceiptWatcher
from notify_sms_sender.routing import ProviderBalancer, parse_weights
from notify_sms_sender.sending import SmsSender
from notify_sms_sender.settings import SmsSenderSettings
from notify_sms_sender.weights import WeightStore


def build_providers(settings: SmsSenderSettings, client: aiohttp.ClientSession) -> dict[str, SmsProvider]:
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


def build(common: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(common, SmsSenderSettings)
    settings = common
    engine = create_engine(settings, pool_size=4)
    client = http_session(settings.sms_concurrency, settings.provider_timeout_seconds)
    providers = build_providers(settings, client)
    research = {
        name: ResearchModeProvider(name, client, settings.receipts_url) for name in ("mmg", "firetext")
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
        concurrency=settings.sms_concurrency,
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

    return ConsumerApp(
        group=topics.GROUP_SMS_SENDER,
        topics=topics.topics_read_by(topics.GROUP_SMS_SENDER),
        handler=sender.handle,
        on_start=start,
        ready=ready,
        on_stop=stop,
        retry=policy,
        max_records=settings.sms_batch_size,
    )


def main() -> int:
    return run_consumer("sms-sender", SmsSenderSettings(), build)


if __name__ == "__main__":
    raise SystemExit(main())
