"""The beta's list of notifications: the same ``notifications`` projection v2 reads, numbered pages
(``?page=N``, ``PAGE_SIZE`` a page) instead of v2's ``older_than``. Notifications of jobs are
included (the beta had no ``include_jobs``); key-type visibility and retention are v2's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_api_gateway.legacy.beta import PAGE_SIZE
from notify_common.db.contracts import projection_notifications as notifications


async def page(
    engine: AsyncEngine, service_id: str, key_type: str, number: int, retention_days: int
) -> list[dict[str, Any]]:
    visible = (
        notifications.c.key_type == "test"
        if key_type == "test"
        else or_(notifications.c.key_type != "test", notifications.c.key_type.is_(None))
    )
    query = (
        select(notifications)
        .where(
            and_(
                notifications.c.service_id == service_id,
                notifications.c.created_at.is_not(None),
                notifications.c.created_at >= datetime.now(UTC) - timedelta(days=retention_days),
                visible,
            )
        )
        .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [dict(r) for r in rows]
