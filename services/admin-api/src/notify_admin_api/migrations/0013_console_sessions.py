"""console sessions: a console account's sessions signed in before ``sessions_not_before`` are over
(sign-out, and "sign out everywhere"), whichever copy of the cookie presents them

Revision ID: 0013_console_sessions
Revises: 0012_read_back
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_console_sessions"
down_revision: str | None = "0012_read_back"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "console_users", sa.Column("sessions_not_before", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("console_users", "sessions_not_before")
