"""The callbacks service's table, on a ``MetaData`` of its own: ``callback_deliveries`` (migration
0004; its last attempt's status and duration since 0030), one row per callback owed to a service,
so a callback is attempted at most five times and sent once.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, text
from sqlalchemy.dialects.postgresql import UUID

from notify_common.db.shapes import TS

metadata = MetaData()

ID = UUID(as_uuid=False)

callback_deliveries = Table(
    "callback_deliveries",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("service_id", ID, nullable=False),
    Column("callback_type", String(32), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_kafka_attempt", Integer, nullable=False, server_default=text("-1")),
    Column("outcome", String(16), nullable=True),
    Column("status_code", Integer, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("updated_at", TS, nullable=False, server_default=text("now()")),
)
