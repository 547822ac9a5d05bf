"""What a rebuild cannot recompute, because the log no longer holds it, and keeping it anyway.

The topics that carry personal data keep records for ``topics.PERSONAL_DATA_RETENTION`` (the
maximum service retention plus a margin), so a rebuild replays only that window of the log. The
views' personal data is gone by then anyway (retention), but the anonymised aggregates of older
days are not, and must survive a rebuild:

* **The horizon** is the first London day the replay holds completely: the day after the latest
  "first retained event" over the truncated partitions of the topics notifications are built from
  (the request lanes and the status topic). A partition that lost every record gives the time its
  topic's retention reaches back to (everything it lost was older). Nothing truncated: no horizon.
* **Before the swap**, days before the horizon are taken from the live tables: the three daily
  fact tables (the shadow's partial rows for those days are replaced), and the progress counts of
  jobs created before the horizon (their notifications are no longer in the log). Complaints and
  callback attempts are written once and never change, so live rows missing from the shadow
  (their events left the log) are copied as they are. None of these hold personal data.

Days from the horizon on come from the replay, so a rebuild still corrects them.

The SQL is assembled from constant table and column names only (hence S608).
"""

# ruff: noqa: S608

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from notify_common import codec, topics
from notify_common.kafka import TopicNames, connection_options
from notify_common.settings import CommonSettings
from notify_projector.shadow import LIVE

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")

# The topics the notification rows (and so the facts and job counts) are built from.
NOTIFICATION_TOPICS = frozenset(
    {*(name for lanes in topics.REQUESTED_TOPICS.values() for name in lanes), topics.NOTIFICATION_STATUS}
)
FACT_TABLES = ("ft_notification_status", "ft_billing", "ft_processing_time")
JOB_COUNTS = (
    "notifications_requested",
    "notifications_sent",
    "notifications_delivered",
    "notifications_failed",
)
WRITTEN_ONCE = (("complaints", "id"), ("callback_attempts", "event_id"))


def first_full_day(complete_from: datetime) -> date:
    """The first London day that lies wholly at or after ``complete_from``."""
    local = complete_from.astimezone(LONDON)
    day = local.date()
    return day if local.timetz().replace(tzinfo=None) == time(0) else day + timedelta(days=1)


def day_start(day: date) -> datetime:
    """London midnight at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=LONDON)


async def replay_horizon(
    settings: CommonSettings,
    begins: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
    *,
    clock: datetime | None = None,
) -> date | None:
    """The first day the replay of ``begins``..``ends`` holds completely, or None if the log still
    holds everything (no partition of the notification topics was truncated)."""
    names = TopicNames(settings.kafka_topic_prefix)
    truncated = sorted(
        tp for tp, begin in begins.items() if begin > 0 and names.logical(tp.topic) in NOTIFICATION_TOPICS
    )
    if not truncated:
        return None
    now = clock or datetime.now(UTC)
    instants: list[datetime] = []
    readable = [tp for tp in truncated if ends.get(tp, 0) > begins[tp]]
    for tp in truncated:
        if tp not in readable:
            retention = topics.TOPICS_BY_NAME[names.logical(tp.topic)].retention_ms
            instants.append(now - timedelta(milliseconds=retention) if retention > 0 else now)
    instants.extend(await _first_event_times(settings, {tp: begins[tp] for tp in readable}))
    return first_full_day(max(instants))


async def _first_event_times(settings: CommonSettings, begins: dict[TopicPartition, int]) -> list[datetime]:
    """The time of the first retained event of each partition (the record's own time if the
    record cannot be decoded)."""
    if not begins:
        return []
    consumer = AIOKafkaConsumer(enable_auto_commit=False, isolation_level="read_committed",
                                **connection_options(settings))  # fmt: skip
    found: dict[TopicPartition, datetime] = {}
    await consumer.start()
    try:
        consumer.assign(list(begins))
        for tp, offset in begins.items():
            consumer.seek(tp, offset)
        async with asyncio.timeout(30):
            while len(found) < len(begins):
                fetched = await consumer.getmany(timeout_ms=1000, max_records=len(begins))
                for tp, records in fetched.items():
                    if records and tp not in found:
                        found[tp] = _event_time(records[0].value or b"", records[0].timestamp)
                        consumer.pause(tp)
    finally:
        await consumer.stop()
    return list(found.values())


def _event_time(value: bytes, record_ms: int) -> datetime:
    try:
        return codec.decode(value).occurred_at
    except ValueError:
        return datetime.fromtimestamp(record_ms / 1000, UTC)


def _columns(names: Iterable[str]) -> str:
    return ", ".join(names)


async def preserve_before(conn: AsyncConnection, shadow: str, horizon: date | None) -> dict[str, int]:
    """Within the caller's transaction: put into the ``shadow`` tables what the live ones hold and
    the replay could not rebuild (see the module docstring). Returns rows written per table."""
    written: dict[str, int] = {}
    for table, key in WRITTEN_ONCE:
        result = await conn.execute(
            text(f"INSERT INTO {shadow}.{table} SELECT * FROM {LIVE}.{table} ON CONFLICT ({key}) DO NOTHING")
        )
        written[table] = result.rowcount
    if horizon is None:
        return written
    params = {"day": horizon, "start": day_start(horizon)}
    for table in FACT_TABLES:
        await conn.execute(text(f"DELETE FROM {shadow}.{table} WHERE bst_date < :day"), params)
        result = await conn.execute(
            text(f"INSERT INTO {shadow}.{table} SELECT * FROM {LIVE}.{table} WHERE bst_date < :day"), params
        )
        written[table] = result.rowcount
    old_jobs = f"SELECT * FROM {LIVE}.jobs WHERE created_at < :start"
    await conn.execute(text(f"INSERT INTO {shadow}.jobs {old_jobs} ON CONFLICT (id) DO NOTHING"), params)
    counts = ", ".join(f"{c} = l.{c}" for c in JOB_COUNTS)
    result = await conn.execute(
        text(f"UPDATE {shadow}.jobs s SET {counts} FROM ({old_jobs}) l WHERE l.id = s.id"), params
    )
    written["jobs"] = result.rowcount
    return written
