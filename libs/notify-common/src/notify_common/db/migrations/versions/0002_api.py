"""public and admin API: sender identities, callbacks, retention, inbound numbers, scheduled sends

Revision ID: 0002_api
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_api"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def _service_fk() -> sa.Column[str]:
    return sa.Column("service_id", UUID, sa.ForeignKey("services.id"), nullable=False)


def _identity_table(name: str, value: sa.Column[str]) -> None:
    op.create_table(
        name,
        sa.Column("id", UUID, primary_key=True),
        _service_fk(),
        value,
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        *([sa.Column("inbound_number_id", UUID, nullable=True)] if name == "service_sms_senders" else []),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
    )
    op.create_index(f"ix_{name}_service_id", name, ["service_id"])


def upgrade() -> None:
    _identity_table("service_sms_senders", sa.Column("sms_sender", sa.String(11), nullable=False))
    _identity_table("service_email_reply_to", sa.Column("email_address", sa.String(255), nullable=False))
    _identity_table("service_letter_contacts", sa.Column("contact_block", sa.Text(), nullable=False))
    op.create_table(
        "service_callback_api",
        sa.Column("id", UUID, primary_key=True),
        _service_fk(),
        sa.Column("callback_type", sa.String(32), nullable=False),
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("bearer_token", sa.Text(), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.UniqueConstraint("service_id", "callback_type"),
    )
    op.create_table(
        "inbound_numbers",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("number", sa.String(64), nullable=False, unique=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("service_id", UUID, sa.ForeignKey("services.id"), nullable=True, unique=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "service_data_retention",
        _service_fk(),
        sa.Column("notification_type", sa.String(16), nullable=False),
        sa.Column("days_of_retention", sa.Integer(), nullable=False),
        sa.UniqueConstraint("service_id", "notification_type"),
    )
    op.create_table(
        "scheduled_notifications",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("service_id", UUID, nullable=False),
        sa.Column("key_type", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("presented", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("scheduled_for", TS, nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
    )
    op.create_index(
        "ix_scheduled_notifications_due",
        "scheduled_notifications",
        ["scheduled_for"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    # Written by the projector from inbound-sms-received; whichever migration runs first creates it.
    op.execute(
        "CREATE TABLE IF NOT EXISTS inbound_sms ("
        " id uuid PRIMARY KEY, service_id uuid NOT NULL, user_number varchar(255) NOT NULL,"
        " notify_number varchar(255) NOT NULL, content text NOT NULL,"
        " created_at timestamptz NOT NULL)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_inbound_sms_service_created"
        " ON inbound_sms (service_id, created_at DESC)"
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_notifications_due", table_name="scheduled_notifications")
    for name in (
        "scheduled_notifications",
        "service_data_retention",
        "inbound_numbers",
        "service_callback_api",
        "service_letter_contacts",
        "service_email_reply_to",
        "service_sms_senders",
    ):
        op.drop_table(name)
