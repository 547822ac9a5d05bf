"""configuration data and notification projection

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:37:37.652804
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from notify_common.statuses import rank_sql_function

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(rank_sql_function())
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("template_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("notification_type", sa.String(length=16), nullable=True),
        sa.Column("key_type", sa.String(length=16), nullable=True),
        sa.Column("api_key_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("job_row_number", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=255), nullable=True),
        sa.Column("address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("client_reference", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("postage", sa.String(length=16), nullable=True),
        sa.Column("international", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("billable_units", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rate_multiplier", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("sent_by", sa.String(length=64), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_notifications_client_reference", "notifications", ["service_id", "client_reference"], unique=False
    )
    op.create_index(
        "ix_notifications_service_created",
        "notifications",
        ["service_id", "key_type", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "send_claims",
        sa.Column("notification_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("restricted", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("email_from", sa.String(length=255), nullable=False),
        sa.Column("prefix_sms", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("sms_sender", sa.String(length=11), server_default=sa.text("'GOVUK'"), nullable=False),
        sa.Column(
            "permissions",
            postgresql.ARRAY(sa.String(length=64)),
            server_default=sa.text("ARRAY['sms','email','letter']::varchar[]"),
            nullable=False,
        ),
        sa.Column("rate_limit", sa.Integer(), server_default=sa.text("3000"), nullable=False),
        sa.Column("sms_message_limit", sa.Integer(), server_default=sa.text("250000"), nullable=False),
        sa.Column("email_message_limit", sa.Integer(), server_default=sa.text("250000"), nullable=False),
        sa.Column("letter_message_limit", sa.Integer(), server_default=sa.text("20000"), nullable=False),
        sa.Column(
            "international_sms_message_limit", sa.Integer(), server_default=sa.text("100"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "template_versions",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("template_type", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("postage", sa.String(length=16), nullable=True),
        sa.Column("letter_contact_block", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", "version"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("key_type", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expiry_date", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_api_keys_service_id"), "api_keys", ["service_id"], unique=False)
    op.create_index(
        "uix_service_to_key_name",
        "api_keys",
        ["service_id", "name"],
        unique=True,
        postgresql_where=sa.text("expiry_date IS NULL"),
    )
    op.create_table(
        "guest_list",
        sa.Column("service_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("recipient_type", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.UniqueConstraint("service_id", "recipient_type", "recipient"),
    )
    op.create_table(
        "team_members",
        sa.Column("service_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("email_address", sa.String(length=255), nullable=False),
        sa.Column("mobile_number", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.UniqueConstraint("service_id", "email_address"),
    )
    op.create_table(
        "templates",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("service_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("template_type", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("postage", sa.String(length=16), nullable=True),
        sa.Column("letter_contact_block", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_templates_service_id"), "templates", ["service_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_templates_service_id"), table_name="templates")
    op.drop_table("templates")
    op.drop_table("team_members")
    op.drop_table("guest_list")
    op.drop_index(
        "uix_service_to_key_name", table_name="api_keys", postgresql_where=sa.text("expiry_date IS NULL")
    )
    op.drop_index(op.f("ix_api_keys_service_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("template_versions")
    op.drop_table("services")
    op.drop_table("send_claims")
    op.drop_index("ix_notifications_service_created", table_name="notifications")
    op.drop_index("ix_notifications_client_reference", table_name="notifications")
    op.drop_table("notifications")
    op.execute("DROP FUNCTION IF EXISTS notify_status_rank(text)")
