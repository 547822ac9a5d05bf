"""Kafka producer and batch consumer built on aiokafka, with the platform's delivery guarantees.

Producer: idempotent, ``acks=all``, batches with a short linger; ``publish`` returns only once the
broker has acknowledged, which is what lets the API answer 201 only for durable notifications.

Consumer: reads batches with ``getmany``, hands each batch to a handler, and commits offsets only
after the handler returns. Each failure is classified once (``notify_common.failures``):

* a dependency is unavailable (database, Redis, Kafka, S3 down or restarting): the records are
  fine, so nothing is committed past them; their partitions are rewound and paused with capped
  backoff, and the same records are handled again once the pause ends, until the dependency is
  back. No retry attempt is spent and nothing is dead-lettered;
* otherwise a batch whose handler raises is retried one record at a time to isolate the bad
  record; a record that fails with ``RetryableError`` goes to the group's retry topic with an
  exponential backoff, one that fails otherwise (or exhausts its attempts) goes to the
  dead-letter topic.

On stop (SIGTERM) the batch in hand is finished and committed before the consumer leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context
from opentelemetry.trace import Span

from notify_common import codec, tracing
from notify_common.consumer_metrics import ConsumerMetrics
from notify_common.errors import DependencyUnavailableError
from notify_common.events import Event
from notify_common.failures import FailureClass, classify_failure
from notify_common.fast_init import fast_init
from notify_common.partitioner import KeyPartitioner, partition_of
from notify_common.settings import CommonSettings
from notify_common.topics import dead_letter_topic, retry_topic
from notify_common.tracing import record_headers

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


def group_consumer(
    settings: CommonSettings, group: str, client_id: str, *topics: str, **options: Any
) -> AIOKafkaConsumer:
    """A member of ``group`` that commits by hand (only what has been handled), reads only
    committed transactions, and starts from the earliest record when the group has no offset."""
    return AIOKafkaConsumer(
        *topics,
        group_id=settings.kafka_topic_prefix + group,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_interval_ms=300_000,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=min(3_000, settings.kafka_session_timeout_ms // 3),
        **options,
        **connection_options(settings),
    )


class TopicNames:
    """Maps the declared (logical) topic names to the physical ones, by the configured prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def physical(self, logical: str) -> str:
        return self.prefix + logical

    def logical(self, physical: str) -> str:
        return physical[len(self.prefix) :] if physical.startswith(self.prefix) else physical


class PublishTimeout(Exception):
    """Kafka did not acknowledge in time. The events were handed to the producer, which keeps
    trying (idempotently) in the background, so they may still be written: ``outcome`` ends when
    that is known (its result, or the error that stopped it)."""

    def __init__(self, outcome: asyncio.Future[None]) -> None:
        super().__init__("Kafka did not acknowledge in time")
        self.outcome = outcome


class KafkaUnavailable(KafkaError):  # type: ignore[misc]  # aiokafka has no type hints
    """A publish with a deadline refused before anything of it was handed to the producer, because
    Kafka is taken to be unavailable (see ``_Breaker``): none of its events is written."""

    def __init__(self) -> None:
        super().__init__("Kafka is unavailable: a recent send went unacknowledged")


class _Breaker:
    """Kafka taken to be unavailable from a publish with a deadline that went unacknowledged while
    no publish was acknowledged (since it began), until a publish is acknowledged again. One broker
    of several lost leaves the others acknowledging: that is not taken for Kafka down, and sends to
    the partitions it led wait for their new leaders as before.

    Without it, every request while the broker is down waits out its whole deadline (5 s in the
    API) before its 503, and hands its events to the producer, which holds them and writes them if
    the broker is back within its request timeout: refusals that are sent after all. While it is
    open a publish with a deadline is refused at once (``KafkaUnavailable``), except the probes: one
    every ``probe_every_s`` goes ahead with its deadline, to find out whether Kafka is back (several
    may be waiting at once: each goes to the partition of its own key, and one whose leader answers
    is enough). Any acknowledgement closes it: a probe's, or a late one of a publish that had timed
    out."""

    def __init__(self, probe_every_s: float = 0.2) -> None:
        self._probe_every_s = probe_every_s
        self.open = False
        self._next_probe = 0.0
        self._last_ack = -math.inf

    def admit(self, now: float) -> bool:
        """Whether a publish may go ahead (as usual, or as a probe)."""
        if not self.open:
            return True
        if now < self._next_probe:
            return False
        self._next_probe = now + self._probe_every_s
        return True

    def acknowledged(self, now: float) -> None:
        self._last_ack = now
        if self.open:
            log.info("kafka acknowledges sends again: publishing resumes")
        self.open = False

    def unacknowledged(self, started: float, now: float) -> None:
        """A publish begun at ``started`` went unacknowledged until ``now``."""
        if not self.open and self._last_ack < started:
            log.warning("kafka did not acknowledge a send in time: sends are refused until it does")
            self.open = True
            self._next_probe = now + self._probe_every_s


class _Deadlines:
    """Futures that resolve once their time is up, by at most ``slot_s`` late: one timer per slot
    of ``slot_s`` seconds for every waiter falling in it. ``asyncio.wait`` with a timeout (a task
    set, callbacks and an event-loop timer of its own for each call) cost the api-gateway several
    percent of its CPU as one per send; a few timers a second cost nothing."""

    def __init__(self, slot_s: float = 0.1) -> None:
        self._slot_s = slot_s
        # By event loop too: a timer runs only in the loop that set it.
        self._slots: dict[tuple[asyncio.AbstractEventLoop, int], list[asyncio.Future[None]]] = {}

    def waiter(self, seconds: float) -> asyncio.Future[None]:
        """A future resolved (with None) ``seconds`` from now, or up to ``slot_s`` later; whoever
        else resolves it first may."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        slot = math.ceil((loop.time() + seconds) / self._slot_s)
        waiters = self._slots.get((loop, slot))
        if waiters is None:
            waiters = self._slots[loop, slot] = []
            loop.call_at(slot * self._slot_s, self._expire, loop, slot)
        waiters.append(waiter)
        return waiter

    def _expire(self, loop: asyncio.AbstractEventLoop, slot: int) -> None:
        for waiter in self._slots.pop((loop, slot), ()):
            _release(waiter)


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class PublishWindow:
    """The producer's linger, for the whole producer rather than aiokafka's per partition.

    aiokafka lingers each partition's batch from that batch's first record and, when one batch is
    due, sends only the batches that are due: the others, begun a moment later on other partitions,
    wait for that request's answer (it keeps one request in flight per broker) and leave in a
    request of their own. Events keyed by notification spread over every partition, so at a few
    hundred events a second most produce requests carried one or two records. Here the first
    publish opens a window of ``seconds``, every publish while it is open waits for it to close, and
    then all hand their events to the producer in the same turn of the event loop, before its
    sender runs (it lingers 0 ms), so they leave in one request. No event waits longer than
    ``seconds`` before it is handed over, as with the linger it replaces."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._open: asyncio.Event | None = None

    async def wait(self) -> None:
        window = self._open
        if window is None:
            window = self._open = asyncio.Event()
            asyncio.get_running_loop().call_later(self._seconds, self._close, window)
        # An Event, not a shared future: a caller cancelled while it waits leaves the others be.
        await window.wait()

    def _close(self, window: asyncio.Event) -> None:
        if self._open is window:
            self._open = None
        window.set()


class _Sends(Protocol):
    """Where ``EventProducer`` hands each keyed record; the unit tests' stand-in brokers are these."""

    async def send(
        self, topic: str, *, value: bytes, key: bytes, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[Any]: ...


class _Records:
    """Hands keyed records to an aiokafka producer as its ``send`` does for a producer with no
    serializers and no transaction, in fewer steps: straight to the producer's accumulator, on the
    partition every Kafka client gives the key, through a ``TopicPartition`` made once for each.
    ``send`` also checked the serializers and the transaction, asked for the topic's metadata,
    listed the topic's partitions twice, hashed the key in Python and made a ``TopicPartition``
    for each record: about a sixth of a published event's CPU (bench/kafka/produce_cpu.py). A
    topic whose metadata the producer does not hold yet is waited for, as ``send`` does; a record
    finding its partition's batch full waits for the sender to take it, as with ``send`` (it is the
    same call).
    The accumulator and the client's metadata are aiokafka's own attributes: the version is pinned
    in uv.lock, and every integration and end-to-end test publishes through here."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._tps: dict[tuple[str, int], TopicPartition] = {}

    async def send(
        self, topic: str, *, value: bytes, key: bytes, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[Any]:
        client = self._producer.client
        partitions = client.cluster.partitions_for_topic(topic)
        if not partitions:
            await client._wait_on_metadata(topic)
            partitions = client.cluster.partitions_for_topic(topic)
        where = (topic, partition_of(key, len(partitions)))
        tp = self._tps.get(where)
        if tp is None:
            tp = self._tps[where] = TopicPartition(*where)
        added: asyncio.Future[Any] = await self._producer._message_accumulator.add_message(
            tp, key, value, REQUEST_TIMEOUT_S, headers=headers
        )
        return added


# How long a produce request may take, and a record may wait in the producer for room in a batch.
REQUEST_TIMEOUT_S = 30.0


class EventProducer:
    """Publishes events durably: idempotent producer, acks=all, a short linger (``PublishWindow``) for
    batching."""

    def __init__(self, settings: CommonSettings, client_id: str, *, linger_ms: int = 5) -> None:
        self.names = TopicNames(settings.kafka_topic_prefix)
        self._window = PublishWindow(linger_ms / 1000) if linger_ms > 0 else None
        self._producer = AIOKafkaProducer(
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=0,
            max_batch_size=256 * 1024,
            partitioner=KeyPartitioner(),
            request_timeout_ms=int(REQUEST_TIMEOUT_S * 1000),
            **connection_options(settings),
        )
        self._records: _Sends = _Records(self._producer)
        self._deadlines = _Deadlines()
        self._breaker = _Breaker()
        # Built here, while the service starts, rather than by its first event: parsing every schema
        # (about 40 ms of CPU) then delays no request, and what start-up builds is frozen out of the
        # garbage collector's sight (``garbage.started``). Consumers decode with the same codec.
        self._codec = codec.default_codec()

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, event: Event) -> None:
        """Send one event and wait until the broker has acknowledged it."""
        await self.publish_many([(topic, event)])

    async def publish_many(
        self, items: Iterable[tuple[str, Event]], *, ack_within: float | None = None
    ) -> None:
        """Send many events at once (they batch) and wait for every acknowledgement; with
        ``ack_within``, for at most that many seconds, then ``PublishTimeout`` (see there), and
        ``KafkaUnavailable`` at once while a publish with a deadline has gone unacknowledged and
        none has been acknowledged since (``_Breaker``)."""
        if ack_within is None:
            await self._publish_many(items)
            return
        if not self._breaker.admit(asyncio.get_running_loop().time()):
            raise KafkaUnavailable()
        await self._publish_within(items, ack_within)

    async def _publish_within(self, items: Iterable[tuple[str, Event]], ack_within: float) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        task = asyncio.ensure_future(self._publish_many(list(items)))
        waiter = self._deadlines.waiter(ack_within)
        task.add_done_callback(lambda _: _release(waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not task.done():
            self._breaker.unacknowledged(started, loop.time())
            task.add_done_callback(self._late)
            raise PublishTimeout(task)
        task.result()
        self._breaker.acknowledged(loop.time())

    def _late(self, task: asyncio.Future[None]) -> None:
        """A publish that timed out ended: acknowledged after all, Kafka is back."""
        if not task.cancelled() and task.exception() is None:
            self._breaker.acknowledged(asyncio.get_running_loop().time())

    async def _publish_many(self, items: Iterable[tuple[str, Event]]) -> None:
        if self._window is not None:
            items = list(items)  # a generator's events are read now, not after the window
            await self._window.wait()
        futures = [
            await self._records.send(
                self.names.physical(topic),
                value=self._codec.encode(event),
                key=event.partition_key.encode(),
                headers=[(H_EVENT_TYPE, type(event).__name__.encode()), *record_headers(topic, event)],
            )
            for topic, event in items
        ]
        if len(futures) == 1:  # a single send (the api-gateway's): no gathering future around it
            await futures[0]
        elif futures:
            await asyncio.gather(*futures)

    async def send_raw(
        self, topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        fut = await self._producer.send(self.names.physical(topic), value=value, key=key, headers=headers)
        await fut


@fast_init  # every record a consumer reads is made into one
@dataclass(frozen=True, slots=True)
class Received:
    """One consumed record, decoded, with where it came from."""

    topic: str  # logical name; for retried records, the topic it was first read from
    partition: int
    offset: int
    key: bytes | None
    event: Event
    attempt: int = 0
    raw: ConsumerRecord[bytes, bytes] | None = field(default=None, compare=False, repr=False)
    span: Span | None = field(default=None, compare=False, repr=False)


Handler = Callable[[Sequence[Received]], Awaitable[None]]
# Answers True for a record its consumer has nothing to do with, before the record is decoded.
Skip = Callable[[ConsumerRecord[bytes, bytes]], bool]


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff of a record's retries through the retry topic (``max_attempts`` of them), and of the
    pauses while a dependency is unavailable (which spend no attempt and never end in the
    dead-letter topic)."""

    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    unavailable_base_delay_s: float = 0.5
    unavailable_max_delay_s: float = 30.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1)))

    def unavailable_delay(self, failures: int) -> float:
        """The pause after ``failures`` consecutive failures for an unavailable dependency."""
        exponent = min(max(failures - 1, 0), 16)
        return float(min(self.unavailable_max_delay_s, self.unavailable_base_delay_s * 2.0**exponent))


# A retry record not yet due holds its partition back (Kafka reads a partition in order), so records
# behind it that are due sooner (another notification's earlier attempt, whose backoff is shorter)
# would wait for it. When one of the records fetched behind it is due more than this much sooner,
# it is moved to the end of the retry topic instead; otherwise its partition is paused until it is
# due, and fetched again at least this often to see what has arrived behind it.
RETRY_LOOK_AGAIN_S = 5.0


def _due(record: ConsumerRecord[bytes, bytes]) -> float:
    """When a retry record is due (epoch seconds; 0 without the header)."""
    return int(_header(record, H_NOT_BEFORE) or 0) / 1000


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode()
    return None


class RecordRouter:
    """What every consumer of a group does with the records it reads, whatever its shape (one
    batch at a time here, many batches in flight in the sms-sender's lanes): hold back retry
    records not yet due, decode (undecodable records go to the dead-letter topic), hand a batch to
    the handler (one record at a time if the batch fails), give back the records left while a
    dependency is unavailable, and route every other failure to the retry topic with backoff or
    to the dead-letter topic."""

    def __init__(
        self,
        names: TopicNames,
        *,
        group: str,
        handler: Handler,
        producer: EventProducer,
        retry: RetryPolicy,
        log_extra: dict[str, str] | None = None,
        only: Mapping[str, Collection[type[Event]]] | None = None,
        skip: Skip | None = None,
    ) -> None:
        self.names, self.group = names, group
        self._skip = skip
        # Physical topic -> the event types handed over from it (by schema name); other topics: all.
        self._only = {
            names.physical(t): frozenset(e.schema_name for e in types) for t, types in (only or {}).items()
        }
        self.retry_topic, self.dlq_topic = retry_topic(group), dead_letter_topic(group)
        self._retry_physical = names.physical(self.retry_topic)
        self._handler, self._producer, self._retry = handler, producer, retry
        self._log_extra = {"group": group, **(log_extra or {})}
        self._paused_until: dict[TopicPartition, float] = {}
        self._unavailable_failures = 0
        self.metrics = ConsumerMetrics(group, names)
        self._logical: dict[str, str] = {}  # physical topic -> logical, as records name them

    async def decode_batches(
        self,
        consumer: AIOKafkaConsumer,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> tuple[list[Received], dict[TopicPartition, int]]:
        """The decoded records of a ``getmany`` answer and the next offset to commit for each
        partition once they are handled. A retry record not yet due is moved to the end of the
        retry topic if a record fetched behind it is due sooner (``RETRY_LOOK_AGAIN_S``); otherwise
        it rewinds and pauses its partition until it is due (the rest of that partition's records
        are fetched again)."""
        ready: list[Received] = []
        ends: dict[TopicPartition, int] = {}
        for tp, records in batches.items():
            for i, record in enumerate(records):
                if tp.topic == self._retry_physical:
                    due = _due(record)
                    if due > time.time():
                        sooner = any(_due(r) < due - RETRY_LOOK_AGAIN_S for r in records[i + 1 :])
                        if sooner and await self._moved_behind(record):
                            ends[tp] = record.offset + 1
                            continue
                        consumer.seek(tp, record.offset)
                        consumer.pause(tp)
                        wait = min(due - time.time(), RETRY_LOOK_AGAIN_S)
                        self._paused_until[tp] = time.monotonic() + wait
                        break
                if (self._only and self._passed_over(record)) or (self._skip and self._skip(record)):
                    ends[tp] = record.offset + 1
                    continue
                try:
                    ready.append(self._received(record))
                except ValueError as exc:
                    await self._dead_letter(record, exc)
                ends[tp] = record.offset + 1
        return ready, ends

    def _passed_over(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Whether ``record`` is of an event type its topic's reader does not want, told from the
        schema fingerprint alone (an undecodable record is not: it is dead-lettered as ever)."""
        wanted = self._only.get(record.topic)
        if wanted is None:
            return False
        try:
            return codec.event_type_name(record.value or b"") not in wanted
        except ValueError:
            return False

    async def _moved_behind(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Re-publish a retry record not yet due to the end of the retry topic (same key, value
        and headers, so the same due time and attempt); False if that could not be done."""
        try:
            await self._producer.send_raw(
                self.retry_topic, record.value, record.key, list(record.headers or ())
            )
        except Exception as exc:
            log.warning(
                "retry record not moved behind sooner ones",
                extra={**self._log_extra, "partition": record.partition, "error": type(exc).__name__},
            )
            return False
        return True

    def resume_due_partitions(self, consumer: AIOKafkaConsumer) -> None:
        if not self._paused_until:
            return
        now = time.monotonic()
        for tp, until in list(self._paused_until.items()):
            if until <= now:
                if tp in consumer.assignment():
                    consumer.resume(tp)
                del self._paused_until[tp]

    def forget(self, tp: TopicPartition) -> None:
        """A partition given up in a rebalance is no longer ours to resume."""
        self._paused_until.pop(tp, None)

    def _received(self, record: ConsumerRecord[bytes, bytes]) -> Received:
        """``record`` decoded; a ``ValueError`` if it does not decode. Every record a consumer
        reads passes here, so it is made without a coroutine, and its headers are looked through
        once (a retried record names its first topic and its attempt there)."""
        event = codec.decode(record.value or b"")
        original = attempt = None
        for name, value in record.headers or ():
            if name == H_ORIGINAL_TOPIC and original is None:
                original = bytes(value).decode()
            elif name == H_ATTEMPT and attempt is None:
                attempt = bytes(value).decode()
        topic = original or self._logical.get(record.topic) or self._learn_logical(record.topic)
        partition, offset = record.partition, record.offset
        span = tracing.consumed(topic, partition, offset, self.group, record.headers, event)
        return Received(topic, partition, offset, record.key, event, int(attempt or 0), record, span)

    def _learn_logical(self, physical: str) -> str:
        logical = self._logical[physical] = self.names.logical(physical)
        return logical

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], exc: ValueError) -> None:
        log.error(
            "undecodable record sent to dead-letter topic",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": type(exc).__name__,
            },
        )
        headers = [*(record.headers or ()), (H_ERROR, type(exc).__name__.encode())]
        if _header(record, H_ORIGINAL_TOPIC) is None:
            headers.append((H_ORIGINAL_TOPIC, self.names.logical(record.topic).encode()))
        await self._producer.send_raw(self.dlq_topic, record.value, record.key, headers)
        self.metrics.dead_lettered(_header(record, H_ORIGINAL_TOPIC) or self.names.logical(record.topic))

    async def handle(self, ready: list[Received]) -> list[Received]:
        """Hand ``ready`` to the handler; if it fails, each record alone, routing each failure.
        Returns the records left unhandled because a dependency is unavailable (nothing may be
        committed past them: hand them over again after ``unavailable_delay()``); empty when every
        record was handled or routed. Raises only if a failure cannot be routed for another reason."""
        left = await self._handle(ready)
        if ready and ready[0].span is not None:
            held = {id(item) for item in left}
            for item in ready:
                if id(item) not in held:
                    tracing.finish(item.span, item.event.notification_id)
        return left

    async def _call(self, batch: list[Received]) -> None:
        """The handler; a batch of one record runs in that record's trace (log lines name it)."""
        if len(batch) == 1:
            with tracing.handling(batch[0].event.notification_id):
                await self._handler(batch)
        else:
            await self._handler(batch)

    async def _handle(self, ready: list[Received]) -> list[Received]:
        try:
            await self._call(ready)
            self._handled(ready)
            return []
        except Exception as exc:
            if classify_failure(exc) is FailureClass.UNAVAILABLE:
                return self._left_unhandled(ready, exc)
            if len(ready) > 1:
                log.warning(
                    "batch failed, handling one record at a time",
                    extra={**self._log_extra, "records": len(ready), "error": type(exc).__name__},
                )
            elif await self._routed(ready[0], exc):
                return []
            else:
                return self._left_unhandled(ready, exc)
        for i, item in enumerate(ready):
            try:
                await self._call([item])
                self.metrics.handled((item.topic,))
            except Exception as exc:
                if classify_failure(exc) is FailureClass.UNAVAILABLE or not await self._routed(item, exc):
                    return self._left_unhandled(ready[i:], exc)
        self._handled([])
        return []

    def _handled(self, items: Sequence[Received]) -> None:
        self.metrics.handled(item.topic for item in items)
        if self._unavailable_failures:
            self._unavailable_failures = 0
            self.metrics.paused(False)

    async def handle_until_done(self, ready: list[Received], stopping: asyncio.Event) -> None:
        """``handle``, waiting out an unavailable dependency in place (for consumers that keep
        polling while a batch is in hand). Raises ``DependencyUnavailableError`` if asked to stop
        first: the records left must then not be committed."""
        left = await self.handle(ready)
        while left:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self.unavailable_delay())
            if stopping.is_set():
                raise DependencyUnavailableError("stopped while a dependency was unavailable")
            left = await self.handle(left)

    def unavailable_delay(self) -> float:
        return self._retry.unavailable_delay(self._unavailable_failures)

    def hold_back(self, consumer: AIOKafkaConsumer, left: Sequence[Received]) -> dict[TopicPartition, int]:
        """Rewind each partition of ``left`` to its first unhandled record and pause it for the
        backoff, so the records are fetched and handed over again; the polling goes on meanwhile
        (so the consumer keeps its place in the group). Returns the offsets to commit: each such
        partition only up to its first unhandled record."""
        first: dict[TopicPartition, int] = {}
        for item in left:
            if item.raw is None:
                continue
            tp = TopicPartition(item.raw.topic, item.raw.partition)
            first[tp] = min(first.get(tp, item.raw.offset), item.raw.offset)
        until = time.monotonic() + self.unavailable_delay()
        for tp, offset in first.items():
            consumer.seek(tp, offset)
            consumer.pause(tp)
            self._paused_until[tp] = max(until, self._paused_until.get(tp, 0.0))
        return first

    def _left_unhandled(self, left: list[Received], exc: Exception) -> list[Received]:
        self._unavailable_failures += 1
        self.metrics.paused(True)
        log.warning(
            "dependency unavailable, records held back to be handled again",
            extra={
                **self._log_extra,
                "records": len(left),
                "error": type(exc).__name__,
                "cause": type(exc.__cause__).__name__ if exc.__cause__ is not None else None,
                "failures_in_a_row": self._unavailable_failures,
                "pause_s": self.unavailable_delay(),
            },
        )
        return left

    async def _routed(self, item: Received, exc: Exception) -> bool:
        """Route ``item``'s failure; False if the retry or dead-letter topic is unavailable."""
        try:
            await self._route_failure(item, exc)
        except Exception as routing:
            if classify_failure(routing) is FailureClass.UNAVAILABLE:
                return False
            raise
        return True

    async def _route_failure(self, item: Received, exc: Exception) -> None:
        attempt = item.attempt + 1
        ids = {
            **self._log_extra,
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
        if classify_failure(exc) is FailureClass.RETRY and attempt < self._retry.max_attempts:
            not_before = time.time() + self._retry.delay(attempt)
            headers.append((H_NOT_BEFORE, str(int(not_before * 1000)).encode()))
            log.warning("record failed, scheduled for retry", extra=ids)
            headers += tracing.record_headers(self.retry_topic, item.event)
            await self._producer.send_raw(self.retry_topic, value, item.key, headers)
            self.metrics.retried(item.topic)
        else:
            log.error("record failed for good, sent to dead-letter topic", extra=ids, exc_info=exc)
            headers += tracing.record_headers(self.dlq_topic, item.event)
            await self._producer.send_raw(self.dlq_topic, value, item.key, headers)
            self.metrics.dead_lettered(item.topic)


class BatchConsumer:
    """A consumer group member that hands decoded batches to a handler; see the module docstring.

    ``fetch_min_bytes`` and ``fetch_max_wait_ms`` are the broker's: it answers a fetch once it holds
    that many bytes for the member, or after that wait. With the default of 1 byte every record
    that lands is fetched at once, so under load each batch is a few records and each costs a
    fetch, a handling (one database transaction, say) and an offset commit; a member for which a
    few hundred milliseconds of delay do not matter asks for more and handles far fewer, larger
    batches for the same records.

    With ``commit_interval_ms``, the offsets of the batches handled are committed at most that often
    (and when the member stops) rather than after each batch: each commit is a request the broker
    writes to its offsets log, and a member that handles many small batches a second spends as many
    on commits as on fetches. Only handled records are ever committed; what a crash or a rebalance
    leaves uncommitted is read again, which handlers are built for (at least once).

    With ``only`` (logical topic -> event types), records of other types on those topics are
    committed past without being decoded or handed over; so is every record for which ``skip``
    answers True (it sees the raw record: a consumer that can tell from a few bytes that a record
    asks nothing of it spares the decoding)."""

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
        fetch_min_bytes: int = 1,
        fetch_max_wait_ms: int = 500,
        commit_interval_ms: int = 0,
        only: Mapping[str, Collection[type[Event]]] | None = None,
        skip: Skip | None = None,
    ) -> None:
        self.group = group
        self._commit_interval_s = commit_interval_ms / 1000
        self._uncommitted: dict[TopicPartition, int] = {}
        self._committed_at = 0.0
        self.names = TopicNames(settings.kafka_topic_prefix)
        self._router = RecordRouter(
            self.names, group=group, handler=handler, producer=producer, retry=retry or RetryPolicy(),
            only=only, skip=skip,
        )  # fmt: skip
        subscribed = {*topics, self._router.retry_topic}
        self._topics = sorted(self.names.physical(t) for t in subscribed)
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._consumer = group_consumer(
            settings,
            group,
            f"{group}-consumer",
            *self._topics,
            fetch_min_bytes=fetch_min_bytes,
            fetch_max_wait_ms=fetch_max_wait_ms,
        )
        self._stopping = asyncio.Event()
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
        self._committed_at = time.monotonic()  # the first interval runs from the start
        try:
            while not self._stopping.is_set():
                self._router.resume_due_partitions(self._consumer)
                batches = await self._consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                )
                self.last_poll_monotonic = time.monotonic()
                await self._router.metrics.report_lag(self._consumer)
                if batches:
                    await self._handle_batches(batches)
                if self._uncommitted and self._commit_due():
                    await self._commit()
        finally:
            try:
                if self._uncommitted:
                    await self._commit()
            finally:
                await self._consumer.stop()

    async def _handle_batches(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        ready, commit = await self._router.decode_batches(self._consumer, batches)
        left = await self._router.handle(ready) if ready else []
        if left:
            commit.update(self._router.hold_back(self._consumer, left))
        self._uncommitted.update(commit)
        self.handled += len(ready) - len(left)

    def _commit_due(self) -> bool:
        return time.monotonic() - self._committed_at >= self._commit_interval_s

    async def _commit(self) -> None:
        # A partition given up in a rebalance since is no longer this member's to commit (aiokafka
        # refuses the whole commit then); its next owner reads from its last commit.
        assigned = self._consumer.assignment()
        commit = {tp: offset for tp, offset in self._uncommitted.items() if tp in assigned}
        self._uncommitted = {}
        self._committed_at = time.monotonic()
        if not commit:
            return
        try:
            await self._consumer.commit(commit)
        except KafkaError as exc:
            # Kafka itself unavailable (or a rebalance under way): these records are read
            # again, by this member or the next; handlers are idempotent.
            log.warning("offset commit failed", extra={"group": self.group, "error": type(exc).__name__})
