"""The faust-streaming application: each source's events are counted in batches into
per-partition state (``AnalyticsApp.batches``), each batch is written to the source's changelog,
and a timer publishes changed cells.

Each source's table exists for its changelog: faust reads a newly assigned partition's changelog
back into the table before any of its events are counted (``on_recovery_completed``), and the
worker rebuilds that partition's ``PartitionState`` from it. Records are sent to the changelog
partition of the events' partition explicitly, since one batch holds several partitions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust
from faust.types import TP, Message, TableT

from notify_analytics import metrics
from notify_analytics.faust_app import AnalyticsApp, BatchHandler
from notify_analytics.observe import observe
from notify_analytics.projection import ProjectionReader
from notify_analytics.results import encode_result, result_key
from notify_analytics.settings import AnalyticsSettings
from notify_analytics.sources import SOURCES, Source
from notify_analytics.state import PartitionState
from notify_common import topics
from notify_common.codec import UnknownSchemaError, default_codec
from notify_common.kafka import TopicNames

log = logging.getLogger(__name__)
# Cells published between yields to the event loop.
PUBLISH_YIELD_EVERY = 500


class SourceState:
    """The state of every partition of one source this worker holds."""

    def __init__(
        self, source: Source, table: TableT[str, Any], dedupe_ms: int, short_deltas: bool = False
    ) -> None:
        self.source = source
        self.table = table
        self.dedupe_ms = dedupe_ms
        self.short_deltas = short_deltas
        self.partitions: dict[int, PartitionState] = {}
        self.restored = False

    def restore(self, active: set[int]) -> None:
        for partition in list(self.partitions):
            if partition not in active:
                del self.partitions[partition]
        for partition in active - set(self.partitions):
            state = PartitionState(self.dedupe_ms, self.short_deltas)
            prefix = f"{partition}|"
            state.restore(
                (key[len(prefix) :], value)
                for key, value in list(self.table.data.items())
                if isinstance(key, str) and key.startswith(prefix) and value is not None
            )
            self.partitions[partition] = state
            log.info(
                "analytics state restored",
                extra={"source": self.source.name, "partition": partition, "cells": len(state.totals)},
            )

    def mark_restored(self) -> None:
        self.restored = True

    def write(self, partition: int, records: list[tuple[str, dict[str, Any] | None]]) -> None:
        for key, value in records:
            self.table.send_changelog(partition, f"{partition}|{key}", value)


def build_app(settings: AnalyticsSettings) -> tuple[faust.App, dict[str, SourceState]]:
    names = TopicNames(settings.kafka_topic_prefix)
    app = AnalyticsApp(
        names.physical(topics.GROUP_ANALYTICS),
        broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap_servers.split(",")],
        store="memory://",
        datadir=str(settings.analytics_data_dir),
        autodiscover=False,
        web_enabled=True,
        web_bind=settings.http_host,
        web_port=settings.http_port,
        web_host=settings.http_host,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        topic_replication_factor=settings.kafka_topic_replication_factor,
        table_standby_replicas=settings.analytics_standby_replicas,
        broker_session_timeout=settings.analytics_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.analytics_session_timeout_seconds / 3),
        stream_buffer_maxsize=max(4096, settings.analytics_batch_size * 2),
        batch_size=settings.analytics_batch_size,
        fetch_min_bytes=settings.analytics_fetch_min_bytes,
        fetch_max_wait_ms=settings.analytics_fetch_max_wait_ms,
        producer_linger=settings.analytics_producer_linger_seconds,
    )
    codec = default_codec()
    states: dict[str, SourceState] = {}
    for source in SOURCES:
        changelog = app.topic(
            names.physical(source.state_topic),
            partitions=source.partitions,
            compacting=True,
            deleting=False,
            internal=True,
            key_serializer="json",
            value_serializer="json",
        )
        table = app.Table(
            f"state-{source.name}",
            partitions=source.partitions,
            changelog_topic=changelog,
        )
        state = SourceState(
            source, table, settings.analytics_dedupe_seconds * 1000, settings.analytics_short_changelog
        )
        states[source.name] = state
        _add_recovery(table, state)
        channel = app.topic(
            *(names.physical(t) for t in source.topics),
            key_serializer="raw",
            value_serializer="raw",
            partitions=source.partitions,
        )
        app.batches(channel, _counter(state, codec))

    results = names.physical(topics.ANALYTICS_WINDOW_STATS)

    schedule = PublishSchedule(
        settings.analytics_catch_up_publish_seconds, settings.analytics_batch_size, time.monotonic()
    )

    async def publish() -> None:
        if schedule.due(time.monotonic(), app.behind()):
            await publish_changed(app, states, results)

    async def checkpoint() -> None:
        now_ms = int(time.time() * 1000)
        for state in states.values():
            for partition, part in state.partitions.items():
                state.write(partition, list(part.checkpoint()))
                state.write(partition, [(key, None) for key in part.expired(now_ms)])

    app.timer(settings.analytics_publish_seconds)(publish)
    app.timer(settings.analytics_checkpoint_seconds)(checkpoint)
    return app, states


class PublishSchedule:
    """Whether a publish (every ``NOTIFY_ANALYTICS_PUBLISH_SECONDS``) is due: always, unless the
    worker is more than a batch behind and published (or started, at ``started``) less than
    ``catch_up_seconds`` ago. A worker catching up changes most of its cells between two
    publishes, and a publish costs about as much per cell as counting costs per event; what it
    would publish is partial anyway."""

    def __init__(self, catch_up_seconds: float, batch_size: int, started: float) -> None:
        self.catch_up_seconds = catch_up_seconds
        self.batch_size = batch_size
        self.last = started

    def due(self, now: float, behind: int) -> bool:
        if behind > self.batch_size and now - self.last < self.catch_up_seconds:
            return False
        self.last = now
        return True


async def publish_changed(app: faust.App, states: dict[str, SourceState], results: str) -> None:
    """Send the changed cells straight to the producer (faust's own topic buffer would queue them
    one by one); the producer batches them, and faust flushes it before committing offsets.
    Sending does not wait while the producer has room, so the loop is let go every
    ``PUBLISH_YIELD_EVERY`` cells: a worker catching up changes most of its cells between two
    publishes."""
    send = app.producer.send
    sent = 0
    for state in states.values():
        for partition, part in list(state.partitions.items()):
            changed, part.dirty = part.dirty, set()
            for cell in changed:
                sent += 1
                if sent % PUBLISH_YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                await send(
                    results,
                    result_key(cell, state.source.name, partition),
                    encode_result(cell, part.totals[cell], state.source.name, partition),
                    None,
                    None,
                    None,
                )


def _add_recovery(table: TableT[str, Any], state: SourceState) -> None:
    original = table.on_recovery_completed

    async def on_recovery_completed(active_tps: set[TP], standby_tps: set[TP]) -> None:
        await original(active_tps, standby_tps)
        changelog = table.changelog_topic.get_topic_name()
        state.restore({tp.partition for tp in active_tps if tp.topic == changelog})
        state.mark_restored()

    table.on_recovery_completed = on_recovery_completed  # type: ignore[method-assign]


def _counter(state: SourceState, codec: Any) -> BatchHandler:
    source = state.source.name
    partitions = state.partitions
    decode_record = codec.decode_record
    project = ProjectionReader(codec.schemas_dir).read

    async def count(messages: list[Message]) -> None:
        touched: set[int] = set()
        counted = duplicate = ignored = undecodable = 0
        for message in messages:
            partition = message.partition
            part = partitions.get(partition)
            if part is None:
                part = partitions[partition] = PartitionState(state.dedupe_ms, state.short_deltas)
            try:
                projected = project(message.value)
                if projected is None:  # an event of a schema analytics does not count
                    event_type, record = decode_record(message.value, raw_timestamps=True)
                    projected = event_type.schema_name, record
            except (UnknownSchemaError, ValueError, EOFError, TypeError):
                undecodable += 1
                continue
            obs = observe(*projected)
            if obs is None:
                ignored += 1
                continue
            applied = part.apply(obs)
            touched.add(partition)  # a test key's or a duplicate's id is remembered too
            if applied:
                counted += 1
            elif applied is None:
                ignored += 1
            else:
                duplicate += 1
        for partition in touched:
            delta = partitions[partition].take_delta()
            if delta is not None:
                state.write(partition, [delta])
        metrics.events(
            source,
            {"counted": counted, "duplicate": duplicate, "ignored": ignored, "undecodable": undecodable},
        )

    return count
