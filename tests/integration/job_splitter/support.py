"""Helpers for the CSV jobs tests: a service and template written straight into the configuration
tables, CSV files, and reading back every event on a topic."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_admin_api.tables.configuration import services, team_members, template_versions, templates
from notify_common import codec, topics
from notify_common.events import Event
from notify_common.kafka import EventProducer, connection_options
from notify_common.settings import CommonSettings
from notify_job_splitter.store import record

T = TypeVar("T")

SMS_CONTENT = "Hello ((name)), your reference is ((ref))"


async def seed_service(
    engine: AsyncEngine,
    *,
    restricted: bool = False,
    team_mobile: str | None = None,
    sms_message_limit: int = 250_000,
) -> str:
    service_id = str(uuid.uuid4())
    async with engine.begin() as conn:
        await conn.execute(
            insert(services).values(
                id=service_id,
                name=f"Jobs test {service_id[:8]}",
                restricted=restricted,
                email_from=f"jobs.{service_id[:8]}",
                sms_message_limit=sms_message_limit,
            )
        )
        if team_mobile:
            await conn.execute(
                insert(team_members).values(
                    service_id=service_id, email_address="team@example.gov.uk", mobile_number=team_mobile
                )
            )
    return service_id


async def seed_template(
    engine: AsyncEngine,
    service_id: str,
    content: str = SMS_CONTENT,
    template_type: str = "sms",
    language_variants: dict[str, dict[str, str]] | None = None,
) -> str:
    template_id = str(uuid.uuid4())
    values = {
        "language_variants": language_variants or {},
        "id": template_id,
        "service_id": service_id,
        "version": 1,
        "name": f"template {template_id[:8]}",
        "template_type": template_type,
        "content": content,
        "subject": "Subject" if template_type != "sms" else None,
    }
    async with engine.begin() as conn:
        await conn.execute(insert(templates).values(**values))
        await conn.execute(insert(template_versions).values(**values))
    return template_id


async def new_template_version(engine: AsyncEngine, service_id: str, template_id: str, content: str) -> None:
    """What the admin API does on an edit: the current row moves on, the history keeps both."""
    from sqlalchemy import update

    async with engine.begin() as conn:
        await conn.execute(
            update(templates).where(templates.c.id == template_id).values(version=2, content=content)
        )
        await conn.execute(
            insert(template_versions).values(
                id=template_id,
                service_id=service_id,
                version=2,
                name="edited",
                template_type="sms",
                content=content,
            )
        )


def sms_csv(rows: int, *, first_number: int = 0, headings: str = "phone number,name,ref") -> bytes:
    lines = [headings]
    lines += [f"07700 9{(first_number + n) % 100000:05d},Person {n},R{n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


async def read_topic(settings: CommonSettings, topic: str, *, timeout: float = 5.0) -> list[Event]:
    """Every event on ``topic`` (a logical name) at the moment of the call, in partition order."""
    physical = settings.kafka_topic_prefix + topic
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False, isolation_level="read_committed", **connection_options(settings)
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(physical, p) for p in sorted(consumer.partitions_for_topic(physical) or ())
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(physical, p) for p in sorted(consumer.partitions_for_topic(physical) or ())
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        events: list[Event] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while not await _at_end(consumer, ends):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                events += [codec.decode(r.value or b"") for r in records]
        return events
    finally:
        await consumer.stop()


async def _at_end(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


def of_type(events: Sequence[Event], kind: type[T]) -> list[T]:
    return [e for e in events if isinstance(e, kind)]


@asynccontextmanager
async def job_splitter_taking_commands(
    engine: AsyncEngine, kafka: CommonSettings, producer: EventProducer
) -> AsyncIterator[None]:
    """The job-splitter's consumer of ``notify.jobs.commands``, running in the background while the
    block runs: each command is recorded as the job-splitter records it."""
    physical = kafka.kafka_topic_prefix + topics.JOB_COMMANDS
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False, isolation_level="read_committed", **connection_options(kafka)
    )
    await consumer.start()

    async def consume() -> None:
        await consumer._client.force_metadata_update()
        partitions = [
            TopicPartition(physical, p) for p in sorted(consumer.partitions_for_topic(physical) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            events = [codec.decode(r.value or b"") for records in batches.values() for r in records]
            if events:
                await record(engine, producer, events)

    task = asyncio.create_task(consume())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()
