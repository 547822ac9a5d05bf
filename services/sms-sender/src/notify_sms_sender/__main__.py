"""Entry point: ``notify-sms-sender`` sends requested text messages through a provider."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer
from notify_common.runtime import ConsumerApp, run_consumer
from notify_common.settings import CommonSettings
from notify_sms_sender.providers.mmg import MmgProvider
from notify_sms_sender.sending import SmsSender
from notify_sms_sender.settings import SmsSenderSettings


def build(common: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(common, SmsSenderSettings)
    settings = common
    engine = create_engine(settings, pool_size=4)
    client = httpx.AsyncClient(
        timeout=settings.provider_timeout_seconds, limits=httpx.Limits(max_connections=64)
    )
    provider = MmgProvider(
        client,
        settings.mmg_endpoint(),
        settings.mmg_username,
        settings.mmg_password.get_secret_value(),
        settings.mmg_receipt_endpoint(),
    )
    sender = SmsSender(engine, producer, provider)

    async def ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def stop() -> None:
        await client.aclose()
        await engine.dispose()

    return ConsumerApp(
        group=topics.GROUP_SMS_SENDER,
        topics=topics.topics_read_by(topics.GROUP_SMS_SENDER),
        handler=sender.handle,
        ready=ready,
        on_stop=stop,
        max_records=100,
    )


def main() -> int:
    return run_consumer("sms-sender", SmsSenderSettings(), build)


if __name__ == "__main__":
    raise SystemExit(main())
