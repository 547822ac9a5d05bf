"""go live: requests to take a service out of trial mode (notify_admin_api.tables.go_live)

Revision ID: 0009_go_live
Revises: 0008_template_folders
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_go_live"
down_revision: str | None = "0008_template_folders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "go_live_requests",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("service_id", UUID, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("requested_by", UUID, nullable=True),
        sa.Column("status", sa.String(16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("checklist", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_by", UUID, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
    )
    op.create_index("ix_go_live_requests_service_id", "go_live_requests", ["service_id"])
    op.create_index(
        "uix_go_live_requests_one_pending",
        "go_live_requests",
        ["service_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("go_live_requests")
