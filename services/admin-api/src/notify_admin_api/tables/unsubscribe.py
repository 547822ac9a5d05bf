"""The console's unsubscribe request reports (migration 0019): ``unsubscribe_request_reports``
and ``unsubscribe_request_report_items``, each report grouping the requests that had no report when
it was made, and whether the service has processed it. The requests themselves,
``unsubscribe_requests``, are the projector's; the admin-api reads them through the read contract
``projection_unsubscribe_requests``.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, Table, text
from sqlalchemy.dialects.postgresql import UUID

from notify_admin_api.tables import metadata
from notify_common.db.shapes import TS

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
