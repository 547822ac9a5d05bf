"""senders: SMS provider weights and their history; why a claim failed

Revision ID: 0003_senders
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_senders"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sms_provider_weights",
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("provider"),
    )
    op.create_table(
        "sms_provider_weight_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("changed_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("weights_before", postgresql.JSONB(), nullable=False),
        sa.Column("weights_after", postgresql.JSONB(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # A claim that ended in failure keeps why, so a redelivered request can announce it again.
    op.add_column("send_claims", sa.Column("failure_kind", sa.String(length=32), nullable=True))
    op.add_column("send_claims", sa.Column("failure_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("send_claims", "failure_reason")
    op.drop_column("send_claims", "failure_kind")
    op.drop_table("sms_provider_weight_changes")
    op.drop_table("sms_provider_weights")
