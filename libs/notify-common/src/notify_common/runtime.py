"""The composition root shared by the consumer services: logging, settings, signal handling, the
producer, the batch consumer and the health server, started and stopped in the right order.

A consumer service is ``run_consumer(name, settings, build)`` where ``build`` returns the handler
and the topics; SIGTERM or SIGINT finishes the batch in hand, commits, and exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvloop

from notify_common.health import HealthServer
from notify_common.instrumentation import setup_instrumentation
from notify_common.kafka import BatchConsumer, EventProducer, Handler, RetryPolicy
from notify_common.logs import configure_logging
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class ConsumerApp:
    """What a consumer service plugs into the runtime."""

    group: str
    topics: Sequence[str]
    handler: Handler
    on_start: Callable[[], Awaitable[None]] | None = None
    on_stop: Callable[[], Awaitable[None]] | None = None
    ready: Callable[[], Awaitable[bool]] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_records: int = 500


Build = Callable[[CommonSettings, EventProducer], ConsumerApp]


def run_on_uvloop(main: Coroutine[Any, Any, T]) -> T:
    """Run a service's ``main`` on uvloop's event loop, whose socket I/O (most of what a consumer
    or an HTTP service does per record or request) costs about half asyncio's own."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def install_stop_signals(stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)


async def serve_consumer(name: str, settings: CommonSettings, build: Build) -> None:
    settings.check_production_ready()
    log.info("starting", extra={"settings": settings.redacted()})
    if settings.kafka_provision_topics:
        await provision_topics(settings)
    producer = EventProducer(settings, client_id=name)
    await producer.start()
    app = build(settings, producer)
    consumer = BatchConsumer(
        settings,
        group=app.group,
        topics=app.topics,
        handler=app.handler,
        producer=producer,
        retry=app.retry,
        max_records=app.max_records,
    )

    async def ready() -> bool:
        polled_recently = time.monotonic() - consumer.last_poll_monotonic < 30
        extra = await app.ready() if app.ready is not None else True
        return consumer.assigned and polled_recently and extra

    health = HealthServer(settings.http_host, settings.http_port, ready)
    if app.on_start is not None:
        await app.on_start()
    await consumer.start()
    await health.start()
    install_stop_signals(consumer.request_stop)
    log.info("consuming", extra={"group": app.group, "topics": list(app.topics), "port": settings.http_port})
    try:
        await consumer.run()
    finally:
        await health.stop()
        if app.on_stop is not None:
            await app.on_stop()
        await producer.stop()
        log.info("stopped cleanly", extra={"handled": consumer.handled})


def run_consumer(name: str, settings: CommonSettings, build: Build) -> int:
    configure_logging(name, settings.log_level)
    setup_instrumentation(name)
    run_on_uvloop(serve_consumer(name, settings, build))
    return 0


async def serve_idle(name: str, settings: CommonSettings, group: str) -> None:
    """Run a service whose handling is not built yet: it connects to Kafka (and provisions the
    topics), serves its health endpoints and stops cleanly, but joins no consumer group, so no
    offset is committed and nothing is skipped for the day its handler lands."""
    from aiokafka.admin import AIOKafkaAdminClient

    from notify_common.kafka import connection_options

    settings.check_production_ready()
    log.info("starting (not consuming yet)", extra={"group": group, "settings": settings.redacted()})
    if settings.kafka_provision_topics:
        await provision_topics(settings)
    admin = AIOKafkaAdminClient(client_id=name, **connection_options(settings))
    await admin.start()

    async def ready() -> bool:
        await admin.list_topics()
        return True

    health = HealthServer(settings.http_host, settings.http_port, ready)
    await health.start()
    stop = asyncio.Event()
    install_stop_signals(stop.set)
    try:
        await stop.wait()
    finally:
        await health.stop()
        await admin.close()
        log.info("stopped cleanly")


def run_idle(name: str, settings: CommonSettings, group: str) -> int:
    configure_logging(name, settings.log_level)
    asyncio.run(serve_idle(name, settings, group))
    return 0
