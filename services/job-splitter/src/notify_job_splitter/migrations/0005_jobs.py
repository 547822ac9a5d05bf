"""jobs: the job-splitter's store of jobs and their progress

Revision ID: 0005_jobs
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_jobs"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_splitter_jobs",
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("template_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("key_type", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.String(length=255), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("original_file_name", sa.Text(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", TS, nullable=True),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("next_row", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("correlation_id", sa.Text(), nullable=True),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("job_id"),
    )
    op.create_index(
        "ix_job_splitter_jobs_due",
        "job_splitter_jobs",
        ["due_at"],
        postgresql_where=sa.text("status IN ('scheduled', 'pending', 'in_progress')"),
    )
    op.create_index("ix_job_splitter_jobs_service", "job_splitter_jobs", ["service_id", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_job_splitter_jobs_service", table_name="job_splitter_jobs")
    op.drop_index("ix_job_splitter_jobs_due", table_name="job_splitter_jobs")
    op.drop_table("job_splitter_jobs")
