"""The unsubscribe requests and their reports (migration 0019), sharing ``tables.metadata``.

* ``unsubscribe_requests``, owned by the projector: one row per email whose hosted unsubscribe
  link was followed, from the ``UnsubscribeRequested`` events; the projector copies the recipient's
  address from the notification it projected (personal data, never logged), so the event carries
  none. A second request for the same email is not recorded again.
* ``unsubscribe_request_reports`` and ``unsubscribe_request_report_items``, owned by the admin-api:
  the console's reports, each grouping the requests that had no report when it was made, and
  whether the service has processed it.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from notify_common.db.tables import TS, metadata

unsubscribe_requests = Table(
    "unsubscribe_requests",
    metadata,
    Column("notification_id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("template_id", UUID(as_uuid=False)),
    Column("template_version", Integer),
    Column("job_id", UUID(as_uuid=False)),
    Column("email_address", Text),
    Column("notification_sent_at", TS),
    Column("requested_at", TS, nullable=False),
    Column("recorded_at", TS, nullable=False, server_default=text("now()")),
)
Index(
    "ix_unsubscribe_requests_service",
    unsubscribe_requests.c.service_id,
    unsubscribe_requests.c.requested_at,
)

unsubscribe_request_reports = Table(
    "unsubscribe_request_reports",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False, index=True),
    Column("count", Integer, nullable=False),
    Column("earliest_timestamp", TS, nullable=False),
    Column("latest_timestamp", TS, nullable=False),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
    Column("processed_by_service_at", TS),
)

unsubscribe_request_report_items = Table(
    "unsubscribe_request_report_items",
    metadata,
    # A request belongs to at most one report.
    Column("notification_id", UUID(as_uuid=False), primary_key=True),
    Column(
        "report_id",
        UUID(as_uuid=False),
        ForeignKey("unsubscribe_request_reports.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)
