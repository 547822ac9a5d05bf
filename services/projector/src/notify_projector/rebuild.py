"""``notify-projector rebuild``: replay every lifecycle topic from the start into fresh tables and
swap them in while the API keeps serving.

1. Shadow tables are created in a schema of their own (primary keys only, for fast loading).
2. Every partition of every topic the projector reads is replayed from offset 0 up to its end
   offset at the start into the shadow, in bulk by worker processes (``bulk.py``: staging tables
   merged once, job counts and facts computed once).
3. The secondary indexes are built, then a catch-up pass replays what arrived meanwhile with the
   projection's own ``apply``; retention is applied to the shadow, and what the log no longer
   holds (facts and job counts of days before the replay's horizon, complaints and callback
   attempts whose events left the log) is taken from the live tables (``horizon.py``).
4. The swap transaction takes the projection lock exclusively (live projector batches hold it
   shared, so the swap falls between two of them), replays the last few records, and moves the
   live tables out and the shadow ones in. Readers wait for that commit (milliseconds); the live
   projector then continues on the new tables from its own offsets, and anything it applies again
   is absorbed, because the projection is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common import codec, topics
from notify_common.db import create_engine
from notify_common.events import Event
from notify_common.kafka import TopicNames, connection_options
from notify_common.settings import CommonSettings
from notify_projector import bulk
from notify_projector.horizon import preserve_before, replay_horizon
from notify_projector.periodic import purge
from notify_projector.projection import PROJECTION_LOCK, apply
from notify_projector.shadow import create_secondary_indexes, create_shadow, drop_schema, swap, use_schema

log = logging.getLogger(__name__)
SHADOW = "projection_rebuild"
RETIRED = "projection_retired"


@dataclass
class RebuildReport:
    events: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase, in order
    # The first day the replay held completely (None: the log held everything); earlier days'
    # facts and job counts were kept from the live tables.
    horizon: date | None = None
    _mark: float = field(default_factory=time.monotonic, repr=False)

    def phase_done(self, name: str) -> None:
        now = time.monotonic()
        self.phases[name] = now - self._mark
        self._mark = now

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def replayed_topics() -> list[str]:
    """The projector's topics without its retry topic (retries are copies of log records)."""
    return [
        t
        for t in topics.topics_read_by(topics.GROUP_PROJECTOR)
        if t != topics.retry_topic(topics.GROUP_PROJECTOR)
    ]


class Replayer:
    """Reads the projector's topics from the start, without a consumer group, up to given offsets."""

    def __init__(self, settings: CommonSettings, batch_size: int) -> None:
        self._names = TopicNames(settings.kafka_topic_prefix)
        self._batch_size = batch_size
        self._connection = connection_options(settings)
        self._consumer = AIOKafkaConsumer(
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            **connection_options(settings),
        )

    async def start(self, partitions: list[TopicPartition] | None = None) -> None:
        """Assign ``partitions`` (default: every partition of the replayed topics) from the start."""
        await self._consumer.start()
        assigned = partitions if partitions is not None else await self._partitions()
        self._consumer.assign(assigned)
        await self._consumer.seek_to_beginning(*assigned)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def _partitions(self) -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(**self._connection)
        await admin.start()
        try:
            described = await admin.describe_topics([self._names.physical(t) for t in replayed_topics()])
        finally:
            await admin.close()
        return sorted(
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in topic["partitions"]
        )

    async def end_offsets(self) -> dict[TopicPartition, int]:
        return dict(await self._consumer.end_offsets(list(self._consumer.assignment())))

    async def beginning_offsets(self) -> dict[TopicPartition, int]:
        return dict(await self._consumer.beginning_offsets(list(self._consumer.assignment())))

    def seek(self, offsets: dict[TopicPartition, int]) -> None:
        """Continue from ``offsets`` (after others replayed the records before them)."""
        for tp, offset in offsets.items():
            self._consumer.seek(tp, offset)

    async def stream(self, until: dict[TopicPartition, int]) -> AsyncIterator[list[Event]]:
        """Everything before ``until``, as batches of decoded events."""
        async for values in self.records(until):
            batch: list[Event] = []
            for value in values:
                try:
                    batch.append(codec.decode(value))
                except ValueError:
                    log.warning("undecodable record skipped")
            if batch:
                yield batch

    async def records(self, until: dict[TopicPartition, int]) -> AsyncIterator[list[bytes]]:
        """Everything before ``until``, as batches of record values."""
        pending = {tp for tp, end in until.items() if await self._consumer.position(tp) < end}
        for tp in until:
            if tp in pending:
                self._consumer.resume(tp)
            else:
                self._consumer.pause(tp)
        while pending:
            fetched = await self._consumer.getmany(timeout_ms=1000, max_records=self._batch_size)
            batch: list[bytes] = []
            for tp, records in fetched.items():
                end = until[tp]
                for record in records:
                    if record.offset >= end:
                        break
                    batch.append(record.value or b"")
                if await self._consumer.position(tp) >= end:
                    if records and records[-1].offset >= end:
                        self._consumer.seek(tp, end)
                    self._consumer.pause(tp)
                    pending.discard(tp)
            if batch:
                yield batch


async def _apply_in(conn: AsyncConnection, schema: str, batch: list[Event]) -> None:
    await use_schema(conn, schema)
    await apply(conn, batch)


async def _replay(
    settings: CommonSettings, shares: list[bulk.Share], batch_size: int, db: AsyncEngine
) -> int:
    """Replay every share, each in a process of its own (decoding is CPU-bound; forked, so the
    workers start at once with everything imported; they touch none of this process's
    connections and leave with ``os._exit``); a single share runs in this process. Returns the
    number of events read."""
    if len(shares) <= 1:
        return sum(
            [await bulk.replay_share(settings, s, 0, 1, batch_size, schema=SHADOW, engine=db) for s in shares]
        )
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(len(shares), mp_context=multiprocessing.get_context("fork")) as pool:
        counts = await asyncio.gather(
            *(
                loop.run_in_executor(pool, bulk.run_worker, settings, share, i, len(shares), batch_size)
                for i, share in enumerate(shares)
            )
        )
    return sum(counts)


async def rebuild(
    settings: CommonSettings,
    *,
    batch_size: int = 20_000,
    retention_days: int = 7,
    engine: AsyncEngine | None = None,
    workers: int = 2,
) -> RebuildReport:
    own_engine = engine is None
    db = engine or create_engine(settings, pool_size=2)
    report = RebuildReport()
    started = time.monotonic()
    replayer = Replayer(settings, batch_size)
    try:
        await replayer.start()
        async with db.begin() as conn:
            await create_shadow(conn, SHADOW, secondary_indexes=False)
            await bulk.create_staging(conn)
        report.phase_done("setup")
        # Replay: bulk-loaded by worker processes, merged set-based (bulk.py).
        ends = await replayer.end_offsets()
        begins = await replayer.beginning_offsets()
        report.horizon = await replay_horizon(settings, begins, ends)
        shares = bulk.share_out({tp: (begins[tp], end) for tp, end in ends.items()}, max(1, workers))
        report.events += await _replay(settings, shares, batch_size, db)
        report.phase_done("load")
        async with db.begin() as conn:
            await bulk.merge(conn, SHADOW)
        report.phase_done("merge")
        replayer.seek(ends)
        log.info("rebuild phase done", extra={"phase": "replay", "events": report.events})
        async with db.begin() as conn:
            await create_secondary_indexes(conn, SHADOW)
        report.phase_done("indexes")
        # Catch-up: what arrived meanwhile, through the live projector's own apply.
        async for batch in replayer.stream(await replayer.end_offsets()):
            async with db.begin() as conn:
                await _apply_in(conn, SHADOW, batch)
            report.events += len(batch)
        log.info("rebuild phase done", extra={"phase": "catch-up", "events": report.events})
        report.phase_done("catch-up")
        # The log keeps what the views may not: apply retention before the tables go live.
        async with db.begin() as conn:
            await use_schema(conn, SHADOW)
            while await purge(conn, retention_days, 50_000) == 50_000:
                pass
        report.phase_done("retention")
        # What the log no longer holds: facts and job counts before the horizon, and the like.
        async with db.begin() as conn:
            kept = await preserve_before(conn, SHADOW, report.horizon)
        log.info("rebuild kept from the live tables", extra={"horizon": str(report.horizon), **kept})
        report.phase_done("preserve")
        async with db.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PROJECTION_LOCK})
            async for batch in replayer.stream(await replayer.end_offsets()):
                await _apply_in(conn, SHADOW, batch)
                report.events += len(batch)
            await conn.execute(text("SET LOCAL search_path TO public"))
            await swap(conn, SHADOW, RETIRED)
        async with db.begin() as conn:
            await drop_schema(conn, RETIRED)
        report.phase_done("swap")
    finally:
        await replayer.stop()
        if own_engine:
            await db.dispose()
    report.seconds = time.monotonic() - started
    log.info(
        "rebuild swapped in",
        extra={
            "events": report.events,
            "seconds": round(report.seconds, 2),
            "rate": int(report.events_per_second),
        },
    )
    return report


def main(settings: CommonSettings) -> int:
    from notify_common.logs import configure_logging

    configure_logging("projector-rebuild", settings.log_level)
    days = getattr(settings, "retention_default_days", 7)
    workers = getattr(settings, "rebuild_workers", 2)
    report = asyncio.run(rebuild(settings, retention_days=days, workers=workers))
    print(f"rebuilt from {report.events} events in {report.seconds:.1f} s ({report.events_per_second:.0f}/s)")
    return 0
