"""Entry point: ``notify-callbacks`` calls services' callback URLs for delivery statuses,
complaints, returned letters and inbound texts, with retries and signatures (docs/lifecycle.md)."""

from __future__ import annotations

import asyncio
import contextlib

from notify_callbacks.config import CallbackConfig
from notify_callbacks.delivery import CallbackClient
from notify_callbacks.guarded_http import GuardedSession
from notify_callbacks.handler import CallbackHandler
from notify_callbacks.settings import CallbacksSettings
from notify_callbacks.sieve import Sieve
from notify_callbacks.store import CallbackStore
from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer, RetryPolicy
from notify_common.outbound import parse_networks
from notify_common.runtime import ConsumerApp, Lane, run_consumer
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings

CONNECTIONS = 10


def build(settings: CommonSettings, producer: EventProducer) -> ConsumerApp:
    assert isinstance(settings, CallbacksSettings)
    engine = create_engine(settings, pool_size=CONNECTIONS, custom_plans=True)
    # Every connection is checked: callback URLs never reach inside the network (docs/security.md).
    # A connection for every call in flight: fewer would queue calls inside the session.
    session = GuardedSession(
        parse_networks(settings.callback_allowed_networks), connections=settings.callback_concurrency
    )
    store = CallbackStore(engine, SecretBox(settings.secret_key.get_secret_value()), CONNECTIONS)
    config = CallbackConfig(store.destinations, settings.callback_config_refresh_seconds)
    handler = CallbackHandler(
        store,
        config,
        CallbackClient(session, settings.callback_timeout_seconds),
        producer,
        max_attempts=settings.callback_max_attempts,
        concurrency=settings.callback_concurrency,
        per_receiver=settings.callback_concurrency_per_receiver,
    )

    refresher: list[asyncio.Task[None]] = []

    async def start() -> None:
        refresher.append(asyncio.create_task(config.keep_fresh()))

    async def stop() -> None:
        for task in refresher:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await session.close()
        await engine.dispose()

    # One lane: many batches in flight, so a slow call holds up only its own batch's commit (and
    # the same notification's later callbacks), not the calls of the batches fetched after it.
    statuses = Lane(
        name="callbacks",
        topics=[*topics.topics_read_by(topics.GROUP_CALLBACKS), topics.retry_topic(topics.GROUP_CALLBACKS)],
        handler=handler.handle,
        max_in_flight=2_000,
        # Records of services without callbacks are passed over undecoded; and larger fetches (up
        # to half a second for 64 KiB) make the fetches and commits per status event fewer.
        skip=Sieve(config),
        fetch_min_bytes=64 * 1024,
        fetch_max_wait_ms=500,
    )
    return ConsumerApp(
        group=topics.GROUP_CALLBACKS,
        lanes=[statuses],
        on_start=start,
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
