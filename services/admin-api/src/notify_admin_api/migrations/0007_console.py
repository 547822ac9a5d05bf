"""console: accounts, memberships with permissions, second-factor codes, invitations and CSV
uploads of the admin web console (notify_admin_api.tables.console)

Revision ID: 0007_console
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_console"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email_address", sa.String(255), nullable=False, unique=True),
        sa.Column("mobile_number", sa.String(32), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("auth_type", sa.String(16), server_default=sa.text("'sms_auth'"), nullable=False),
        sa.Column("totp_secret", sa.Text(), nullable=True),
        sa.Column("totp_pending_secret", sa.Text(), nullable=True),
        sa.Column("platform_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.Column("logged_in_at", TS, nullable=True),
        sa.Column("password_changed_at", TS, server_default=NOW, nullable=False),
    )
    op.create_table(
        "console_user_services",
        sa.Column("user_id", UUID, sa.ForeignKey("console_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("service_id", UUID, sa.ForeignKey("services.id"), primary_key=True),
        sa.Column("permissions", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
    )
    op.create_index("ix_console_user_services_service", "console_user_services", ["service_id"])
    op.create_table(
        "console_verify_codes",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("user_id", UUID, sa.ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code_type", sa.String(16), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
    )
    op.create_index("ix_console_verify_codes_user_id", "console_verify_codes", ["user_id"])
    op.create_table(
        "console_invites",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("service_id", UUID, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("email_address", sa.String(255), nullable=False),
        sa.Column("permissions", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("invited_by", UUID, nullable=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
    )
    op.create_index("ix_console_invites_service_id", "console_invites", ["service_id"])
    op.create_table(
        "console_uploads",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("service_id", UUID, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("template_id", UUID, nullable=False),
        sa.Column("original_file_name", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("row_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("report", postgresql.JSONB(), nullable=False),
        sa.Column("bucket", sa.String(255), nullable=True),
        sa.Column("object_key", sa.Text(), nullable=True),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
    )
    op.create_index("ix_console_uploads_service_id", "console_uploads", ["service_id"])


def downgrade() -> None:
    op.drop_table("console_uploads")
    op.drop_table("console_invites")
    op.drop_table("console_verify_codes")
    op.drop_table("console_user_services")
    op.drop_table("console_users")
