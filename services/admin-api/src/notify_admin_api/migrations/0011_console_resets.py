"""console resets: links for a forgotten password of a console account, and reply-to email
addresses waiting for verification (notify_admin_api.tables.console)

Revision ID: 0011_console_resets
Revises: 0010_contact_link
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_console_resets"
down_revision: str | None = "0010_contact_link"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "console_password_resets",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("user_id", UUID, sa.ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
    )
    op.create_index("ix_console_password_resets_user_id", "console_password_resets", ["user_id"])
    op.create_table(
        "console_reply_to_verifications",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("service_id", UUID, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("email_address", sa.String(255), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("created_by", UUID, nullable=True),
        sa.Column("reply_to_id", UUID, nullable=True),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
    )
    op.create_index(
        "ix_console_reply_to_verifications_service_id", "console_reply_to_verifications", ["service_id"]
    )


def downgrade() -> None:
    op.drop_table("console_reply_to_verifications")
    op.drop_table("console_password_resets")
