"""The receipts service's table, on a ``MetaData`` of its own.

* ``receipt_notifications`` (migration 0016): what each provider was given, learnt from the
  ``NotificationSentToProvider`` events, so that a receipt is published with its service and the
  notification's details. ``recipient`` is personal data (a callback's ``to``); rows go after 92
  days. The receipts service writes it with SQL text (``notify_receipts.sent``).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from notify_common.db.shapes import TS

metadata = MetaData()

receipt_notifications = Table(
    "receipt_notifications",
    metadata,
    Column("notification_id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("provider_reference", String(255)),
    Column("sent_at", TS, nullable=False),
    Column("notification_type", String(16)),
    Column("client_reference", Text),
    Column("recipient", Text),
    Column("template_id", UUID(as_uuid=False)),
    Column("template_version", Integer),
    Column("created_at", TS),
    Column("job_row_number", Integer),
    Column("recorded_at", TS, nullable=False, server_default=text("now()")),
)
Index("ix_receipt_notifications_reference", receipt_notifications.c.provider_reference)
