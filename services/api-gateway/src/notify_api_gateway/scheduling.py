"""``scheduled_for`` honoured (beyond Notify, which validates it and ignores it).

A single send with a ``scheduled_for`` in the future is accepted durably by writing its encoded
event to ``scheduled_notifications`` in PostgreSQL (the 201 follows the commit), with the row GET
shows until the projection has it. The job-splitter publishes it when its time comes
(``notify_job_splitter.scheduled_sends``); this service only holds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_api_gateway.recent import encode_row
from notify_api_gateway.tables import scheduled_notifications
from notify_common import codec
from notify_common.events import NotificationRequested


class HeldSends:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def hold(self, items: list[tuple[str, NotificationRequested, dict[str, Any], datetime]]) -> None:
        """Store (topic, event, presented row, when) durably until ``when``."""
        rows = [
            {
                "id": event.notification_id,
                "service_id": event.service_id,
                "key_type": event.key_type,
                "topic": topic,
                "payload": codec.encode(event),
                "presented": orjson.loads(encode_row(row)),
                "scheduled_for": when,
            }
            for topic, event, row, when in items
        ]
        async with self._engine.begin() as conn:
            await conn.execute(insert(scheduled_notifications), rows)
