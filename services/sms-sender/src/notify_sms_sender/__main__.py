"""Entry point: ``notify-sms-sender`` sends requested text messages through weighted providers."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import text

from notify_common import metrics, topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.runtime import ConsumerApp, Lane, run_consumer
from notify_common.send_claims import ClaimStore
from notify_common.send_recovery import ProjectedReceipts, Recovery
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_sms_sender.balancer import ProviderBalancer, parse_weights
from notify_sms_sender.delivery_times import DeliveryTimes
from notify_sms_sender.provider_selector import ProviderSelector, ReceiptWatcher
from notify_sms_sender.providers.configured import build_lookups, build_providers
from notify_sms_sender.providers.http_errors import session as http_session
from notify_sms_sender.providers.research import ResearchModeProvider
from notify_sms_sender.sending import SmsSender
from notify_sms_sender.settings import SmsSenderSettings
from notify_sms_sender.tables import sms_send_claims
from notify_sms_sender.weights import WeightStore


def build(common: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(common, SmsSenderSettings)
    settings = common
    metrics.start_sender_series("sms")
    engine = create_engine(settings, pool_size=2, custom_plans=True)
    # The claims' own pool, whose connections are not tried before each statement: two statements
    # a batch (claim, settle) each spare a round trip; a connection the server dropped fails its
    # statement, which is made again on a fresh one (send_claims.ClaimStore).
    claims_engine = create_engine(settings, pool_size=4, pre_ping=False, custom_plans=True)
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
    selector = ProviderSelector(ProviderBalancer(resting), WeightStore(engine), delivery_times)
    policy = RetryPolicy(
        max_attempts=settings.sms_max_attempts,
        base_delay_s=settings.sms_retry_base_delay_seconds,
        max_delay_s=settings.sms_retry_max_delay_seconds,
    )
    rescheduler = Rescheduler(
        producer, topics.GROUP_SMS_SENDER, policy, throttle_delay_s=settings.sms_throttle_delay_seconds
    )
    sender = SmsSender(
        ClaimStore(claims_engine, sms_send_claims, lease_s=settings.sms_claim_lease_seconds),
        producer,
        providers,
        selector,
        rescheduler,
        research=research,
        recovery=Recovery(
            ProjectedReceipts(engine),
            lookups=build_lookups(settings, client),
            window_s=min(settings.sms_recovery_window_seconds, settings.sms_claim_lease_seconds / 3),
        ),
        settle_linger_s=settings.sms_settle_linger_seconds,
    )
    background: list[asyncio.Task[None]] = []

    async def start() -> None:
        await selector.start()
        background.append(asyncio.create_task(selector.maintain()))
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
        await claims_engine.dispose()

    return ConsumerApp(
        group=topics.GROUP_SMS_SENDER,
        lanes=lanes(settings, sender),
        on_start=start,
        ready=ready,
        on_stop=stop,
        retry=policy,
        max_records=settings.sms_batch_size,
    )


def lanes(settings: SmsSenderSettings, sender: SmsSender) -> list[Lane]:
    """The priority lane (priority requests and every retry) and the bulk lane, which yields to it;
    each with provider-call slots of its own."""
    return [
        Lane(
            "priority",
            [topics.SMS_REQUESTED, topics.retry_topic(topics.GROUP_SMS_SENDER)],
            sender.lane(settings.sms_concurrency),
            max_in_flight=settings.sms_max_in_flight,
            # Under load a fetch waits for a batch of requests (settings.sms_fetch_min_bytes) rather
            # than answering each one that lands; never more than 100 ms, well within
            # created-to-sent's second.
            fetch_min_bytes=settings.sms_fetch_min_bytes,
            fetch_max_wait_ms=100,
        ),
        Lane(
            "bulk",
            [topics.SMS_REQUESTED_BULK],
            sender.lane(settings.sms_bulk_concurrency),
            max_in_flight=settings.sms_max_in_flight,
            yields_to="priority",
            # Jobs' texts are not waited for by anyone at the API: fewer, larger fetches.
            fetch_min_bytes=64 * 1024,
            fetch_max_wait_ms=500,
        ),
    ]


def main() -> int:
    return run_consumer("sms-sender", SmsSenderSettings(), build)


if __name__ == "__main__":
    raise SystemExit(main())
