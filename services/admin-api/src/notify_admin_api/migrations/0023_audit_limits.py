"""audit_limits: a service's configuration history, and its annual sending limits

Revision ID: 0023_audit_limits
Revises: 0022_organisations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0023_audit_limits"
down_revision: str | None = "0022_organisations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_history",
        sa.Column("id", ID, primary_key=True),
        sa.Column("service_id", ID, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("kind", sa.String(255), nullable=False),
        sa.Column("actor_type", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(255), nullable=False),
        sa.Column("subject_id", sa.String(255), nullable=True),
        sa.Column("changes", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.create_index("ix_service_history_service_time", "service_history", ["service_id", "occurred_at"])
    op.create_table(
        "service_annual_limits",
        sa.Column("service_id", ID, sa.ForeignKey("services.id"), primary_key=True),
        sa.Column("sms_annual_limit", sa.BigInteger(), nullable=False),
        sa.Column("email_annual_limit", sa.BigInteger(), nullable=False),
        sa.Column("letter_annual_limit", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.text("now()")),
    )


def downgrade() -> None:
    op.drop_table("service_annual_limits")
    op.drop_index("ix_service_history_service_time", table_name="service_history")
    op.drop_table("service_history")
