"""A service's configuration history and its annual sending limits (migration
``0023_audit_limits``), sharing the admin-api's ``tables.metadata``. Both are the admin-api's.

* ``service_history``: one row per change to a service's configuration (docs/audit-history.md),
  written by the admin-api's own consumer of ``notify.service-history``; ``id`` is the event's id,
  so a record delivered twice is stored once. Never pruned: it outlives notification retention,
  and it is no projection, so the projector's rebuild never touches it. ``changes`` is a list of
  ``{"field", "before", "after"}``; a secret's values are never stored, only ``"changed"``.
* ``service_annual_limits``: a service's limit per financial year for each channel
  (docs/limits.md); a service without a row has the platform's defaults.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

ID = UUID(as_uuid=False)

service_history = Table(
    "service_history",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_id", ID, nullable=False),
    Column("occurred_at", TS, nullable=False),
    Column("kind", String(255), nullable=False),
    Column("actor_type", String(16), nullable=False),  # user | admin_token | system
    Column("actor_id", String(255), nullable=False),
    Column("subject_id", String(255), nullable=True),
    Column("changes", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
)
Index("ix_service_history_service_time", service_history.c.service_id, service_history.c.occurred_at)

service_annual_limits = Table(
    "service_annual_limits",
    metadata,
    Column("service_id", ID, ForeignKey("services.id"), primary_key=True),
    Column("sms_annual_limit", BigInteger, nullable=False),
    Column("email_annual_limit", BigInteger, nullable=False),
    Column("letter_annual_limit", BigInteger, nullable=False),
    Column("updated_at", TS, nullable=False, server_default=text("now()")),
)
