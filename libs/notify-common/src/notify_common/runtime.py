"""The composition root shared by the consumer services: logging, settings, signal handling, the
producer, the consumers and the health server, started and stopped in the right order.

A consumer service is ``run_consumer(name, settings, build)`` where ``build`` returns the handler
and the topics (one ``BatchConsumer``, which also reads the group's retry topic), or the app's
lanes (one ``LaneConsumer`` each, with many batches in flight; a lane may yield to another while
that one is busy); SIGTERM or SIGINT finishes what is in hand, commits, and exits 0. If one lane
fails the others finish what they hold and stop too, and the service exits with the failure.
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

from notify_common import garbage
from notify_common.health import HealthServer
from notify_common.instrumentation import setup_instrumentation
from notify_common.kafka import BatchConsumer, EventProducer, Handler, RetryPolicy, Skip
from notify_common.lane_consumer import LaneConsumer
from notify_common.logs import configure_logging
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Lane:
    """One lane of a consumer app: its own member of the group reading ``topics`` (list the
    group's retry topic in one of them), with its own ``handler`` and up to ``max_in_flight``
    records in hand; it takes no new records while the lane named ``yields_to`` is busy."""

    name: str
    topics: Sequence[str]
    handler: Handler
    max_in_flight: int = 1_000
    yields_to: str | None = None
    # What the broker gathers before it answers a fetch (see ``BatchConsumer``): the lane's latency
    # against the fetches, and their cost, its records take.
    fetch_min_bytes: int = 1
    fetch_max_wait_ms: int = 100
    # Records the lane commits past without decoding them (``BatchConsumer``).
    skip: Skip | None = None


@dataclass
class ConsumerApp:
    """What a consumer service plugs into the runtime: ``topics`` and ``handler``, or ``lanes``."""

    group: str
    topics: Sequence[str] = ()
    handler: Handler | None = None
    on_start: Callable[[], Awaitable[None]] | None = None
    on_stop: Callable[[], Awaitable[None]] | None = None
    ready: Callable[[], Awaitable[bool]] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_records: int = 500
    lanes: Sequence[Lane] = ()
    # The batch consumer's fetch settings (``BatchConsumer``); lanes have their own.
    fetch_min_bytes: int = 1
    fetch_max_wait_ms: int = 500


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


def consumers(
    settings: CommonSettings, app: ConsumerApp, producer: EventProducer
) -> list[BatchConsumer | LaneConsumer]:
    """The consumers that run ``app``: one ``BatchConsumer``, or one ``LaneConsumer`` per lane."""
    if not app.lanes:
        if app.handler is None:
            raise ValueError(f"consumer app {app.group} has neither a handler nor lanes")
        return [
            BatchConsumer(
                settings,
                group=app.group,
                topics=app.topics,
                handler=app.handler,
                producer=producer,
                retry=app.retry,
                max_records=app.max_records,
                fetch_min_bytes=app.fetch_min_bytes,
                fetch_max_wait_ms=app.fetch_max_wait_ms,
            )
        ]
    built: dict[str, LaneConsumer] = {}
    for lane in app.lanes:
        if lane.yields_to is not None and lane.yields_to not in built:
            raise ValueError(f"lane {lane.name} yields to {lane.yields_to}, which must be declared before it")
        built[lane.name] = LaneConsumer(
            settings,
            name=lane.name,
            group=app.group,
            topics=lane.topics,
            handler=lane.handler,
            producer=producer,
            retry=app.retry,
            max_records=app.max_records,
            max_in_flight=lane.max_in_flight,
            fetch_min_bytes=lane.fetch_min_bytes,
            fetch_max_wait_ms=lane.fetch_max_wait_ms,
            yield_to=built[lane.yields_to] if lane.yields_to is not None else None,
            skip=lane.skip,
        )
    return list(built.values())


async def serve_consumer(name: str, settings: CommonSettings, build: Build) -> None:
    settings.check_production_ready()
    log.info("starting", extra={"settings": settings.redacted()})
    if settings.kafka_provision_topics:
        await provision_topics(settings)
    producer = EventProducer(settings, client_id=name)
    await producer.start()
    app = build(settings, producer)
    members = consumers(settings, app, producer)

    async def ready() -> bool:
        now = time.monotonic()
        polled_recently = all(now - c.last_poll_monotonic < 30 for c in members)
        extra = await app.ready() if app.ready is not None else True
        return any(c.assigned for c in members) and polled_recently and extra

    def stop() -> None:
        for member in members:
            member.request_stop()

    health = HealthServer(settings.http_host, settings.http_port, ready)
    if app.on_start is not None:
        await app.on_start()
    for member in members:
        await member.start()
    await health.start()
    install_stop_signals(stop)
    garbage.started()  # everything built to run the app: out of the collector's sight
    topics = [t for lane in app.lanes for t in lane.topics] or list(app.topics)
    log.info("consuming", extra={"group": app.group, "topics": topics, "port": settings.http_port})
    running = [asyncio.create_task(member.run()) for member in members]
    try:
        await asyncio.wait(running, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        stop()  # one consumer failed (or all stopped): the others finish what they hold and stop too
        outcomes = await asyncio.gather(*running, return_exceptions=True)
        await health.stop()
        if app.on_stop is not None:
            await app.on_stop()
        await producer.stop()
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        raise failures[0]
    log.info("stopped cleanly", extra={"handled": sum(member.handled for member in members)})


def run_consumer(
    name: str,
    settings: CommonSettings,
    build: Build,
    *,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> int:
    """Run the consumer service ``build`` makes, on uvloop's event loop (see ``run_on_uvloop``)
    unless ``loop_factory`` makes another."""
    configure_logging(name, settings.log_level)
    setup_instrumentation(name)
    with asyncio.Runner(loop_factory=loop_factory or uvloop.new_event_loop) as runner:
        runner.run(serve_consumer(name, settings, build))
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
