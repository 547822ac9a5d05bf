"""unsubscribe: templates' "Add an unsubscribe link" flag (email templates only, kept per version),
the projector's table of recipients' unsubscribe requests, and the admin-api's reports that group
them for the console

Revision ID: 0019_unsubscribe
Revises: 0018_send_claims_per_sender
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_unsubscribe"
down_revision: str | None = "0018_send_claims_per_sender"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("templates", "template_versions"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN has_unsubscribe_link boolean NOT NULL DEFAULT false")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_non_email_has_unsubscribe_false "
            "CHECK (template_type = 'email' OR has_unsubscribe_link IS false)"
        )
    # Owned by the projector. ``email_address`` is personal data, copied from the notification.
    op.execute("""
        CREATE TABLE unsubscribe_requests (
            notification_id uuid PRIMARY KEY,
            service_id uuid NOT NULL,
            template_id uuid,
            template_version integer,
            job_id uuid,
            email_address text,
            notification_sent_at timestamptz,
            requested_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute(
        "CREATE INDEX ix_unsubscribe_requests_service ON unsubscribe_requests (service_id, requested_at)"
    )
    # Owned by the admin-api.
    op.execute("""
        CREATE TABLE unsubscribe_request_reports (
            id uuid PRIMARY KEY,
            service_id uuid NOT NULL,
            count integer NOT NULL,
            earliest_timestamp timestamptz NOT NULL,
            latest_timestamp timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            processed_by_service_at timestamptz
        )""")
    op.execute(
        "CREATE INDEX ix_unsubscribe_request_reports_service_id ON unsubscribe_request_reports (service_id)"
    )
    op.execute("""
        CREATE TABLE unsubscribe_request_report_items (
            notification_id uuid PRIMARY KEY,
            report_id uuid NOT NULL REFERENCES unsubscribe_request_reports (id) ON DELETE CASCADE
        )""")
    op.execute(
        "CREATE INDEX ix_unsubscribe_request_report_items_report_id "
        "ON unsubscribe_request_report_items (report_id)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS unsubscribe_request_report_items")
    op.execute("DROP TABLE IF EXISTS unsubscribe_request_reports")
    op.execute("DROP TABLE IF EXISTS unsubscribe_requests")
    for table in ("templates", "template_versions"):
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS ck_{table}_non_email_has_unsubscribe_false"
        )
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS has_unsubscribe_link")
