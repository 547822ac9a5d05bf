"""contact lists and large reports: the admin-api's saved recipients files and its reports built in
the background, with an index on the notifications projection to page through it; the list a CSV
job was sent to, on the job-splitter's store of jobs

Revision ID: 0025_contact_lists_reports
Revises: 0024_webauthn
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_contact_lists_reports"
down_revision: str | None = "0024_webauthn"
branch_labels: str | Sequence[str] | None = None
# It adds a column to the job-splitter's store of jobs, created on the 0005_jobs branch.
depends_on: str | Sequence[str] | None = "0005_jobs"


def upgrade() -> None:
    # Owned by the admin-api.
    op.execute("""
        CREATE TABLE contact_lists (
            id uuid PRIMARY KEY,
            service_id uuid NOT NULL,
            original_file_name text NOT NULL,
            row_count integer NOT NULL,
            template_type varchar(16) NOT NULL,
            bucket varchar(255) NOT NULL,
            object_key text NOT NULL,
            created_by text,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            archived_at timestamptz
        )""")
    op.execute("CREATE INDEX ix_contact_lists_service ON contact_lists (service_id, created_at)")
    op.execute(
        "CREATE INDEX ix_contact_lists_expires ON contact_lists (expires_at) WHERE archived_at IS NULL"
    )
    # Owned by the admin-api.
    op.execute("""
        CREATE TABLE report_requests (
            id uuid PRIMARY KEY,
            service_id uuid NOT NULL,
            user_id text,
            report_type varchar(32) NOT NULL DEFAULT 'notifications_report',
            filters jsonb NOT NULL,
            status varchar(16) NOT NULL DEFAULT 'pending',
            row_count integer,
            rows_done integer NOT NULL DEFAULT 0,
            bucket varchar(255),
            object_key text,
            failure text,
            created_at timestamptz NOT NULL DEFAULT now(),
            claimed_at timestamptz,
            finished_at timestamptz,
            expires_at timestamptz
        )""")
    op.execute("CREATE INDEX ix_report_requests_service ON report_requests (service_id, created_at)")
    op.execute(
        "CREATE INDEX ix_report_requests_open ON report_requests (created_at) "
        "WHERE status IN ('pending', 'in progress')"
    )
    # The report pages through a service's messages newest first, by (created_at, id): keyset
    # pagination needs an index in that order (the projector's table; an index is not a write).
    op.execute(
        "CREATE INDEX ix_notifications_service_created_id "
        "ON notifications (service_id, created_at DESC, id DESC)"
    )
    # Owned by the job-splitter: the contact list a job was sent to, from its JobRequested event.
    op.execute("ALTER TABLE job_splitter_jobs ADD COLUMN contact_list_id uuid")


def downgrade() -> None:
    op.execute("ALTER TABLE job_splitter_jobs DROP COLUMN contact_list_id")
    op.execute("DROP INDEX ix_notifications_service_created_id")
    op.execute("DROP TABLE report_requests")
    op.execute("DROP TABLE contact_lists")
