"""Kafka producer and batch consumer built on aiokafka, with the platform's delivery guarantees.

Producer: idempotent, ``acks=all``, batches with a short linger; ``publish`` returns only once the
broker has acknowledged, which is what lets the API answer 201 only for durable notifications.

Consumer: reads batches with ``getmany``, hands each batch to a handler, and commits offsets only
after the handler returns. A batch whose handler raises is retried one record at a time to isolate
the bad record; a record that fails with ``RetryableError`` goes to the group's retry topic with an
exponential backoff, one that fails otherwise (or exhausts its attempts) goes to the dead-letter
topic. On stop (SIGTERM) the batch in hand is finished and committed before the consumer leaves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.helpers import create_ssl_context

from notify_common import codec
from notify_common.errors import RetryableError
from notify_common.events import Event
from notify_common.settings import CommonSettings
from notify_common.topics import dead_letter_topic, retry_topic

log = logging.getLogger(__name__)

H_ATTEMPT = "retry-attempt"
H_NOT_BEFORE = "retry-not-before-ms"
H_ORIGINAL_TOPIC = "original-topic"
H_ERROR = "error"
H_EVENT_TYPE = "event-type"


def connection_options(settings: CommonSettings) -> dict[str, Any]:
    """aiokafka keyword arguments for reaching the cluster (bootstrap, TLS, SASL)."""
    opts: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        opts["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_security_protocol.startswith("SASL"):
        opts["sasl_mechanism"] = settings.kafka_sasl_mechanism or "PLAIN"
        opts["sasl_plain_username"] = settings.kafka_sasl_username
        if settings.kafka_sasl_password is not None:
            opts["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return opts


class TopicNames:
    """Maps the declared (logical) topic names to the physical ones, by the configured prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def physical(self, logical: str) -> str:
        return self.prefix + logical

    def logical(self, physical: str) -> str:
        return physical[len(self.prefix) :] if physical.startswith(self.prefix) else physical


class EventProducer:
    """Publishes events durably: idempotent producer, acks=all, short linger for batching."""

    def __init__(self, settings: CommonSettings, client_id: str, *, linger_ms: int = 5) -> None:
        self.names = TopicNames(settings.kafka_topic_prefix)
        self._producer = AIOKafkaProducer(
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=linger_ms,
            max_batch_size=256 * 1024,
            request_timeout_ms=30_000,
            **connection_options(settings),
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, event: Event) -> None:
        """Send one event and wait until the broker has acknowledged it."""
        await self.publish_many([(topic, event)])

    async def publish_many(self, items: Iterable[tuple[str, Event]]) -> None:
        """Send many events at once (they batch) and wait for every acknowledgement."""
        futures = [
            await self._producer.send(
                self.names.physical(topic),
                value=codec.encode(event),
                key=event.partition_key.encode(),
                headers=[(H_EVENT_TYPE, type(event).__name__.encode())],
            )
            for topic, event in items
        ]
        if futures:
            await asyncio.gather(*futures)

    async def send_raw(
        self, topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        fut = await self._producer.send(self.names.physical(topic), value=value, key=key, headers=headers)
        await fut


@dataclass(frozen=True)
class Received:
    """One consumed record, decoded, with where it came from."""

    topic: str  # logical name; for retried records, the topic it was first read from
    partition: int
    offset: int
    key: bytes | None
    event: Event
    attempt: int = 0
    raw: ConsumerRecord[bytes, bytes] | None = field(default=None, compare=False, repr=False)


Handler = Callable[[Sequence[Received]], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1)))


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode()
    return None


class BatchConsumer:
    """A consumer group member that hands decoded batches to a handler; see the module docstring."""

    def __init__(
        self,
        settings: CommonSettings,
        *,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        producer: EventProducer,
        retry: RetryPolicy | None = None,
        max_records: int = 500,
        poll_timeout_ms: int = 200,
    ) -> None:
        self.group = group
        self.names = TopicNames(settings.kafka_topic_prefix)
        self._retry_topic = retry_topic(group)
        self._dlq_topic = dead_letter_topic(group)
        subscribed = {*topics, self._retry_topic}
        self._topics = sorted(self.names.physical(t) for t in subscribed)
        self._handler = handler
        self._producer = producer
        self._retry = retry or RetryPolicy()
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            group_id=settings.kafka_topic_prefix + group,
            client_id=f"{group}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_interval_ms=300_000,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=3_000,
            **connection_options(settings),
        )
        self._stopping = asyncio.Event()
        self._paused_until: dict[TopicPartition, float] = {}
        self.last_poll_monotonic = 0.0
        self.handled = 0

    @property
    def assigned(self) -> bool:
        return bool(self._consumer.assignment())

    async def start(self) -> None:
        await self._consumer.start()

    def request_stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Poll, handle and commit until asked to stop; then commit and leave the group."""
        try:
            while not self._stopping.is_set():
                self._resume_due_partitions()
                batches = await self._consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                )
                self.last_poll_monotonic = time.monotonic()
                if batches:
                    await self._handle_batches(batches)
        finally:
            await self._consumer.stop()

    async def _handle_batches(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        ready: list[Received] = []
        commit: dict[TopicPartition, int] = {}
        for tp, records in batches.items():
            for record in records:
                if tp.topic == self.names.physical(self._retry_topic):
                    due = int(_header(record, H_NOT_BEFORE) or 0) / 1000
                    if due > time.time():
                        # Not due yet: rewind, pause the partition until then, and leave the
                        # rest of this partition's batch to be fetched again.
                        self._consumer.seek(tp, record.offset)
                        self._consumer.pause(tp)
                        self._paused_until[tp] = time.monotonic() + (due - time.time())
                        break
                received = await self._decode(record)
                if received is not None:
                    ready.append(received)
                commit[tp] = record.offset + 1
        if ready:
            await self._handle(ready)
        if commit:
            await self._consumer.commit(commit)
        self.handled += len(ready)

    async def _decode(self, record: ConsumerRecord[bytes, bytes]) -> Received | None:
        try:
            event = codec.decode(record.value or b"")
        except ValueError as exc:
            log.error(
                "undecodable record sent to dead-letter topic",
                extra={
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "error": type(exc).__name__,
                },
            )
            await self._producer.send_raw(
                self._dlq_topic,
                record.value,
                record.key,
                [*(record.headers or ()), (H_ERROR, type(exc).__name__.encode())],
            )
            return None
        original = _header(record, H_ORIGINAL_TOPIC)
        return Received(
            topic=original or self.names.logical(record.topic),
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            event=event,
            attempt=int(_header(record, H_ATTEMPT) or 0),
            raw=record,
        )

    async def _handle(self, ready: list[Received]) -> None:
        try:
            await self._handler(ready)
            return
        except Exception as exc:
            if len(ready) == 1:
                await self._route_failure(ready[0], exc)
                return
            log.warning(
                "batch failed, handling one record at a time",
                extra={"group": self.group, "records": len(ready)},
            )
        for item in ready:
            try:
                await self._handler([item])
            except Exception as exc:
                await self._route_failure(item, exc)

    async def _route_failure(self, item: Received, exc: Exception) -> None:
        attempt = item.attempt + 1
        retryable = isinstance(exc, RetryableError)
        ids = {
            "group": self.group,
            "topic": item.topic,
            "partition": item.partition,
            "offset": item.offset,
            "notification_id": item.event.notification_id,
            "error": type(exc).__name__,
            "attempt": attempt,
        }
        value = item.raw.value if item.raw is not None else codec.encode(item.event)
        headers = [
            (H_ORIGINAL_TOPIC, item.topic.encode()),
            (H_ATTEMPT, str(attempt).encode()),
            (H_ERROR, type(exc).__name__.encode()),
            (H_EVENT_TYPE, type(item.event).__name__.encode()),
        ]
        if retryable and attempt < self._retry.max_attempts:
            not_before = time.time() + self._retry.delay(attempt)
            headers.append((H_NOT_BEFORE, str(int(not_before * 1000)).encode()))
            log.warning("record failed, scheduled for retry", extra=ids)
            await self._producer.send_raw(self._retry_topic, value, item.key, headers)
        else:
            log.error("record failed for good, sent to dead-letter topic", extra=ids, exc_info=exc)
            await self._producer.send_raw(self._dlq_topic, value, item.key, headers)

    def _resume_due_partitions(self) -> None:
        now = time.monotonic()
        for tp, until in list(self._paused_until.items()):
            if until <= now:
                if tp in self._consumer.assignment():
                    self._consumer.resume(tp)
                del self._paused_until[tp]
