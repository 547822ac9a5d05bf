"""The rebuild's bulk load: the same views as ``projection.apply``, computed set-based.

During a rebuild the shadow tables have one writer and nobody reads them, so the per-batch work
of the live projector (placeholders, row locks, ``RETURNING`` and the difference of aggregate
contributions) is not needed. Instead:

1. Worker processes (the replay is CPU-bound Python: Kafka records, Avro) each read a share of the
   partitions, decode with ``codec.decode_record`` (no event objects for notification events) and
   stream one row per notification event, unfolded, with binary ``COPY`` into two unlogged staging
   tables; jobs, inbound texts, complaints, callback attempts and provider references (a few
   percent of the log) go straight into the shadow tables through the projection's own statements.
2. ``merge`` folds the staging tables into ``notifications`` with one ``INSERT … SELECT``: the
   merge rules of ``evolve.py`` as aggregates (earliest ``sent_at``, largest ``billable_units``,
   …) and ``DISTINCT ON`` for the winning status (highest rank; among final statuses the earliest,
   then the smaller name; otherwise the first seen, as the live projector keeps the stored one),
   then lists the notifications left in flight in ``notifications_in_flight``.
3. ``aggregate`` computes the job counts and the three daily fact tables once from the merged
   ``notifications`` with ``GROUP BY`` (the rules of ``contributions.py``); from then on the
   shadow tables are exactly what the live projector keeps, and the catch-up uses ``apply``.

Sessions run with ``synchronous_commit = off``: a crash only loses a rebuild that is started again.
The SQL is assembled from constant column lists and status sets only (hence S608).
"""

# ruff: noqa: S608

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from aiokafka import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common import codec, statuses
from notify_common.db import create_engine
from notify_common.events import (
    EmailRequested,
    Event,
    LetterRequested,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
    SmsRequested,
)
from notify_common.settings import CommonSettings
from notify_projector import contributions as c
from notify_projector import sql
from notify_projector.evolve import NIL_ID
from notify_projector.projection import apply_jobs, insert_once, once_rows
from notify_projector.shadow import use_schema
from notify_projector.tables import NO_JOB

log = logging.getLogger(__name__)
STAGE = "projection_staging"

REQUEST_STAGE: sql.Cols = (
    ("id", "text"),
    ("service_id", "text"),
    ("template_id", "text"),
    ("template_version", "int4"),
    ("notification_type", "text"),
    ("key_type", "text"),
    ("api_key_id", "text"),
    ("job_id", "text"),
    ("job_row_number", "int4"),
    ("recipient", "text"),
    ("address", "text"),
    ("client_reference", "text"),
    ("body", "text"),
    ("subject", "text"),
    ("postage", "text"),
    ("international", "bool"),
    ("rate_multiplier", "int4"),
    ("created_at", "int8"),
    ("recipient_as_sent", "text"),
    ("one_click_unsubscribe_url", "text"),
    ("scheduled_for", "int8"),
    ("language", "text"),
    ("billable_units", "int4"),
    ("occurred_at", "int8"),
    ("seq", "int8"),
)
STATUS_STAGE: sql.Cols = (
    ("id", "text"),
    ("service_id", "text"),
    ("status", "text"),
    ("status_at", "int8"),
    ("completed_at", "int8"),
    ("failure_reason", "text"),
    ("sent_at", "int8"),
    ("sent_by", "text"),
    ("billable_units", "int4"),
    ("occurred_at", "int8"),
    ("seq", "int8"),
)


def _columns(cols: sql.Cols) -> str:
    return ", ".join(f"{name} {type_}" for name, type_ in cols)


async def create_staging(conn: AsyncConnection) -> None:
    await conn.execute(text(f"DROP SCHEMA IF EXISTS {STAGE} CASCADE"))
    await conn.execute(text(f"CREATE SCHEMA {STAGE}"))
    await conn.execute(text(f"CREATE UNLOGGED TABLE {STAGE}.requests ({_columns(REQUEST_STAGE)})"))
    await conn.execute(text(f"CREATE UNLOGGED TABLE {STAGE}.statuses ({_columns(STATUS_STAGE)})"))


async def drop_staging(conn: AsyncConnection) -> None:
    await conn.execute(text(f"DROP SCHEMA IF EXISTS {STAGE} CASCADE"))


# ---- rows ------------------------------------------------------------------------------------

Row = tuple[Any, ...]
_FAILED = statuses.FAILURE_KIND_TO_STATUS
_SENT, _SENDING, _PENDING, _DELIVERED = statuses.SENT, statuses.SENDING, statuses.PENDING, statuses.DELIVERED


class Staged:
    """One batch's worth of staging rows and of the few events written the ordinary way."""

    __slots__ = ("events", "others", "refs", "requests", "statuses")

    def __init__(self) -> None:
        self.requests: list[Row] = []
        self.statuses: list[Row] = []
        self.refs: dict[str, dict[str, Any]] = {}
        self.others: list[Event] = []
        self.events = 0


def stage(values: Iterable[bytes], seq: int, step: int) -> tuple[Staged, int]:
    """Staging rows for the records ``values``; ``seq`` numbers the rows (advancing by ``step``, so
    workers number theirs apart). Returns the batch and the next ``seq``."""
    out = Staged()
    requests, states = out.requests, out.statuses
    for value in values:
        try:
            kind, r = codec.decode_record(value, raw_timestamps=True)
        except ValueError:
            log.warning("undecodable record skipped")
            continue
        out.events += 1
        nid = r.get("notification_id")
        if kind is NotificationSentToProvider:
            if nid is None:
                continue
            at, sent_at = r["occurred_at"], r["sent_at"]
            if r["international"] and r["channel"] == "sms":
                states.append((nid, r["service_id"], _SENT, sent_at, sent_at, None, sent_at,
                               r["provider"], r["billable_units"], at, seq))  # fmt: skip
            else:
                states.append((nid, r["service_id"], _SENDING, at, None, None, sent_at,
                               r["provider"], r["billable_units"], at, seq))  # fmt: skip
            reference = r["provider_reference"]
            if reference and reference != nid and reference not in out.refs:
                out.refs[reference] = {
                    "reference": reference,
                    "provider": r["provider"],
                    "notification_id": nid,
                    "service_id": r["service_id"],
                }
        elif kind is NotificationDelivered:
            if nid is None:
                continue
            done = r["delivered_at"]
            states.append(
                (nid, r["service_id"], _DELIVERED, done, done, None, None, None, 0, r["occurred_at"], seq)
            )
        elif kind is NotificationFailed:
            if nid is None:
                continue
            done = r["failed_at"]
            states.append((nid, r["service_id"], _FAILED[r["failure_kind"]], done, done, r["reason"],
                           None, None, 0, r["occurred_at"], seq))  # fmt: skip
        elif kind is NotificationPending:
            if nid is None:
                continue
            at = r["occurred_at"]
            states.append((nid, r["service_id"], _PENDING, at, None, None, None, None, 0, at, seq))
        elif kind is SmsRequested or kind is EmailRequested or kind is LetterRequested:
            if nid is None:
                continue
            requests.append(_request_row(kind, r, seq))
        else:
            out.others.append(codec.decode(value))
        seq += step
    return out, seq


def _request_row(kind: type[Event], r: dict[str, Any], seq: int) -> Row:
    """The columns ``evolve.request_columns`` gives, plus the patch's units and event time."""
    address, subject, postage, international, multiplier, units = None, None, None, False, 1, 0
    as_sent, unsubscribe = None, None
    if kind is SmsRequested:
        channel, recipient, as_sent = "sms", r["phone_number"], r["phone_number_as_sent"]
        international, multiplier, units = r["international"], r["rate_multiplier"], r["fragment_count"]
    elif kind is EmailRequested:
        channel, recipient, subject = "email", r["email_address"], r["subject"]
        as_sent, unsubscribe = r["email_address_as_sent"], r["one_click_unsubscribe_url"]
    else:
        channel, recipient, subject, postage = "letter", None, r["subject"], r["postage"]
        address = orjson.dumps(list(r["address_lines"])).decode()
    return (
        r["notification_id"], r["service_id"], r["template_id"], r["template_version"], channel,
        r["key_type"], r["api_key_id"], r["job_id"], r["job_row_number"], recipient, address,
        r["client_reference"], r["body"], subject, postage, international, multiplier, r["created_at"],
        as_sent, unsubscribe, r["scheduled_for"], r.get("language"), units, r["occurred_at"], seq,
    )  # fmt: skip


# ---- writing a batch -------------------------------------------------------------------------


async def _copy(conn: AsyncConnection, table: str, cols: sql.Cols, rows: Sequence[Row]) -> None:
    if not rows:
        return
    raw = await conn.get_raw_connection()
    pg: Any = raw.driver_connection
    names = ", ".join(name for name, _ in cols)
    async with (
        pg.cursor() as cursor,
        cursor.copy(f"COPY {STAGE}.{table} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types([type_ for _, type_ in cols])
        for row in rows:
            await copy.write_row(row)


async def write(conn: AsyncConnection, schema: str, batch: Staged) -> None:
    """Within the caller's transaction: stage the batch's notification rows and apply the rest."""
    await use_schema(conn, schema)
    await conn.execute(text("SET LOCAL synchronous_commit TO off"))
    await _copy(conn, "requests", REQUEST_STAGE, batch.requests)
    await _copy(conn, "statuses", STATUS_STAGE, batch.statuses)
    await apply_jobs(conn, batch.others)
    once = once_rows(batch.others)
    once["refs"] = [batch.refs[k] for k in sorted(batch.refs)]  # others hold no send events
    await insert_once(conn, once)


# ---- workers ---------------------------------------------------------------------------------

Share = list[tuple[str, int, int]]  # (physical topic, partition, end offset)


def share_out(ends: dict[TopicPartition, tuple[int, int]], workers: int) -> list[Share]:
    """Partitions dealt to ``workers`` by their record counts (largest first, to the lightest)."""
    shares: list[Share] = [[] for _ in range(workers)]
    loads = [0] * workers
    for tp, (begin, end) in sorted(ends.items(), key=lambda item: (item[1][0] - item[1][1], item[0])):
        lightest = loads.index(min(loads))
        shares[lightest].append((tp.topic, tp.partition, end))
        loads[lightest] += end - begin
    return [share for share in shares if share]


def run_worker(settings: CommonSettings, share: Share, worker: int, workers: int, batch_size: int) -> int:
    """Entry point of a worker process: replay ``share`` into the staging and shadow tables."""
    return asyncio.run(replay_share(settings, share, worker, workers, batch_size))


async def replay_share(
    settings: CommonSettings,
    share: Share,
    worker: int,
    workers: int,
    batch_size: int,
    *,
    schema: str = "projection_rebuild",
    engine: AsyncEngine | None = None,
) -> int:
    from notify_projector.rebuild import Replayer

    db = engine or create_engine(settings, pool_size=1)
    replayer = Replayer(settings, batch_size)
    queue: asyncio.Queue[Staged | None] = asyncio.Queue(maxsize=2)

    async def writer() -> None:
        # Overlaps the database's work on one batch with the fetch and decode of the next.
        while (batch := await queue.get()) is not None:
            async with db.begin() as conn:
                await write(conn, schema, batch)

    events = 0
    seq = worker
    try:
        await replayer.start([TopicPartition(topic, partition) for topic, partition, _ in share])
        writing = asyncio.create_task(writer())
        try:
            until = {TopicPartition(topic, partition): end for topic, partition, end in share}
            async for values in replayer.records(until):
                batch, seq = stage(values, seq, workers)
                events += batch.events
                await _put(queue, batch, writing)
            await _put(queue, None, writing)
            await writing
        finally:
            writing.cancel()
    finally:
        await replayer.stop()
        if engine is None:
            await db.dispose()
    return events


async def _put(queue: asyncio.Queue[Staged | None], item: Staged | None, writing: asyncio.Task[None]) -> None:
    """Queue ``item`` for the writer, or raise the writer's error if it stopped."""
    put = asyncio.ensure_future(queue.put(item))
    await asyncio.wait({put, writing}, return_when=asyncio.FIRST_COMPLETED)
    if not put.done():
        put.cancel()
        await writing  # raises what stopped the writer
        raise RuntimeError("the rebuild's writer stopped early")


# ---- merge and aggregates --------------------------------------------------------------------

NIL = f"'{NIL_ID}'"
_REQUEST_NAMES = [name for name, _ in sql.REQUEST_COLS]


def _request_value(name: str) -> str:
    if name in ("template_id", "api_key_id", "job_id"):
        return f"CAST(r.{name} AS uuid)"
    if name == "address":
        return "CAST(r.address AS jsonb)"
    if name == "international":
        return "COALESCE(r.international, false)"
    if name == "rate_multiplier":
        return "COALESCE(r.rate_multiplier, 1)"
    if name in ("created_at", "scheduled_for"):
        return _ts(f"r.{name}")
    return f"r.{name}"


def _ts(micros: str) -> str:
    """A staged time (microseconds since the Unix epoch, as Avro has it) as a ``timestamptz``."""
    return f"(TIMESTAMPTZ 'epoch' + {micros} * INTERVAL '1 microsecond')"


MERGE_NOTIFICATIONS = text(f"""
WITH p AS (
    SELECT CAST(id AS uuid) AS id, service_id, status, notify_status_rank(status) AS rank, status_at,
        completed_at, failure_reason, sent_at, sent_by, billable_units, occurred_at AS updated_at,
        occurred_at, seq
    FROM {STAGE}.statuses
    UNION ALL
    SELECT CAST(id AS uuid), service_id, '{statuses.CREATED}', notify_status_rank('{statuses.CREATED}'),
        occurred_at, NULL, NULL, NULL, NULL, billable_units, NULL, occurred_at, seq
    FROM {STAGE}.requests
), a AS (
    SELECT id, COALESCE(min(service_id) FILTER (WHERE service_id <> {NIL}), {NIL}) AS service_id,
        min(sent_at) AS sent_at, min(sent_by) AS sent_by, max(billable_units) AS billable_units,
        max(updated_at) AS updated_at, max(occurred_at) AS last_event_at
    FROM p GROUP BY id
), w AS (
    SELECT DISTINCT ON (id) id, status, status_at, completed_at, failure_reason
    FROM p
    ORDER BY id, rank DESC,
        CASE WHEN rank >= {statuses.FINAL_RANK} THEN status_at END,
        CASE WHEN rank >= {statuses.FINAL_RANK} THEN status END,
        seq
), r AS (
    SELECT DISTINCT ON (CAST(id AS uuid)) * FROM {STAGE}.requests ORDER BY CAST(id AS uuid), seq
)
INSERT INTO notifications (id, service_id, {", ".join(_REQUEST_NAMES)}, status, status_at, completed_at,
    failure_reason, sent_at, sent_by, billable_units, updated_at, last_event_at)
SELECT a.id, CAST(a.service_id AS uuid), {", ".join(_request_value(n) for n in _REQUEST_NAMES)},
    w.status, {_ts("w.status_at")}, {_ts("w.completed_at")}, w.failure_reason, {_ts("a.sent_at")}, a.sent_by,
    a.billable_units, {_ts("a.updated_at")}, {_ts("a.last_event_at")}
FROM a JOIN w ON w.id = a.id LEFT JOIN r ON CAST(r.id AS uuid) = a.id
ORDER BY a.id
""")


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


_COUNTED = "created_at IS NOT NULL AND template_id IS NOT NULL"
_DAY = "CAST(created_at AT TIME ZONE 'Europe/London' AS date)"
_BILLABLE = " OR ".join(
    f"(notification_type = '{kind}' AND status IN {_in(s)})" for kind, s in c.BILLABLE.items()
)

AGGREGATE = (
    text(f"""
INSERT INTO jobs (id, notifications_requested, notifications_sent, notifications_delivered,
    notifications_failed)
SELECT job_id, count(*), count(*) FILTER (WHERE status IN {_in(c.SENT)}),
    count(*) FILTER (WHERE status IN {_in(c.DELIVERED)}), count(*) FILTER (WHERE status IN {_in(c.FAILED)})
FROM notifications WHERE {_COUNTED} AND job_id IS NOT NULL GROUP BY job_id
ON CONFLICT (id) DO UPDATE SET
    notifications_requested = jobs.notifications_requested + EXCLUDED.notifications_requested,
    notifications_sent = jobs.notifications_sent + EXCLUDED.notifications_sent,
    notifications_delivered = jobs.notifications_delivered + EXCLUDED.notifications_delivered,
    notifications_failed = jobs.notifications_failed + EXCLUDED.notifications_failed
"""),
    text(f"""
INSERT INTO ft_notification_status (bst_date, template_id, service_id, job_id, notification_type, key_type,
    notification_status, notification_count)
SELECT {_DAY}, template_id, service_id, COALESCE(job_id, CAST('{NO_JOB}' AS uuid)), notification_type,
    key_type, status, count(*)
FROM notifications WHERE {_COUNTED} GROUP BY 1, 2, 3, 4, 5, 6, 7
"""),
    text(f"""
INSERT INTO ft_billing (bst_date, template_id, service_id, notification_type, provider, rate_multiplier,
    international, postage, billable_units, notifications_sent)
SELECT {_DAY}, template_id, service_id, notification_type, COALESCE(sent_by, ''), rate_multiplier,
    international, COALESCE(postage, ''), sum(billable_units), count(*)
FROM notifications WHERE {_COUNTED} AND key_type <> 'test' AND ({_BILLABLE})
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""),
    text(f"""
INSERT INTO ft_processing_time (bst_date, messages_total, messages_within_10_secs)
SELECT {_DAY}, count(*),
    count(*) FILTER (WHERE sent_at IS NOT NULL AND sent_at - created_at <= interval '10 seconds')
FROM notifications
WHERE {_COUNTED} AND job_id IS NULL AND api_key_id IS NOT NULL AND key_type <> 'test'
    AND notification_type <> 'letter'
GROUP BY 1
"""),
)


async def merge(conn: AsyncConnection, schema: str) -> None:
    """Within the caller's transaction: fold the staging tables into the (empty) shadow
    ``notifications``, then compute the job counts and the daily facts from it."""
    await use_schema(conn, schema)
    await conn.execute(text("SET LOCAL synchronous_commit TO off"))
    await conn.execute(text("SET LOCAL work_mem TO '256MB'"))
    await conn.execute(MERGE_NOTIFICATIONS)
    await conn.execute(sql.FILL_IN_FLIGHT)
    for statement in AGGREGATE:
        await conn.execute(statement)
    await drop_staging(conn)
