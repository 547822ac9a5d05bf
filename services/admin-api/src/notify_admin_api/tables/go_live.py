"""Requests to go live (migration ``0009_go_live``), sharing the admin-api's ``tables.metadata``.

Configuration data written by the admin API's console routes
(the admin-api's ``notify_admin_api.console_integration``): a team asks for its trial-mode service to go
live once its checklist is complete; a platform admin approves the request, which makes the service
live. At most one request per service is pending at a time.

* ``go_live_requests``: who asked and when, the checklist as it stood then, and the decision.
  ``status`` is ``pending`` or ``approved``.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

ID = UUID(as_uuid=False)

go_live_requests = Table(
    "go_live_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_id", ID, ForeignKey("services.id"), nullable=False, index=True),
    Column("requested_by", ID, nullable=True),  # a console user
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("checklist", JSONB, nullable=False),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("decided_by", ID, nullable=True),
    Column("decided_at", TS, nullable=True),
)
Index(
    "uix_go_live_requests_one_pending",
    go_live_requests.c.service_id,
    unique=True,
    postgresql_where=text("status = 'pending'"),
)
