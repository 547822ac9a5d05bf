"""Reads of what has been sent: the ``notifications`` projection, notifications still held for
their ``scheduled_for`` time, and received text messages (``inbound_sms``).

Every read is scoped to the caller's service and to its key type's visibility: notifications sent
with a test key are seen only with a test key, and the others only with a live or team key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify_api_gateway.tables import scheduled_notifications
from notify_common.db.contracts import projection_inbound_sms as inbound_sms
from notify_common.db.contracts import projection_notifications as notifications
from notify_common.statuses import internal_statuses

PAGE_SIZE = 250


@dataclass(frozen=True)
class ListFilter:
    template_types: list[str]
    statuses: list[str]  # public words, as given
    reference: str | None
    older_than: str | None
    include_jobs: bool


def _visible_to(key_type: str) -> ColumnElement[bool]:
    if key_type == "test":
        return notifications.c.key_type == "test"
    return or_(notifications.c.key_type != "test", notifications.c.key_type.is_(None))


def _listable(service_id: str, key_type: str, retention_days: int) -> list[ColumnElement[bool]]:
    """The service's notifications its key type may list: accepted, within retention, visible."""
    return [
        notifications.c.service_id == service_id,
        notifications.c.created_at.is_not(None),
        notifications.c.created_at >= datetime.now(UTC) - timedelta(days=retention_days),
        _visible_to(key_type),
    ]


class NotificationReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def notification(
        self, service_id: str, notification_id: str, key_type: str
    ) -> dict[str, Any] | None:
        query = select(notifications).where(
            and_(
                notifications.c.id == notification_id,
                notifications.c.service_id == service_id,
                notifications.c.created_at.is_not(None),
                _visible_to(key_type),
            )
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return dict(row) if row else None

    async def scheduled(self, service_id: str, notification_id: str, key_type: str) -> dict[str, Any] | None:
        """What GET shows for a notification still held for its time (or just released)."""
        query = select(scheduled_notifications.c.presented, scheduled_notifications.c.key_type).where(
            and_(
                scheduled_notifications.c.id == notification_id,
                scheduled_notifications.c.service_id == service_id,
            )
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None or (row.key_type == "test") != (key_type == "test"):
            return None
        presented: dict[str, Any] = row.presented
        return presented

    async def page(
        self, service_id: str, key_type: str, filters: ListFilter, retention_days: int
    ) -> list[dict[str, Any]]:
        conditions = _listable(service_id, key_type, retention_days)
        if filters.template_types:
            conditions.append(notifications.c.notification_type.in_(filters.template_types))
        if filters.statuses:
            conditions.append(notifications.c.status.in_(internal_statuses(filters.statuses)))
        if filters.reference is not None:
            conditions.append(notifications.c.client_reference == filters.reference)
        if not filters.include_jobs:
            conditions.append(notifications.c.job_id.is_(None))
        pivot_conditions = [notifications.c.service_id == service_id, notifications.c.created_at.is_not(None)]
        async with self.engine.connect() as conn:
            return await _newest(conn, notifications, conditions, filters.older_than, pivot_conditions)

    async def numbered_page(
        self, service_id: str, key_type: str, number: int, size: int, retention_days: int
    ) -> list[dict[str, Any]]:
        """Page ``number`` (from 1) of ``size`` notifications, newest first, jobs' included: the
        beta API's paging."""
        query = (
            select(notifications)
            .where(*_listable(service_id, key_type, retention_days))
            .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
            .offset((number - 1) * size)
            .limit(size)
        )
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings().all()]

    async def received_texts(
        self, service_id: str, older_than: str | None, retention_days: int
    ) -> list[dict[str, Any]]:
        conditions = [
            inbound_sms.c.service_id == service_id,
            inbound_sms.c.created_at >= datetime.now(UTC) - timedelta(days=retention_days),
        ]
        async with self.engine.connect() as conn:
            return await _newest(
                conn, inbound_sms, conditions, older_than, [inbound_sms.c.service_id == service_id]
            )


async def _newest(
    conn: AsyncConnection,
    table: Table,
    conditions: list[ColumnElement[bool]],
    older_than: str | None,
    pivot_conditions: list[ColumnElement[bool]],
) -> list[dict[str, Any]]:
    """A page of ``table``'s rows meeting ``conditions``, newest first; with ``older_than`` (the id of
    a row meeting ``pivot_conditions``), those after that row, and none if there is no such row."""
    if older_than is not None:
        pivot = (
            await conn.execute(select(table.c.created_at).where(table.c.id == older_than, *pivot_conditions))
        ).first()
        if pivot is None:
            return []
        after = tuple_(table.c.created_at, table.c.id) < tuple_(
            literal(pivot.created_at), literal(older_than, table.c.id.type)
        )
        conditions = [*conditions, after]
    query = (
        select(table)
        .where(and_(*conditions))
        .order_by(table.c.created_at.desc(), table.c.id.desc())
        .limit(PAGE_SIZE)
    )
    rows = (await conn.execute(query)).mappings().all()
    return [dict(r) for r in rows]
