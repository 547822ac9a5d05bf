"""Helpers shared by the lifecycle integration tests: configuration rows and running a consumer
in-process against the test's own topics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.kafka import BatchConsumer, EventProducer, Handler, RetryPolicy
from notify_common.secrets import SecretBox
from notify_common.settings import CommonSettings


async def add_service(engine: AsyncEngine) -> str:
    service_id = str(uuid.uuid4())
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO services (id, name, email_from) VALUES (:id, :name, 'test')"),
            {"id": service_id, "name": f"service {service_id}"},
        )
    return service_id


async def add_callback(
    engine: AsyncEngine,
    settings: CommonSettings,
    service_id: str,
    callback_type: str,
    url: str,
    bearer_token: str,
    signing_secret: str | None,
) -> None:
    box = SecretBox(settings.secret_key.get_secret_value())
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO service_callback_api (id, service_id, callback_type, url, bearer_token, signing_secret)"
                " VALUES (:id, :service_id, :type, :url, :token, :secret)"
            ),
            {
                "id": str(uuid.uuid4()),
                "service_id": service_id,
                "type": callback_type,
                "url": url,
                "token": box.seal(bearer_token),
                "secret": box.seal(signing_secret) if signing_secret else None,
            },
        )


async def add_inbound_number(
    engine: AsyncEngine, service_id: str, number: str, provider: str = "mmg"
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO inbound_numbers (id, number, provider, service_id, active)"
                " VALUES (:id, :number, :provider, :service_id, true)"
            ),
            {"id": str(uuid.uuid4()), "number": number, "provider": provider, "service_id": service_id},
        )


@asynccontextmanager
async def running_consumer(
    settings: CommonSettings,
    producer: EventProducer,
    group: str,
    topic_names: Sequence[str],
    handler: Handler,
    retry: RetryPolicy | None = None,
) -> AsyncIterator[BatchConsumer]:
    consumer = BatchConsumer(
        settings, group=group, topics=topic_names, handler=handler, producer=producer, retry=retry,
        poll_timeout_ms=100,
    )  # fmt: skip
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        consumer.request_stop()
        await asyncio.wait_for(task, 30)


async def eventually(check: object, timeout: float = 20.0, interval: float = 0.1) -> None:
    """Wait until ``check()`` (sync or async) returns truthy; fail with its last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: object = None
    while asyncio.get_running_loop().time() < deadline:
        last = check()  # type: ignore[operator]
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s; last value {last!r}")


async def read_topic(settings: CommonSettings, topic: str, timeout: float = 5.0) -> list[object]:
    """Every event on a topic (of the test's own prefix) from the start, decoded."""
    from aiokafka import AIOKafkaConsumer

    from notify_common import codec
    from notify_common.kafka import connection_options

    consumer = AIOKafkaConsumer(
        settings.kafka_topic_prefix + topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **connection_options(settings),
    )
    await consumer.start()
    events: list[object] = []
    try:
        batches = await consumer.getmany(timeout_ms=int(timeout * 1000))
        while batches:
            events.extend(codec.decode(r.value) for records in batches.values() for r in records)
            batches = await consumer.getmany(timeout_ms=500)
    finally:
        await consumer.stop()
    return events
