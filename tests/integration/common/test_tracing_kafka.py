"""Trace context through the real broker: the producer puts ``traceparent`` in the record's
headers, and the consumer runner's span for that record is a child of the producer's span."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from notify_common import topics, tracing
from notify_common.events import NotificationPending
from notify_common.kafka import BatchConsumer, EventProducer, Received
from notify_common.settings import CommonSettings


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    yield exporter
    tracing.use(None)


async def test_a_record_carries_the_trace_from_producer_to_consumer_span(
    kafka: CommonSettings, producer: EventProducer, spans: InMemorySpanExporter
) -> None:
    event = NotificationPending(
        notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), provider="mmg", detail="x"
    )
    with tracing.tracer().start_as_current_span("request") as request:
        await producer.publish(topics.NOTIFICATION_STATUS, event)
    seen: list[Received] = []

    async def handler(batch: Sequence[Received]) -> None:
        seen.extend(batch)

    consumer = BatchConsumer(
        kafka,
        group=topics.GROUP_CALLBACKS,
        topics=[topics.NOTIFICATION_STATUS],
        handler=handler,
        producer=producer,
        poll_timeout_ms=100,
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(30):
            while not seen:
                await asyncio.sleep(0.05)
    finally:
        consumer.request_stop()
        await task

    assert seen[0].raw is not None
    headers = dict(seen[0].raw.headers)
    _version, trace_id, parent_id, _flags = bytes(headers["traceparent"]).decode().split("-")
    assert int(trace_id, 16) == request.get_span_context().trace_id
    finished = {s.name: s for s in spans.get_finished_spans()}
    publish = finished[f"{topics.NOTIFICATION_STATUS} publish"]
    process = finished[f"{topics.NOTIFICATION_STATUS} process"]
    assert publish.kind is SpanKind.PRODUCER
    assert process.kind is SpanKind.CONSUMER
    assert int(parent_id, 16) == publish.context.span_id
    assert process.context.trace_id == request.get_span_context().trace_id
    assert process.parent is not None
    assert process.parent.span_id == publish.context.span_id
