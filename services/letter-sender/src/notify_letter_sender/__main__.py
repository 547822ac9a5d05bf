"""Entry point: ``notify-letter-sender`` renders letters to PDF, stores them and hands them to print."""

from __future__ import annotations

import asyncio
import contextlib

import boto3
from botocore.config import Config
from sqlalchemy import text

from notify_common import metrics, topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.runtime import ConsumerApp, run_consumer
from notify_common.send_claims import ClaimStore
from notify_common.send_retries import Rescheduler
from notify_common.settings import CommonSettings
from notify_letter_sender.contacts import ContactBlocks
from notify_letter_sender.logos import LetterLogos
from notify_letter_sender.responses import PrintResponses
from notify_letter_sender.sending import LetterSender
from notify_letter_sender.settings import LetterSenderSettings
from notify_letter_sender.storage import LetterStore
from notify_letter_sender.tables import letter_send_claims


def build(common: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(common, LetterSenderSettings)
    settings = common
    metrics.start_sender_series("letter")
    engine = create_engine(settings, pool_size=4, custom_plans=True)
    s3 = boto3.client(
        "s3",
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        config=Config(
            max_pool_connections=16, connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}
        ),
    )
    store = LetterStore(s3, settings.letters_bucket, settings.letters_print_bucket)
    policy = RetryPolicy(
        max_attempts=settings.letter_max_attempts,
        base_delay_s=settings.letter_retry_base_delay_seconds,
        max_delay_s=settings.letter_retry_max_delay_seconds,
    )
    sender = LetterSender(
        ClaimStore(engine, letter_send_claims, lease_s=settings.letter_claim_lease_seconds),
        producer,
        store,
        ContactBlocks(engine),
        Rescheduler(producer, topics.GROUP_LETTER_SENDER, policy),
        concurrency=settings.letter_concurrency,
        logos=LetterLogos(store, settings.branding_bucket),
    )
    responses = PrintResponses(store, producer, settings.letters_poll_responses_seconds)
    background: list[asyncio.Task[None]] = []

    async def start() -> None:
        if settings.create_buckets():
            await asyncio.to_thread(store.ensure_buckets)
        background.append(asyncio.create_task(responses.run()))

    async def ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def stop() -> None:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await store.close()
        await engine.dispose()

    return ConsumerApp(
        group=topics.GROUP_LETTER_SENDER,
        topics=topics.topics_read_by(topics.GROUP_LETTER_SENDER),
        handler=sender.handle,
        on_start=start,
        ready=ready,
        on_stop=stop,
        retry=policy,
        max_records=settings.letter_batch_size,
    )


def main() -> int:
    return run_consumer("letter-sender", LetterSenderSettings(), build)


if __name__ == "__main__":
    raise SystemExit(main())
