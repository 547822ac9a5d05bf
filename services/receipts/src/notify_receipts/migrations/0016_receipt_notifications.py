"""receipt notifications: the receipts service's own table of the notifications providers were
given, learnt from ``NotificationSentToProvider`` events, so a receipt is resolved (by our id or
the provider's reference), checked against the provider that was given the notification, and
published with the service and the notification's details, without reading other services'
tables

Revision ID: 0016_receipt_notifications
Revises: 0015_send_claim_trace
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_receipt_notifications"
down_revision: str | None = "0015_send_claim_trace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Owned by the receipts service. ``recipient`` is personal data (a callback's "to"), kept for
    # as long as the notification's other personal data.
    op.execute("""
        CREATE TABLE receipt_notifications (
            notification_id uuid PRIMARY KEY,
            service_id uuid NOT NULL,
            provider varchar(64) NOT NULL,
            provider_reference varchar(255),
            sent_at timestamptz NOT NULL,
            notification_type varchar(16),
            client_reference text,
            recipient text,
            template_id uuid,
            template_version integer,
            created_at timestamptz,
            job_row_number integer,
            recorded_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute(
        "CREATE INDEX ix_receipt_notifications_reference ON receipt_notifications (provider_reference)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS receipt_notifications")
