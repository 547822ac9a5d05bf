"""Folds a batch of lifecycle events into the PostgreSQL views, in one transaction.

Per batch: the events are folded into one patch per notification and per job (``evolve``); the
touched notification rows that exist are locked and read, patched with one set-based ``UPDATE``
that returns the new rows, the others are inserted whole (returning them as well), and the
difference of their contributions (``contributions``) is added to the job progress counts and the
daily facts. Inbound texts, complaints, callback attempts and provider references are inserted
once. Every step is idempotent and independent of event order, so a batch may be replayed,
duplicated or reordered and the views still end in the same state; the consumer commits its
offsets only after this transaction commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_common import metrics
from notify_common.events import (
    CallbackAttempted,
    ComplaintReceived,
    Event,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationSentToProvider,
)
from notify_projector import sql
from notify_projector.contributions import deltas
from notify_projector.evolve import (
    NIL_ID,
    JobPatch,
    NotificationPatch,
    fold,
    job_patch,
    notification_patch,
)
from notify_projector.unsubscribes import record_requests

# A row's fields that are null are left out of the batch's JSON: ``json_to_recordset`` reads a
# missing key as null, and a status event's patch, most of the rows, then costs half the bytes to
# build, send and parse (its twenty request columns are all null).
_REQUEST_NAMES = tuple(name for name, _ in sql.REQUEST_COLS)


def _notification_row(patch: NotificationPatch) -> dict[str, Any]:
    request = patch.request
    row: dict[str, Any] = {}
    if request:
        for name in _REQUEST_NAMES:
            value = request.get(name)
            if value is not None:
                row[name] = value
    row["id"] = patch.id
    row["service_id"] = patch.service_id
    row["status"] = patch.status
    row["billable_units"] = patch.billable_units
    for name, value in (
        ("status_at", patch.status_at),
        ("completed_at", patch.completed_at),
        ("failure_reason", patch.failure_reason),
        ("sent_at", patch.sent_at),
        ("sent_by", patch.sent_by),
        ("updated_at", patch.updated_at),
        ("last_event_at", patch.last_event_at),
    ):
        if value is not None:
            row[name] = value
    return row


def _job_row(patch: JobPatch) -> dict[str, Any]:
    request = patch.request or {}
    return {
        "id": patch.id,
        "service_id": patch.service_id if patch.service_id != NIL_ID else None,
        "template_id": request.get("template_id"),
        "template_version": request.get("template_version"),
        "original_file_name": request.get("original_file_name"),
        "created_by": request.get("created_by"),
        "notification_count": request.get("notification_count", 0),
        "scheduled_for": request.get("scheduled_for"),
        "created_at": request.get("created_at"),
        "job_status": patch.status,
        "job_status_at": patch.status_at,
        "rows_emitted": patch.rows_emitted,
        "processing_started": patch.processing_started,
        "processing_finished": patch.processing_finished,
        "updated_at": patch.updated_at,
    }


def once_rows(events: Sequence[Event]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, dict[str, dict[str, Any]]] = {"inbound": {}, "complaints": {}, "attempts": {}, "refs": {}}
    for e in events:
        if isinstance(e, InboundSmsReceived):
            rows["inbound"].setdefault(
                e.inbound_sms_id,
                {
                    "id": e.inbound_sms_id,
                    "service_id": e.service_id,
                    "user_number": e.user_number,
                    "notify_number": e.notify_number,
                    "content": e.content,
                    "provider": e.provider,
                    "provider_reference": e.provider_reference,
                    "created_at": e.received_at,
                },
            )
        elif isinstance(e, ComplaintReceived):
            rows["complaints"].setdefault(
                e.complaint_id,
                {
                    "id": e.complaint_id,
                    "notification_id": e.notification_id,
                    "service_id": e.service_id,
                    "feedback_id": e.feedback_id,
                    "complaint_type": e.complaint_type,
                    "complaint_date": e.complained_at,
                    "created_at": e.occurred_at,
                },
            )
        elif isinstance(e, CallbackAttempted):
            rows["attempts"].setdefault(
                e.event_id,
                {
                    "event_id": e.event_id,
                    "service_id": e.service_id,
                    "notification_id": e.notification_id,
                    "inbound_sms_id": e.inbound_sms_id,
                    "callback_type": str(e.callback_type),
                    "attempt": e.attempt,
                    "outcome": str(e.outcome),
                    "status_code": e.status_code,
                    "duration_ms": e.duration_ms,
                    "reason": e.reason,
                    "occurred_at": e.occurred_at,
                },
            )
        elif (
            isinstance(e, NotificationSentToProvider)
            and e.provider_reference
            and e.provider_reference != e.notification_id
        ):
            rows["refs"].setdefault(
                e.provider_reference,
                {
                    "reference": e.provider_reference,
                    "provider": e.provider,
                    "notification_id": e.notification_id,
                    "service_id": e.service_id,
                },
            )
    return {name: [by_id[k] for k in sorted(by_id)] for name, by_id in rows.items()}


async def _apply_aggregates(conn: AsyncConnection, totals: Mapping[str, Mapping[Any, list[int]]]) -> None:
    for aggregate, by_key in totals.items():
        if not by_key:
            continue
        table, keys, values, zero = sql.AGGREGATES[aggregate]
        ordered = sorted(by_key.items(), key=lambda item: tuple(str(k) for k in item[0]))
        rows = [
            {
                **dict(zip((n for n, _ in keys), key, strict=True)),
                **dict(zip((n for n, _ in values), counts, strict=True)),
            }
            for key, counts in ordered
        ]
        await conn.execute(sql.increment(table, keys, values), sql.arrays((*keys, *values), rows))
        shrinking = [row for row, (_, counts) in zip(rows, ordered, strict=True) if min(counts) < 0]
        if zero is not None and shrinking:
            await conn.execute(sql.delete_empty(table, keys, zero), sql.arrays(keys, shrinking))


async def apply(
    conn: AsyncConnection, events: Sequence[Event], delivered: list[tuple[str, float]] | None = None
) -> int:
    """Project ``events`` inside the caller's transaction; returns how many rows were patched.
    ``delivered`` is given each newly delivered notification's channel and sent-to-delivered seconds."""
    patched = 0
    notification_patches = fold([notification_patch(e) for e in events])
    if notification_patches:
        rows = [_notification_row(notification_patches[k]) for k in sorted(notification_patches)]
        before, after = await write_notifications(conn, rows)
        await _apply_aggregates(conn, deltas(before, after))
        if delivered is not None:
            delivered += metrics.delivered_durations(before, after, delivered_times(events))
        patched += len(rows)
    patched += await apply_jobs(conn, events)
    patched += await insert_once(conn, once_rows(events))
    patched += await record_requests(conn, events)
    return patched


async def write_notifications(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]]
) -> tuple[list[RowMapping], list[RowMapping]]:
    """Merge the patch ``rows`` (sorted by id) into the notifications; returns the contribution
    columns of the touched rows before (existing rows only) and after.

    The rows that exist are locked and read first; the others are inserted whole, so a new
    notification costs one row version and one entry per index rather than an empty row updated
    at once. A row a concurrent projector inserted between the two is locked and updated instead.
    """
    before = list((await conn.execute(sql.LOCK_BEFORE, {"id": [r["id"] for r in rows]})).mappings())
    found = {str(b["id"]) for b in before}
    new = [r for r in rows if r["id"] not in found]
    after: list[RowMapping] = []
    if new:
        after += (await conn.execute(sql.INSERT_NOTIFICATIONS, sql.records(new))).mappings()
        inserted = {str(a["id"]) for a in after}
        raced = [r["id"] for r in new if r["id"] not in inserted]
        if raced:
            before += (await conn.execute(sql.LOCK_BEFORE, {"id": raced})).mappings()
            found.update(raced)
    existing = [r for r in rows if r["id"] in found]
    if existing:
        after += (await conn.execute(sql.UPDATE_NOTIFICATIONS, sql.records(existing))).mappings()
    landed, flying = in_flight_moves(before, after)
    if landed or flying:
        await conn.execute(sql.MOVE_IN_FLIGHT, {"landed": landed, "flying": flying})
    return before, after


def _in_flight(row: Mapping[Any, Any]) -> bool:
    return row["status"] in sql.IN_FLIGHT and row["notification_type"] in sql.TIMED_TYPES


def in_flight_moves(
    before: Sequence[Mapping[Any, Any]], after: Sequence[Mapping[Any, Any]]
) -> tuple[list[str], list[str]]:
    """The ids that left the in-flight set in this batch and those that joined it (sorted), from
    the touched rows before (existing rows only) and after."""
    was = {str(b["id"]) for b in before if _in_flight(b)}
    now = {str(a["id"]) for a in after if _in_flight(a)}
    return sorted(was - now), sorted(now - was)


async def apply_jobs(conn: AsyncConnection, events: Sequence[Event]) -> int:
    """Upsert the jobs the job events of ``events`` patch (not their notification counts)."""
    job_patches = fold([job_patch(e) for e in events])
    if not job_patches:
        return 0
    jobs = [_job_row(job_patches[k]) for k in sorted(job_patches)]
    await conn.execute(sql.UPSERT_JOBS, sql.arrays(sql.JOB_COLS, jobs))
    return len(jobs)


async def insert_once(conn: AsyncConnection, once: Mapping[str, Sequence[Mapping[str, Any]]]) -> int:
    """Insert the rows recorded once (``once_rows``: inbound, complaints, attempts, refs)."""
    inserted = 0
    for name, statement, cols in (
        ("inbound", sql.INSERT_INBOUND, sql.INBOUND_COLS),
        ("complaints", sql.INSERT_COMPLAINTS, sql.COMPLAINT_COLS),
        ("attempts", sql.INSERT_ATTEMPTS, sql.ATTEMPT_COLS),
        ("refs", sql.INSERT_REFERENCES, sql.REFERENCE_COLS),
    ):
        rows = once.get(name)
        if rows:
            await conn.execute(statement, sql.arrays(cols, rows))
            inserted += len(rows)
    return inserted


# Taken shared by every projection batch and exclusively by the rebuild's swap, so the swap
# happens between batches (see rebuild.py).
PROJECTION_LOCK = 0x50524F4A  # "PROJ"


async def project(engine: AsyncEngine, events: Sequence[Event]) -> int:
    """Apply a batch of events to the live views in one transaction."""
    delivered: list[tuple[str, float]] | None = [] if metrics.counting() else None
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": PROJECTION_LOCK})
        patched = await apply(conn, events, delivered)
    for channel, seconds in delivered or ():  # once committed: a batch rolled back and retried counts once
        metrics.delivered_after(channel, seconds)
    return patched


def delivered_times(events: Sequence[Event]) -> dict[str, datetime]:
    """The earliest delivery time of each notification delivered in ``events``."""
    times: dict[str, datetime] = {}
    for e in events:
        if isinstance(e, NotificationDelivered) and e.notification_id is not None:
            seen = times.get(e.notification_id)
            times[e.notification_id] = e.delivered_at if seen is None else min(seen, e.delivered_at)
    return times
