"""Contact lists and large reports (migration 0025), sharing the admin-api's ``tables.metadata``;
both owned by the admin-api.

* ``contact_lists``: a checked recipients file kept to be sent to again (docs/contact-lists.md):
  its one recipient column's type (``template_type``: ``email`` or ``sms``), how many rows it has,
  where the file is in S3 (``bucket``, ``object_key``), who uploaded it and when it expires (the
  service's retention for that channel). ``archived_at`` is set when it is deleted or has expired,
  and its file removed then.
* ``report_requests``: a report of sent messages built in the background (docs/reports.md): the
  filters it was asked with, its status (``pending``, ``in progress``, ``stored``, ``failed``:
  Notify's words), how far it has got (``rows_done`` of ``row_count``), the S3 object it was
  written to, and until when it can be downloaded. ``claimed_at`` says when a worker last showed
  it was building it, so a request whose worker died is taken up again.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

contact_lists = Table(
    "contact_lists",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("original_file_name", Text, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("template_type", String(16), nullable=False),
    Column("bucket", String(255), nullable=False),
    Column("object_key", Text, nullable=False),
    Column("created_by", Text, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("expires_at", TS, nullable=False),
    Column("archived_at", TS, nullable=True),
)
Index("ix_contact_lists_service", contact_lists.c.service_id, contact_lists.c.created_at)
Index(
    "ix_contact_lists_expires",
    contact_lists.c.expires_at,
    postgresql_where=contact_lists.c.archived_at.is_(None),
)

# A report's statuses, in Notify's words.
REPORT_STATUSES = ("pending", "in progress", "stored", "failed")

report_requests = Table(
    "report_requests",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("user_id", Text, nullable=True),
    Column("report_type", String(32), nullable=False, server_default=text("'notifications_report'")),
    Column("filters", JSONB, nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("row_count", Integer, nullable=True),
    Column("rows_done", Integer, nullable=False, server_default=text("0")),
    Column("bucket", String(255), nullable=True),
    Column("object_key", Text, nullable=True),
    Column("failure", Text, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("claimed_at", TS, nullable=True),
    Column("finished_at", TS, nullable=True),
    Column("expires_at", TS, nullable=True),
)
Index("ix_report_requests_service", report_requests.c.service_id, report_requests.c.created_at)
Index(
    "ix_report_requests_open",
    report_requests.c.created_at,
    postgresql_where=report_requests.c.status.in_(("pending", "in progress")),
)
