"""Entry point: ``notify-callbacks`` calls services' callback URLs for delivery statuses,
complaints, returned letters and inbound texts, with retries and signatures (docs/lifecycle.md)."""

from __future__ import annotations

from notify_callbacks.config import CallbackConfig
from notify_callbacks.delivery import CallbackClient
from notify_callbacks.guarded_http import GuardedSession
from notify_callbacks.handler import CallbackHandler
from notify_callbacks.settings import CallbacksSettings
from notify_callbacks.store import CallbackStore
from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.outbound import parse_networks
from notify_common.runtime import ConsumerApp, run_consumer
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings

CONNECTIONS = 10


def build(settings: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(settings, CallbacksSettings)
    engine = create_engine(settings, pool_size=CONNECTIONS)
    # Every connection is checked: callback URLs never reach inside the network (docs/security.md).
    session = GuardedSession(parse_networks(settings.callback_allowed_networks), connections=100)
    store = CallbackStore(engine, SecretBox(settings.secret_key.get_secret_value()), CONNECTIONS)
    handler = CallbackHandler(
        store,
        CallbackConfig(store.destinations, settings.callback_config_refresh_seconds),
        CallbackClient(session, settings.callback_timeout_seconds),
        producer,
        max_attempts=settings.callback_max_attempts,
        concurrency=settings.callback_concurrency,
        per_receiver=settings.callback_concurrency_per_receiver,
    )

    async def stop() -> None:
        await session.close()
        await engine.dispose()

    return ConsumerApp(
        group=topics.GROUP_CALLBACKS,
        topics=topics.topics_read_by(topics.GROUP_CALLBACKS),
        handler=handler.handle,
        on_stop=stop,
        retry=RetryPolicy(
            max_attempts=settings.callback_max_attempts,
            base_delay_s=settings.callback_retry_base_seconds,
            max_delay_s=settings.callback_retry_max_seconds,
        ),
        max_records=200,
    )


def main() -> int:
    return run_consumer("callbacks", CallbacksSettings(), build)


if __name__ == "__main__":
    raise SystemExit(main())
