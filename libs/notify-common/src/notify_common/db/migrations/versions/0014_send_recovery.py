"""send recovery: what the senders decided when they took over a claim whose provider call may
have reached the provider (notify_common.send_recovery)

Revision ID: 0014_send_recovery
Revises: 0013_console_sessions
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_send_recovery"
down_revision: str | None = "0013_console_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # at-provider | receipt | not-at-provider | unconfirmed | deferred; null for a claim never in doubt.
    op.add_column("send_claims", sa.Column("recovery", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("send_claims", "recovery")
