"""The api-gateway's tables, on a ``MetaData`` of its own:

* ``scheduled_notifications`` (migration 0002): notifications accepted with ``scheduled_for``, held
  here (durably) by the api-gateway until the job-splitter publishes them at their time (the
  job-splitter reads them through the read contract ``held_sends`` and records each release in its
  own ``scheduled_releases``; ``published_at`` here is no longer written).
* ``legacy_alpha_jobs`` (migration 0006): the legacy alpha API's integer ``jobId`` and the job id
  (a UUID) its notifications carry in their events (docs/legacy-alpha.md). An alpha job has no
  file; its progress is the ``jobs`` projection's.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notify_common.db.shapes import TS

metadata = MetaData()

ID = UUID(as_uuid=False)

scheduled_notifications = Table(
    "scheduled_notifications",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),  # the notification id
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("key_type", String(16), nullable=False),
    Column("topic", String(255), nullable=False),  # logical topic name
    Column("payload", LargeBinary, nullable=False),  # the encoded *Requested event
    Column("presented", JSONB, nullable=False),  # what GET shows until the projection has it
    Column("scheduled_for", TS, nullable=False),
    Column("published_at", TS, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)
Index(
    "ix_scheduled_notifications_due",
    scheduled_notifications.c.scheduled_for,
    postgresql_where=scheduled_notifications.c.published_at.is_(None),
)

legacy_alpha_jobs = Table(
    "legacy_alpha_jobs",
    metadata,
    Column("id", BigInteger, Identity(start=1), primary_key=True),
    Column("job_id", ID, nullable=False, unique=True),
    # The database holds migration 0006's foreign key to the admin-api's ``services``; it is not
    # declared here, where the admin-api's tables are not.
    Column("service_id", ID, nullable=False, index=True),
    Column("description", Text, nullable=True),
    Column("created_at", TS, nullable=False, server_default=text("now()")),
)
