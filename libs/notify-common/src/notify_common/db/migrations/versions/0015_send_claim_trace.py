"""send claim trace: the W3C ``traceparent`` of the span that claimed a notification for sending,
so that the provider's receipt, a new request, can join the notification's trace
(notify_common.tracing)

Revision ID: 0015_send_claim_trace
Revises: 0014_send_recovery
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_send_claim_trace"
down_revision: str | None = "0014_send_recovery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # "00-<trace id>-<span id>-<flags>"; null when tracing was not exporting.
    op.add_column("send_claims", sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    op.drop_column("send_claims", "traceparent")
