"""Entry point: ``notify-email-sender`` sends requested emails through SES v2 or SMTP."""

from __future__ import annotations

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
from notify_common.unsubscribe import UnsubscribeLinks
from notify_email_sender.addresses import FromAddresses
from notify_email_sender.providers import EmailProvider
from notify_email_sender.providers.ses import SesProvider
from notify_email_sender.providers.smtp import SmtpProvider
from notify_email_sender.sending import EmailSender
from notify_email_sender.settings import EmailSenderSettings
from notify_email_sender.tables import email_send_claims
from notify_email_sender.unsubscribe import HostedUnsubscribe


def build_provider(settings: EmailSenderSettings) -> EmailProvider:
    if settings.email_provider == "smtp":
        return SmtpProvider(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            use_tls=settings.smtp_use_tls,
            start_tls=settings.smtp_start_tls,
            timeout=settings.provider_timeout_seconds,
        )
    client = boto3.client(
        "sesv2",
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        config=Config(
            max_pool_connections=settings.email_concurrency,
            connect_timeout=5,
            read_timeout=settings.provider_timeout_seconds,
            retries={"max_attempts": 1},
        ),
    )
    ses = SesProvider(client, threads=settings.email_concurrency)
    if settings.verify_domain():
        ses.verify_domain(settings.email_domain)
    return ses


def build(common: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(common, EmailSenderSettings)
    settings = common
    metrics.start_sender_series("email")
    engine = create_engine(settings, pool_size=4, custom_plans=True)
    provider = build_provider(settings)
    policy = RetryPolicy(
        max_attempts=settings.email_max_attempts,
        base_delay_s=settings.email_retry_base_delay_seconds,
        max_delay_s=settings.email_retry_max_delay_seconds,
    )
    sender = EmailSender(
        ClaimStore(engine, email_send_claims, lease_s=settings.email_claim_lease_seconds),
        producer,
        provider,
        Rescheduler(
            producer,
            topics.GROUP_EMAIL_SENDER,
            policy,
            throttle_delay_s=settings.email_throttle_delay_seconds,
        ),
        FromAddresses(engine, settings.email_domain),
        simulate_delivery=settings.simulate_delivery(),
        concurrency=settings.email_concurrency,
        unsubscribe=HostedUnsubscribe(
            UnsubscribeLinks(settings.secret_key.get_secret_value()), settings.document_download_url
        ),
        logo_base_url=settings.logo_base_url(),
    )

    async def ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def stop() -> None:
        await provider.close()
        await engine.dispose()

    return ConsumerApp(
        group=topics.GROUP_EMAIL_SENDER,
        topics=topics.topics_read_by(topics.GROUP_EMAIL_SENDER),
        handler=sender.handle,
        ready=ready,
        on_stop=stop,
        retry=policy,
        max_records=settings.email_batch_size,
    )


def main() -> int:
    return run_consumer("email-sender", EmailSenderSettings(), build)


if __name__ == "__main__":
    raise SystemExit(main())
