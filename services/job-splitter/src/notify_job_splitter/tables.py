"""The job-splitter's tables, on a ``MetaData`` of its own.

* ``job_splitter_jobs``: the job-splitter's durable store of jobs, built from the ``notify.jobs``
  topic (``JobRequested`` inserts, status events move it forward) plus the splitter's progress
  checkpoint ``next_row``: rows ``[0, next_row)`` have been published and acknowledged by Kafka.
  Scheduled jobs wait here until ``due_at``. It is the splitter's working state, not the ``jobs``
  view the projector keeps; replaying the topic rebuilds it.
* ``scheduled_releases``: the job-splitter's record of the held single sends
  (``scheduled_notifications``, the api-gateway's) that have come due: each is copied here when its
  time comes, locked by the one splitter that publishes it, and marked ``published_at`` in the
  same transaction as Kafka's acknowledgement.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from notify_common.db.shapes import TS

metadata = MetaData()

# Statuses a job can still move on from; a job in any other status is done.
OPEN_JOB_STATUSES = ("scheduled", "pending", "in_progress")

job_splitter_jobs = Table(
    "job_splitter_jobs",
    metadata,
    Column("job_id", UUID(as_uuid=False), primary_key=True),
    Column("service_id", UUID(as_uuid=False), nullable=False),
    Column("template_id", UUID(as_uuid=False), nullable=False),
    Column("template_version", Integer, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("key_type", String(16), nullable=False),
    Column("bucket", String(255), nullable=False),
    Column("object_key", Text, nullable=False),
    Column("original_file_name", Text, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("scheduled_for", TS, nullable=True),
    Column("due_at", TS, nullable=False),
    Column("status", String(32), nullable=False),
    Column("next_row", Integer, nullable=False, server_default=text("0")),
    Column("reason", Text, nullable=True),
    Column("created_by", Text, nullable=True),
    Column("correlation_id", Text, nullable=True),
    Column("requested_at", TS, nullable=False),
    Column("started_at", TS, nullable=True),
    Column("finished_at", TS, nullable=True),
    Column("updated_at", TS, nullable=False, server_default=text("now()")),
    # The contact list the job was sent to, if any (migration 0025).
    Column("contact_list_id", UUID(as_uuid=False), nullable=True),
)
Index(
    "ix_job_splitter_jobs_due",
    job_splitter_jobs.c.due_at,
    postgresql_where=job_splitter_jobs.c.status.in_(OPEN_JOB_STATUSES),
)
Index("ix_job_splitter_jobs_service", job_splitter_jobs.c.service_id, job_splitter_jobs.c.requested_at)

scheduled_releases = Table(
    "scheduled_releases",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),  # the notification id
    Column("scheduled_for", TS, nullable=False),
    Column("published_at", TS, nullable=True),
    Column("due_at", TS, nullable=False, server_default=text("now()")),
)
Index("ix_scheduled_releases_scheduled_for", scheduled_releases.c.scheduled_for)
